extension AdminTemplates {
    static let intent = """
    {{<admin}}{{$body}}
    \(noSite)
    {{^noSite}}
    <form method="get" action="/admin/intent" class="filters rangepicker" id="range-form">
    {{> range_fields}}
    <label for="compare">Compare with</label>
    <select id="compare" name="compare">{{#compareOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/compareOptions}}</select>
    <label for="cfrom">From</label><input type="date" id="cfrom" name="cfrom" value="{{cfrom}}">
    <label for="cto">To</label><input type="date" id="cto" name="cto" value="{{cto}}">
    <label for="f-intent">Class</label>
    <select id="f-intent" name="intent">{{#intentOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/intentOptions}}</select>
    <button class="small" id="apply-range">Apply</button>
    <span class="hint" id="range-label">{{rangeLabel}} ({{timeZone}}){{#compareLabel}} vs {{compareLabel}}{{/compareLabel}}</span>
    </form>
    {{#empty}}<div class="card" id="empty-state"><p><strong>No sessions in {{rangeLabel}}.</strong></p><p class="hint">\(emptyHint)</p></div>{{/empty}}
    {{#hasPending}}<p class="hint" id="pending">{{pending}} sessions of this range are not counted yet: they are live, or more were waiting for their class than one page load classifies. The worker classifies them within a few minutes; reload then.</p>{{/hasPending}}
    <div class="grid2">
    <div class="card"><h2>{{rangeLabel}}</h2>{{{funnelSVG}}}</div>
    {{#compare}}<div class="card"><h2>{{compareLabel}}</h2>{{{compareSVG}}}</div>{{/compare}}
    </div>
    <div class="card"><h2>Funnel</h2>
    <table id="intent-table"><thead><tr><th>Intent</th><th>Sessions</th><th>Share</th><th>Reached</th><th>Drop-off</th>{{#compare}}<th>Sessions ({{compareLabel}})</th><th>Share</th><th>Drop-off</th><th>Change</th>{{/compare}}</tr></thead><tbody>
    {{#stages}}<tr class="stage-row" id="stage-{{intent}}"><td>{{label}}</td><td class="num sessions">{{sessions}}</td><td class="num">{{share}}</td><td class="num">{{reached}}</td><td class="num">{{dropOff}}</td>{{#compare}}<td class="num other">{{otherSessions}}</td><td class="num">{{otherShare}}</td><td class="num">{{otherDropOff}}</td><td class="num">{{change}}</td>{{/compare}}</tr>{{/stages}}
    </tbody></table>
    <p class="hint">Each session gets the first class whose rule applies: one page and under 10 s is Bouncing; a checkout, cart or signup page is Buying; a help or contact page is Support-seeking; a pricing or plans page is Comparing; two content pages (docs, blog, features), one read for a minute, or four pages with two minutes engaged is Researching; anything else is Browsing. "Reached" counts the sessions at a stage or a later one (Browsing → Researching → Comparing → Buying); drop-off is the share of the previous stage that went no further. The page patterns are settings (Settings › Intent funnel). Bots are left out.</p>
    </div>
    <p class="hint" id="count">{{total}} session(s) · page {{page}} of {{pages}}</p>
    <table id="intent-sessions"><thead><tr><th>Started</th><th>Visitor</th><th>Intent</th><th>Why</th><th>Pages</th><th>Duration</th><th>First page</th><th>Source</th></tr></thead><tbody>
    {{#rows}}<tr class="intent-row"><td><a href="/admin/sessions/{{id}}" class="session-link">{{when}}</a></td><td>{{who}}</td><td><span class="tag intent-{{intent}}">{{label}}</span></td><td class="hint reason">{{reason}}</td><td class="num">{{pages}}</td><td class="num">{{duration}}</td><td>{{entry}}</td><td>{{source}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="8" class="hint" id="empty">\(emptyHint)</td></tr>{{/rows}}
    </tbody></table>
    \(pager)
    {{/noSite}}
    {{/body}}{{/admin}}
    """
}

