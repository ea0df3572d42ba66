/// The analytics pages. Charts are SVG made by `SVGChart`, which escapes every text it puts in; they are
/// the only values inserted unescaped (`{{{…}}}`).
extension AdminTemplates {
    /// The date picker: presets and a custom range, sent as GET parameters to `action`.
    static let rangeFields = """
    <label for="range">Date range</label>
    <select id="range" name="range">{{#rangeOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/rangeOptions}}</select>
    <label for="from">From</label><input type="date" id="from" name="from" value="{{rangeFrom}}">
    <label for="to">To</label><input type="date" id="to" name="to" value="{{rangeTo}}">
    """

    static let rangePicker = """
    <form method="get" action="{{rangeAction}}" class="filters rangepicker" id="range-form">
    {{> range_fields}}
    <button class="small" id="apply-range">Apply</button>
    <span class="hint" id="range-label">{{rangeLabel}} ({{timeZone}})</span>
    </form>
    """

    static let dashboard = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site is available to you yet.</p><p class="hint">An Owner or Full Admin adds sites on the Sites page; the tracking snippet is shown there.</p></div>{{/noSite}}
    {{^noSite}}
    {{> range_picker}}
    {{#empty}}<div class="card" id="empty-state"><p><strong>No visits recorded for {{siteName}} in this range.</strong></p>
    <p class="hint">If your website is getting traffic, check: (1) Is the tracking widget installed? View your website's source and search for the OpsIQ script. (2) Is the site key correct? Compare the data-site-key in the script with <code>{{siteKey}}</code> on the Sites page. (3) Is a CDN or cache serving a stale page without the script? Clear your CDN cache. (4) Is an ad blocker or a CSP header blocking the script? Check the browser console for blocked requests.</p></div>{{/empty}}
    <div class="cards" id="cards">
    <div class="stat" id="card-live"><div class="label">Live visitors</div><div class="value" id="live-visitors">{{live}}</div><div class="hint">active in the last {{liveThreshold}} s</div></div>
    <div class="stat" id="card-visitors"><div class="label">Unique visitors</div><div class="value" id="unique-visitors">{{visitors}}</div><div class="hint">{{sessions}} visits · {{pageviews}} page views</div></div>
    <div class="stat" id="card-new"><div class="label">New vs returning</div><div class="value"><span id="new-visitors">{{newVisitors}}</span> / <span id="returning-visitors">{{returningVisitors}}</span></div><div class="hint">{{newShare}} new · {{returningShare}} returning</div></div>
    <div class="stat" id="card-bounce"><div class="label">Bounce rate</div><div class="value" id="bounce-rate">{{bounceRate}}</div><div class="hint">visits with one page and under 10 s</div></div>
    <div class="stat" id="card-time"><div class="label">Average time on page</div><div class="value" id="avg-time">{{avgTime}}</div></div>
    <div class="stat" id="card-threats"><div class="label">Threats blocked</div><div class="value" id="threats">{{#canSeeThreats}}<a href="/admin/blocked-ips">{{threats}}</a>{{/canSeeThreats}}{{^canSeeThreats}}{{threats}}{{/canSeeThreats}}</div><div class="hint">blocked addresses and ranges</div></div>
    <div class="stat" id="card-sales"><div class="label">Sales today / week / month</div><div class="value" id="sales">{{sales.today}} / {{sales.week}} / {{sales.month}}</div><div class="hint">No sales source is connected yet: sales appear once a platform connector (Shopify, WooCommerce, Stripe…) is connected and syncing.</div></div>
    </div>
    <div class="card"><h2>Trend</h2>{{{trendSVG}}}</div>
    <div class="card"><h2>Hourly heatmap</h2><p class="hint">Visits by hour of day and day of week, in {{timeZone}}.</p>{{{heatmapSVG}}}</div>
    <div class="grid2">
    <div class="card"><h2>Top sources</h2><table id="top-sources"><thead><tr><th>Source</th><th>Visits</th><th>Page views</th><th>Share</th></tr></thead><tbody>
    {{#sources}}<tr><td>{{value}}</td><td class="num">{{sessions}}</td><td class="num">{{pageviews}}</td><td class="num">{{share}}</td></tr>{{/sources}}
    {{^sources}}<tr><td colspan="4" class="hint">No visits in this range.</td></tr>{{/sources}}</tbody></table></div>
    <div class="card"><h2>Top browsers</h2><table id="top-browsers"><thead><tr><th>Browser</th><th>Visits</th><th>Page views</th><th>Share</th></tr></thead><tbody>
    {{#browsers}}<tr><td>{{value}}</td><td class="num">{{sessions}}</td><td class="num">{{pageviews}}</td><td class="num">{{share}}</td></tr>{{/browsers}}
    {{^browsers}}<tr><td colspan="4" class="hint">No visits in this range.</td></tr>{{/browsers}}</tbody></table></div>
    </div>
    <div class="card"><h2>Recent visitors</h2><table id="recent-visitors"><thead><tr><th>Last seen</th><th>Visitor</th><th>Country</th><th>Page</th><th>Device</th><th>Source</th></tr></thead><tbody>
    {{#recent}}<tr><td>{{when}}</td><td>{{who}}</td><td>{{country}}{{#city}} <span class="hint">{{city}}</span>{{/city}}</td><td>{{page}}</td><td>{{device}} <span class="hint">{{browser}}</span></td><td>{{source}}</td></tr>{{/recent}}
    {{^recent}}<tr><td colspan="6" class="hint">Nobody yet.</td></tr>{{/recent}}</tbody></table></div>
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let noSite = """
    {{#noSite}}<div class="card" id="no-site"><p>No site is available to you yet.</p><p class="hint">An Owner or Full Admin adds sites on the Sites page; the tracking snippet is shown there.</p></div>{{/noSite}}
    """

    /// What to check when a list is empty (the spec's troubleshooting answers).
    static let emptyHint = """
    {{#filtered}}No rows match these filters in {{rangeLabel}}. Widen the date range or clear a filter.{{/filtered}}{{^filtered}}Nothing recorded in {{rangeLabel}}. If your site has traffic, check that the tracking widget is on every page with the site key <code>{{siteKey}}</code>, that a CDN is not serving cached pages without the script, and that an ad blocker or CSP header is not blocking it (browser console). Single-page apps send page views on route changes only with the current widget.{{/filtered}}
    """

    static let pager = """
    <p class="pager">{{#prev}}<a href="{{prev}}" id="prev">← Previous page</a> {{/prev}}{{#next}}<a href="{{next}}" id="next">Next page →</a>{{/next}} <a href="{{csvLink}}" id="export-csv" class="small">Export CSV</a></p>
    """

    static let visitorLog = """
    {{<admin}}{{$body}}
    \(noSite)
    {{^noSite}}
    <form method="get" action="/admin/visitor-log" class="filters rangepicker" id="filters">
    {{> range_fields}}
    <label for="f-search">Search</label><input type="text" id="f-search" name="search" value="{{search}}" placeholder="IP, URL, referrer, country, email">
    <label for="f-source">Source</label><select id="f-source" name="source">{{#sourceOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/sourceOptions}}</select>
    <label for="f-device">Device</label><select id="f-device" name="device">{{#deviceOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/deviceOptions}}</select>
    <label><input type="checkbox" name="new_only" value="1" id="f-new"{{#newOnly}} checked{{/newOnly}}> New only</label>
    {{#ip}}<input type="hidden" name="ip" value="{{ip}}">{{/ip}}
    <button class="small" id="filter">Filter</button>
    </form>
    {{#ip}}<p class="hint" id="ip-filter">All visits from <strong>{{ip}}</strong> · <a href="/admin/visitor-log?{{rangeQuery}}">show every IP</a></p>{{/ip}}
    <p class="hint" id="count">{{total}} page view(s) · page {{page}} of {{pages}} · {{rangeLabel}} ({{timeZone}})</p>
    <table id="visits">
    <thead><tr><th>Time</th><th>IP</th><th>Country</th><th>Page</th><th>Referrer</th><th>Device</th><th>Visitor</th><th></th></tr></thead>
    <tbody>
    {{#rows}}<tr class="visit-row"><td>{{when}}</td><td><a href="{{ipLink}}" class="ip-link">{{ip}}</a></td><td>{{country}}{{#city}} <span class="hint">{{city}}</span>{{/city}}</td><td><span title="{{url}}">{{path}}</span></td><td><span title="{{fullReferrer}}">{{referrer}}</span> <span class="tag">{{source}}</span></td><td>{{device}} <span class="hint">{{browser}}</span></td><td>{{who}}{{#bot}} <span class="tag">bot</span>{{/bot}}</td><td>{{#session}}<a href="{{session}}" class="session-link">session</a>{{/session}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="8" class="hint" id="empty">\(emptyHint)</td></tr>{{/rows}}
    </tbody></table>
    \(pager)
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let sessionsList = """
    {{<admin}}{{$body}}
    \(noSite)
    {{^noSite}}
    <form method="get" action="/admin/sessions" class="filters rangepicker" id="filters">
    {{> range_fields}}
    <label for="f-search">Search</label><input type="text" id="f-search" name="search" value="{{search}}" placeholder="IP, email, URL, referrer">
    <label for="f-type">Type</label><select id="f-type" name="type">{{#typeOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/typeOptions}}</select>
    <label for="f-source">Source</label><select id="f-source" name="source">{{#sourceOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/sourceOptions}}</select>
    <label for="f-country">Country</label><input type="text" id="f-country" name="country" value="{{country}}" placeholder="DE" size="4">
    <label for="f-flag">Show</label><select id="f-flag" name="flag">{{#flagOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/flagOptions}}</select>
    <button class="small" id="filter">Filter</button>
    </form>
    <p class="hint" id="count">{{total}} session(s) · page {{page}} of {{pages}} · {{rangeLabel}} ({{timeZone}})</p>
    <table id="sessions">
    <thead><tr><th>Started</th><th>Visitor</th><th>First page</th><th>Last page</th><th>Pages</th><th>Duration</th><th>Source</th><th>Country</th><th>Bounce</th><th>Conversion</th></tr></thead>
    <tbody>
    {{#rows}}<tr class="session-row{{#bounced}} bounced{{/bounced}}"><td><a href="/admin/sessions/{{id}}" class="session-link">{{started}}</a></td><td>{{who}}{{#bot}} <span class="tag">bot</span>{{/bot}}</td><td>{{entry}}</td><td>{{exit}}</td><td class="num">{{pages}}</td><td class="num">{{duration}}</td><td>{{source}}</td><td>{{country}}</td><td>{{#bounced}}<span class="tag bad" title="Bounced">● bounced</span>{{/bounced}}</td><td>{{#converted}}<span class="tag good">✓ converted</span>{{/converted}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="10" class="hint" id="empty">\(emptyHint)</td></tr>{{/rows}}
    </tbody></table>
    \(pager)
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let sessionDetail = """
    {{<admin}}{{$body}}
    {{#missing}}<div class="card" id="not-found"><p><strong>{{missing}}</strong></p><p class="hint"><a href="/admin/sessions">Back to the sessions</a></p></div>{{/missing}}
    {{#s}}
    <p class="hint"><a href="/admin/sessions" id="back-to-sessions">← Sessions</a></p>
    <div class="card" id="session-head">
    <h2>Session {{id}} · {{who}}{{#bot}} <span class="tag">bot</span>{{/bot}}{{#bounced}} <span class="tag bad">bounced</span>{{/bounced}}{{#converted}} <span class="tag good">converted</span>{{/converted}}</h2>
    <dl class="facts">
    <dt>Started</dt><dd id="s-started">{{started}}</dd><dt>Last activity</dt><dd>{{last}}</dd><dt>Duration</dt><dd id="s-duration">{{duration}}</dd>
    <dt>Pages</dt><dd id="s-pages">{{pages}}</dd><dt>Source</dt><dd>{{source}} · {{referrer}}</dd><dt>Location</dt><dd>{{country}} {{city}}</dd>
    <dt>Device</dt><dd>{{device}} · {{browser}}</dd><dt>IP</dt><dd>{{ip}}</dd><dt>Visitor id</dt><dd>{{visitor}}</dd>
    </dl></div>
    {{/s}}
    {{^missing}}
    <div class="card"><h2>Page flow</h2><table id="page-flow"><thead><tr><th>#</th><th>Time</th><th>Page</th><th>Time on page</th><th>Scroll depth</th></tr></thead><tbody>
    {{#flow}}<tr class="flow-row"><td>{{step}}</td><td>{{when}}</td><td>{{path}} <span class="hint">{{title}}</span></td><td class="num">{{time}}</td><td class="num">{{scroll}}</td></tr>{{/flow}}
    {{^flow}}<tr><td colspan="5" class="hint">No page views in this session (only other events).</td></tr>{{/flow}}</tbody></table></div>
    <div class="card"><h2>Events</h2><table id="session-events"><thead><tr><th>Time</th><th>Type</th><th>Name</th><th>Page</th><th>Detail</th></tr></thead><tbody>
    {{#events}}<tr><td>{{when}}</td><td>{{type}}</td><td>{{name}}</td><td>{{path}}</td><td class="hint">{{detail}}</td></tr>{{/events}}</tbody></table>
    <p class="hint">Session replay is not built yet.</p></div>
    {{/missing}}
    {{/body}}{{/admin}}
    """

    static let liveFeed = """
    {{<admin}}{{$body}}
    \(noSite)
    {{^noSite}}
    <div id="live-feed" data-refresh="{{refresh}}">
    <form method="get" action="/admin/live-feed" class="filters rangepicker" id="live-filters">
    <label for="live-country">Country</label><input type="text" name="country" id="live-country" value="{{country}}" size="3" maxlength="2" placeholder="ES">
    <label for="live-device">Device</label><select name="device" id="live-device">{{#devices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/devices}}</select>
    <label for="live-referrer">Referrer</label><input type="text" name="referrer" id="live-referrer" value="{{referrer}}" maxlength="255" placeholder="google">
    <button type="submit" class="small">Filter</button>{{#filtered}} <a href="/admin/live-feed" id="live-clear">Clear filters</a>{{/filtered}}
    </form>
    <p class="toolbar"><strong id="live-count">{{count}}</strong> visitor(s) active in the last {{threshold}} s · updated <span id="live-updated">{{updated}}</span> · refreshes every {{refresh}} s
    <button type="button" class="small" id="live-toggle" data-paused="0">Pause</button></p>
    <table id="live-table">
    <thead><tr><th>Last activity</th><th>Current page</th><th>Visitor</th><th>Country</th><th>Device</th><th>Source</th><th>Duration</th><th>Pages</th><th>Intent</th></tr></thead>
    <tbody id="live-rows">
    {{#rows}}<tr class="live-row" data-stamp="{{stamp}}"><td>{{last}}</td><td><a href="/admin/sessions/{{id}}" class="session-link">{{page}}</a></td><td>{{who}}</td><td>{{country}}</td><td>{{device}} <span class="hint">{{browser}}</span></td><td>{{source}}</td><td class="num">{{duration}}</td><td class="num">{{pages}}</td><td class="intent intent-{{intent}}" title="{{reason}}">{{intentLabel}}</td></tr>{{/rows}}
    {{^rows}}{{#filtered}}<tr><td colspan="9" class="hint" id="empty">No visitor active in the last {{threshold}} s matches these filters.</td></tr>{{/filtered}}{{^filtered}}<tr><td colspan="9" class="hint" id="empty">Nobody is on the site right now. If your site has traffic, check that the tracking widget is installed (view the page source and look for the OpsIQ script), that its data-site-key is <code>{{siteKey}}</code>, and that an ad blocker or CSP header is not blocking it. Open your site in a private window: you should appear here within {{refresh}} seconds.</td></tr>{{/filtered}}{{/rows}}
    </tbody></table>
    </div>
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let topPages = """
    {{<admin}}{{$body}}
    \(noSite)
    {{^noSite}}
    {{> range_picker}}
    <p class="hint" id="grouping-hint">{{#groupsOn}}Pages matching a page group ({{groups}}) are shown as one row, each visitor counted once per group.{{/groupsOn}}{{^groupsOn}}Every page is its own row. To show similar pages (product variants, blog posts) as one row, add page groups such as <code>/products/*</code> in Settings › Tracking › Top pages: page groups.{{/groupsOn}}</p>
    <table id="top-pages">
    <thead><tr>{{#columns}}<th><a href="{{href}}" id="{{id}}" class="{{#current}}current{{/current}}">{{label}}{{arrow}}</a></th>{{/columns}}</tr></thead>
    <tbody>
    {{#rows}}<tr class="page-row{{#grouped}} page-group{{/grouped}}"><td><a href="{{visitLink}}" class="page-link">{{path}}</a>{{#grouped}} <span class="badge group-badge" title="Pages grouped by the pattern {{path}} (Settings › Tracking › Top pages: page groups)">{{grouped}} pages</span>{{/grouped}}</td><td class="num">{{views}}</td><td class="num">{{visitors}}</td><td class="num">{{bounce}}</td><td class="num">{{time}}</td><td class="num chats">{{chats}}</td><td class="num tickets">{{tickets}}</td><td class="trend-{{trend}}">{{trendLabel}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="8" class="hint" id="empty">No page views in {{rangeLabel}}. If a page you know gets traffic shows no views, check that the tracking widget is on that page, that the page is not in Settings › Tracking › Excluded pages, and that a CDN is not serving a cached copy without the script.</td></tr>{{/rows}}
    </tbody></table>
    <p class="hint">Bounce rate: visits that began on the page and left after it alone (one page, under 10 s). Support tickets: tickets opened from the widget's ticket portal on the page (its <code>ticket_started</code> event). Chat starts count the widget's <code>chat_started</code> event, which the live chat will send (zero until then). Trend compares the views with the period of the same length before.</p>
    <p class="pager"><a href="{{csvLink}}" id="export-csv">Export CSV</a></p>
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let geo = """
    {{<admin}}{{$body}}
    \(noSite)
    {{^noSite}}
    {{> range_picker}}
    {{#empty}}<div class="card" id="empty-state"><p><strong>No visits in {{rangeLabel}}.</strong></p><p class="hint">Countries show "Unknown" when GeoIP is not set up: install the geoip-database package (or set OPSIQ_GEOIP_PATH), or put the site behind Cloudflare, whose country header is used from a trusted proxy. City names need a GeoLite City database (OPSIQ_GEOIP_CITY_PATH).</p></div>{{/empty}}
    <div class="grid2">
    <div class="card"><h2>Top countries</h2>{{{barsSVG}}}</div>
    <div class="card"><h2>Country share</h2>{{{doughnutSVG}}}</div>
    </div>
    {{#country}}<div class="card" id="cities"><h2>Cities in {{country}}</h2><p class="hint"><a href="{{backLink}}" id="all-countries">← All countries</a></p>
    <table id="city-table"><thead><tr><th>City</th><th>Visitors</th><th>Sessions</th><th>Bounce rate</th><th>Conversion rate</th></tr></thead><tbody>
    {{#cities}}<tr class="city-row"><td>{{value}}</td><td class="num">{{visitors}}</td><td class="num">{{sessions}}</td><td class="num">{{bounce}}</td><td class="num">{{conversion}}</td></tr>{{/cities}}
    {{^cities}}<tr><td colspan="5" class="hint">No visits from {{country}} in this range.</td></tr>{{/cities}}</tbody></table>
    <p class="hint">City names need a GeoLite City database (OPSIQ_GEOIP_CITY_PATH); without one every city shows Unknown.</p></div>{{/country}}
    <div class="card"><h2>Countries</h2><table id="country-table"><thead><tr><th>Country</th><th>Visitors</th><th>Sessions</th><th>Bounce rate</th><th>Conversion rate</th></tr></thead><tbody>
    {{#countries}}<tr class="country-row"><td>{{#link}}<a href="{{link}}" class="country-link">{{value}}</a>{{/link}}{{^link}}{{value}}{{/link}}</td><td class="num">{{visitors}}</td><td class="num">{{sessions}}</td><td class="num">{{bounce}}</td><td class="num">{{conversion}}</td></tr>{{/countries}}
    </tbody></table><p class="pager"><a href="{{csvLink}}" id="export-csv">Export CSV</a></p></div>
    <div class="card"><h2>Country groups</h2><table id="group-table"><thead><tr><th>Group</th><th>Visitors</th><th>Share of visitors</th><th>Sessions</th><th>Bounce rate</th><th>Conversion rate</th></tr></thead><tbody>
    {{#groups}}<tr class="group-row" id="group-{{key}}"><td><span title="{{countries}}">{{name}}</span></td><td class="num">{{visitors}}</td><td class="num">{{share}}</td><td class="num">{{sessions}}</td><td class="num">{{bounce}}</td><td class="num">{{conversion}}</td></tr>{{/groups}}
    </tbody></table><p class="hint">Each group counts a visitor once, whichever of its countries they came from. Hover a group for its countries.</p></div>
    <div class="grid3">
    <div class="card"><h2>Devices</h2><table id="device-table"><tbody>{{#devices}}<tr><td>{{value}}</td><td class="num">{{sessions}}</td><td class="num">{{share}}</td></tr>{{/devices}}</tbody></table></div>
    <div class="card"><h2>Browsers</h2><table id="browser-table"><tbody>{{#browsers}}<tr><td>{{value}}</td><td class="num">{{sessions}}</td><td class="num">{{share}}</td></tr>{{/browsers}}</tbody></table></div>
    <div class="card"><h2>Sources</h2><table id="source-table"><tbody>{{#sources}}<tr><td>{{value}}</td><td class="num">{{sessions}}</td><td class="num">{{share}}</td></tr>{{/sources}}</tbody></table></div>
    </div>
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let eventsLog = """
    {{<admin}}{{$body}}
    \(noSite)
    {{^noSite}}
    <form method="get" action="/admin/events" class="filters rangepicker" id="filters">
    {{> range_fields}}
    <label for="f-type">Event type or name</label><input type="text" id="f-type" name="type" value="{{type}}" list="event-types" placeholder="e.g. order.completed">
    <datalist id="event-types">{{#typeOptions}}<option value="{{value}}">{{/typeOptions}}</datalist>
    <label for="f-search">Search</label><input type="text" id="f-search" name="search" value="{{search}}" placeholder="URL, email, property value">
    <button class="small" id="filter">Filter</button>
    </form>
    <p class="hint" id="count">{{total}} event(s) · page {{page}} of {{pages}} · {{rangeLabel}} ({{timeZone}})</p>
    <table id="events">
    <thead><tr><th>Time</th><th>Type</th><th>Name</th><th>Page</th><th>Visitor</th><th>Details</th></tr></thead>
    <tbody>
    {{#rows}}<tr class="event-row"><td>{{when}}</td><td><span class="tag">{{type}}</span>{{#bot}} <span class="tag">bot</span>{{/bot}}</td><td>{{name}}</td><td><span title="{{url}}">{{path}}</span></td><td>{{who}}</td><td class="hint props">{{props}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="6" class="hint" id="empty">\(emptyHint)</td></tr>{{/rows}}
    </tbody></table>
    \(pager)
    {{/noSite}}
    {{/body}}{{/admin}}
    """
}