extension AdminTemplates {
    static let leads = """
    {{<admin}}{{$body}}
    \(noSite)
    {{^noSite}}
    <form method="get" action="/admin/leads" class="filters rangepicker" id="range-form">
    {{> range_fields}}
    <label for="min-score">Minimum score</label><input type="number" id="min-score" name="min_score" min="0" max="100" value="{{minScore}}">
    <button class="small" id="apply-range">Apply</button>
    <span class="hint" id="range-label">{{rangeLabel}} ({{timeZone}})</span>
    </form>
    {{#lead}}<div class="card" id="lead-detail"><h2>{{#identified}}{{name}} {{email}}{{/identified}}{{^identified}}Anonymous visitor{{/identified}} <span class="tag" id="lead-score">Score {{score}}</span>{{#high}} <span class="tag high-value">High Value</span>{{/high}}</h2>
    <p class="hint"><a href="{{closeLink}}" id="close-lead">← All leads</a></p>
    <table id="lead-identity"><tbody>
    <tr><th>Identity</th><td>{{#identified}}{{name}} {{email}}{{/identified}}{{^identified}}Anonymous{{#ip}} · IP {{ip}}{{/ip}}{{/identified}} · visitor {{visitor}}</td></tr>
    <tr><th>Location</th><td>{{where}}{{^where}}Unknown{{/where}}</td></tr>
    <tr><th>Source</th><td id="lead-source">{{source}}</td></tr>
    <tr><th>First and last visit</th><td>{{first}} – {{last}}</td></tr>
    <tr><th>CRM status</th><td id="crm-status">Not yet: the CRM is not available yet.</td></tr>
    <tr><th>Sales tip</th><td id="sales-tip">{{tip}}</td></tr>
    </tbody></table>
    <h3>Score breakdown</h3>
    <table id="score-breakdown"><thead><tr><th>Part</th><th>Points</th><th>Of</th><th>Why</th></tr></thead><tbody>
    {{#parts}}<tr class="part-row"><td>{{name}}</td><td class="num">{{points}}</td><td class="num">{{max}}</td><td class="hint">{{detail}}</td></tr>{{/parts}}
    </tbody></table>
    <h3>Sessions</h3>
    <table id="lead-sessions"><thead><tr><th>Started</th><th>Page flow</th><th>Pages</th><th>Duration</th><th>Source</th><th>Intent</th></tr></thead><tbody>
    {{#sessions}}<tr class="lead-session"><td><a href="/admin/sessions/{{id}}">{{when}}</a></td><td>{{flow}}</td><td class="num">{{pages}}</td><td class="num">{{duration}}</td><td>{{source}}</td><td><span title="{{reason}}">{{intent}}</span></td></tr>{{/sessions}}
    </tbody></table>
    <h3>Pages viewed</h3>
    <table id="lead-pages"><tbody>{{#views}}<tr class="lead-page"><td>{{when}}</td><td><span title="{{url}}">{{path}}</span></td></tr>{{/views}}</tbody></table>
    </div>{{/lead}}
    <p class="hint" id="count">{{total}} lead(s), {{highValue}} high value · page {{page}} of {{pages}}</p>
    <table id="leads"><thead><tr><th>Lead</th><th>Score</th><th>Sessions</th><th>Pricing views</th><th>Checkout views</th><th>Last seen</th><th>Source</th><th>Location</th><th>Sales tip</th></tr></thead><tbody>
    {{#rows}}<tr class="lead-row" data-visitor="{{visitor}}"><td><a href="{{link}}" class="lead-link">{{who}}</a>{{#high}} <span class="tag high-value">High Value</span>{{/high}}</td><td class="num score">{{score}}</td><td class="num">{{sessions}}</td><td class="num">{{pricing}}</td><td class="num">{{checkout}}</td><td>{{last}}</td><td>{{source}}</td><td>{{where}}</td><td class="hint">{{tip}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="9" class="hint" id="empty">{{#filtered}}No leads score {{minScore}} or more in {{rangeLabel}}.{{/filtered}}{{^filtered}}No leads in {{rangeLabel}}. Leads are visitors who viewed pricing, checkout or help pages (the page patterns in Settings › Intent funnel). If your pricing page has a different path, add it there; if nothing is recorded at all, check that the tracking widget with site key <code>{{siteKey}}</code> is on every page.{{/filtered}}</td></tr>{{/rows}}
    </tbody></table>
    \(pager)
    <p class="hint">Score (0–100): recency up to 20, sessions 3 each up to 15, pricing page views 5 each up to 20, checkout page views 10 each up to 20, one per engaged minute up to 10, chat up to 10 (0 until chat exists), 5 for returning on another day. Above 80: High Value.</p>
    {{/noSite}}
    {{/body}}{{/admin}}
    """
}
