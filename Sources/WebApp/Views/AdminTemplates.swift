/// Templates of the signed-in admin and the sign-in pages.
enum AdminTemplates {
    static let adminLayout = """
    {{<layout}}
    {{$title}}{{pageTitle}} · OpsIQ{{/title}}
    {{$head}}<meta name="csrf-token" content="{{csrf}}">{{/head}}
    {{$content}}
    <div class="shell">
    <nav class="side" aria-label="Main">
    {{#nav}}<div class="navgroup"><div class="navhead">{{group}}</div>{{#items}}<a href="{{href}}" class="{{#active}}active{{/active}}{{^built}} soon{{/built}}">{{label}}</a>{{/items}}</div>{{/nav}}
    </nav>
    <section class="page">
    <div class="topbar"><h1>{{pageTitle}}</h1><div class="me">
    {{#hasSites}}<form method="post" action="/admin/workspace" class="inline" id="switcher"><input type="hidden" name="_csrf" value="{{csrf}}"><label for="ws" class="sr">Site</label>
    <select id="ws" name="site_key" data-autosubmit>{{#switcher}}<option value="{{siteKey}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/switcher}}</select><noscript><button class="small">Switch</button></noscript></form>{{/hasSites}}
    <span class="online" id="online-count" title="Team members active in the last few minutes">{{#online}}● {{online}} online{{/online}}</span>
    <span id="me">{{userName}} · {{roleName}}</span>
    <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="link" id="logout">Sign out</button></form>
    </div></div>
    {{#flash}}<div class="banner ok" role="status" id="flash">{{flash}}</div>{{/flash}}
    {{#error}}<div class="banner bad" role="alert" id="error">{{error}}</div>{{/error}}
    {{$body}}{{/body}}
    </section>
    </div>
    {{/content}}
    {{/layout}}
    """


    static let login = """
    {{<layout}}
    {{$title}}Sign in · OpsIQ{{/title}}
    {{$content}}
    <div class="card narrow">
    <h1>Sign in</h1>
    {{#error}}<div class="banner bad" role="alert" id="error">{{error}}</div>{{/error}}
    {{#flash}}<div class="banner ok" role="status" id="flash">{{flash}}</div>{{/flash}}
    <form method="post" action="/login">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <input type="hidden" name="next" value="{{next}}">
    <label for="email">Email</label>
    <input type="email" id="email" name="email" value="{{email}}" autocomplete="username" required autofocus>
    <label for="password">Password</label>
    <input type="password" id="password" name="password" autocomplete="current-password" required>
    <button type="submit" id="sign-in">Sign in</button>
    </form>
    <p class="hint"><a href="/login/forgot" id="forgot">Forgot your password?</a></p>
    </div>
    {{/content}}
    {{/layout}}
    """

    static let accountForm = """
    {{<layout}}
    {{$title}}{{heading}} · OpsIQ{{/title}}
    {{$content}}
    <div class="card narrow">
    <h1>{{heading}}</h1>
    {{#lead}}<p class="lead">{{lead}}</p>{{/lead}}
    {{#error}}<div class="banner bad" role="alert" id="error">{{error}}</div>{{/error}}
    {{#flash}}<div class="banner ok" role="status" id="flash">{{flash}}</div>{{/flash}}
    {{#showForm}}<form method="post" action="{{action}}">
    <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="token" value="{{token}}">
    {{#askEmail}}<label for="email">Email</label><input type="email" id="email" name="email" value="{{email}}" required>{{/askEmail}}
    {{#askName}}<label for="name">Your name</label><input type="text" id="name" name="name" value="{{name}}" required>{{/askName}}
    {{#askPassword}}<label for="password">New password</label><input type="password" id="password" name="password" autocomplete="new-password" minlength="12" required><div class="hint">At least 12 characters.</div>{{/askPassword}}
    <button type="submit" id="submit">{{button}}</button>
    </form>{{/showForm}}
    <p class="hint"><a href="/login">Back to sign in</a></p>
    </div>
    {{/content}}
    {{/layout}}
    """

    static let login2FA = """
    {{<layout}}
    {{$title}}Two-factor code · OpsIQ{{/title}}
    {{$content}}
    <div class="card narrow">
    <h1>Enter your code</h1>
    <p class="lead">Open your authenticator app and enter the 6-digit code for OpsIQ, or one of your recovery codes.</p>
    {{#error}}<div class="banner bad" role="alert" id="error">{{error}}</div>{{/error}}
    <form method="post" action="/login/2fa">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <input type="hidden" name="next" value="{{next}}">
    <label for="code">Code</label>
    <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus>
    <button type="submit" id="verify">Verify</button>
    </form>
    </div>
    {{/content}}
    {{/layout}}
    """

    static let home = """
    {{<admin}}{{$body}}
    <div class="card">
    <p>Signed in as <strong>{{userName}}</strong> ({{roleName}}). {{siteCount}} site(s) in this installation.</p>
    <p class="hint">The analytics dashboard is not built yet in this edition; the pages marked grey in the menu say so when opened. Built so far: Tickets, Sites, Team, API keys, Security (two-factor), Failed logins and the API documentation.</p>
    </div>
    {{/body}}{{/admin}}
    """

    static let soon = """
    {{<admin}}{{$body}}
    <div class="card" id="not-built">
    <p><strong>{{pageTitle}} is not built yet</strong> in the Swift edition of OpsIQ.</p>
    <p class="hint">What it will do is described in the product documentation ({{spec}}). The README's feature table lists what works today.</p>
    </div>
    {{/body}}{{/admin}}
    """

    static let forbidden = """
    {{<admin}}{{$body}}
    <div class="card" id="forbidden"><p><strong>Your role ({{roleName}}) cannot open this page.</strong></p><p class="hint">Ask your OpsIQ Owner or a Full Admin if you need access.</p></div>
    {{/body}}{{/admin}}
    """

    static let team = """
    {{<admin}}{{$body}}
    <table id="team">
    <thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Status</th><th></th></tr></thead>
    <tbody>
    {{#members}}<tr data-email="{{email}}">
    <td>{{name}}</td><td>{{email}}</td><td><span class="tag">{{roleName}}</span></td><td>{{#active}}Active{{/active}}{{^active}}Deactivated{{/active}}{{#online}} · <span class="online">online</span>{{/online}}</td>
    <td>{{#editable}}
    <form method="post" action="/admin/actions/team.set_role" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/team"><input type="hidden" name="user_id" value="{{id}}">
    <select name="role" aria-label="Role of {{email}}"><option value="full_admin">Full Admin</option><option value="agent">Agent</option></select> <button class="small">Change role</button></form>
    {{#isAgent}}{{#hasDepartments}}<form method="post" action="/admin/actions/team.set_departments" class="depts"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/team"><input type="hidden" name="user_id" value="{{id}}"><input type="hidden" name="department_ids_present" value="1">
    {{#departments}}<label class="check block"><input type="checkbox" name="department_ids" value="{{id}}"{{#checked}} checked{{/checked}}> {{label}}</label>{{/departments}}<button class="small">Save departments</button></form>{{/hasDepartments}}{{/isAgent}}
    {{#active}}<form method="post" action="/admin/actions/team.deactivate" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/team"><input type="hidden" name="user_id" value="{{id}}"><button class="small danger">Deactivate</button></form>{{/active}}
    {{/editable}}</td>
    </tr>{{/members}}
    </tbody></table>
    <div class="card spaced"><h2>Invite a team member</h2>
    {{#mail}}<form method="post" action="/admin/actions/team.invite"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/team">
    <div class="grid2"><div><label for="invite-email">Email</label><input type="email" id="invite-email" name="email" required></div>
    <div><label for="invite-role">Role</label><select id="invite-role" name="role"><option value="agent">Agent</option><option value="full_admin">Full Admin</option></select></div></div>
    <button id="invite">Send invitation</button></form><p class="hint">The link in the email works once and expires after 72 hours.</p>{{/mail}}
    {{^mail}}<p class="hint">Invitations are sent by email, and outgoing mail is not set up (OPSIQ_SMTP_URL). Until it is, add members with <code>opsiq-admin</code>.</p>{{/mail}}
    </div>
    {{/body}}{{/admin}}
    """

    static let sites = """
    {{<admin}}{{$body}}
    {{#secret}}<div class="banner ok" id="site-secret">Site secret for {{secretSite}}: <code>{{secret}}</code> — keep it on your server only.</div>{{/secret}}
    <table id="sites">
    <thead><tr><th>Name</th><th>Domain</th><th>Site key</th><th>Tracking snippet</th><th></th></tr></thead>
    <tbody>
    {{#sites}}<tr><td>{{name}}</td><td>{{domain}}</td><td><code>{{siteKey}}</code></td><td><code>{{snippet}}</code></td>
    <td>{{#admin}}<form method="post" action="/admin/sites/secret" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><button class="small">Show secret</button></form>
    <form method="post" action="/admin/sites/rotate" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><button class="small danger">Rotate secret</button></form>{{/admin}}</td></tr>{{/sites}}
    </tbody></table>
    {{#admin}}<div class="card spaced"><h2>Add a site</h2>
    <form method="post" action="/admin/actions/sites.create"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/sites">
    <div class="grid2"><div><label for="name">Name</label><input type="text" id="name" name="name" required></div>
    <div><label for="domain">Domain</label><input type="text" id="domain" name="domain" placeholder="shop.example.com" required></div></div>
    <button id="add-site">Add site</button></form></div>{{/admin}}
    {{/body}}{{/admin}}
    """

    static let apiKeys = """
    {{<admin}}{{$body}}
    {{#newKey}}<div class="banner ok" id="new-key">Your new API key — copy it now, it will not be shown again:<br><code id="new-key-value">{{newKey}}</code></div>{{/newKey}}
    <table id="keys">
    <thead><tr><th>Name</th><th>Key</th><th>Scopes</th><th>Site</th><th>Last used</th><th></th></tr></thead>
    <tbody>
    {{#keys}}<tr><td>{{name}}</td><td><code>{{prefix}}…</code></td><td>{{scopes}}</td><td>{{site}}</td><td>{{lastUsed}}</td>
    <td>{{#revoked}}<span class="tag">revoked</span>{{/revoked}}{{^revoked}}<form method="post" action="/admin/actions/keys.revoke" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/api-keys"><input type="hidden" name="key_id" value="{{id}}"><button class="small danger">Revoke</button></form>{{/revoked}}</td></tr>{{/keys}}
    </tbody></table>
    <div class="card spaced"><h2>Create an API key</h2>
    <form method="post" action="/admin/api-keys"><input type="hidden" name="_csrf" value="{{csrf}}">
    <label for="key-name">Name</label><input type="text" id="key-name" name="name" value="{{formName}}" required>
    <label>Scopes</label><div>{{#scopes}}<label class="check"><input type="checkbox" name="scopes" value="{{.}}"> {{.}}</label>{{/scopes}}</div>
    <label for="key-site">Only for site</label><select id="key-site" name="site_key"><option value="">All sites</option>{{#sites}}<option value="{{siteKey}}">{{name}}</option>{{/sites}}</select>
    <button id="create-key">Create key</button></form>
    <p class="hint">Call the API with <code>Authorization: Bearer opq_…</code>; see <a href="/api/docs/">the API documentation</a>. Each key may make {{rateLimit}} requests a minute.</p></div>
    {{/body}}{{/admin}}
    """

    static let security = """
    {{<admin}}{{$body}}
    <div class="card">
    <h2>Two-factor authentication</h2>
    {{#enabled}}<p id="twofa-status">Two-factor authentication is <strong>on</strong>.</p>
    <form method="post" action="/admin/security/2fa/disable"><input type="hidden" name="_csrf" value="{{csrf}}"><label for="pw">Your password, to turn it off</label><input type="password" id="pw" name="password" required><button class="danger">Turn off</button></form>{{/enabled}}
    {{^enabled}}{{^setup}}<p id="twofa-status">Two-factor authentication is <strong>off</strong>.{{#required}} Your role must use it: set it up now.{{/required}}</p>
    <form method="post" action="/admin/security/2fa/start"><input type="hidden" name="_csrf" value="{{csrf}}"><button id="start-2fa">Set up an authenticator app</button></form>{{/setup}}{{/enabled}}
    {{#setup}}<p>Add OpsIQ to your authenticator app with this key, or open the link on your phone:</p>
    <p><code id="totp-secret">{{secret}}</code></p><p><a href="{{uri}}" id="totp-uri">{{uri}}</a></p>
    <form method="post" action="/admin/security/2fa/confirm"><input type="hidden" name="_csrf" value="{{csrf}}"><label for="code">Code from the app</label><input type="text" id="code" name="code" inputmode="numeric" required><button id="confirm-2fa">Turn on</button></form>{{/setup}}
    {{#hasRecovery}}<div class="banner ok" id="recovery-codes"><p>Two-factor authentication is on. Keep these recovery codes somewhere safe; each works once:</p><pre>{{#recovery}}{{.}}
    {{/recovery}}</pre></div>{{/hasRecovery}}
    </div>
    <div class="card"><h2>Sessions</h2><form method="post" action="/admin/security/logout-everywhere"><input type="hidden" name="_csrf" value="{{csrf}}"><button id="logout-everywhere">Sign out everywhere</button></form></div>
    {{/body}}{{/admin}}
    """

    static let failedLogins = """
    {{<admin}}{{$body}}
    <p class="hint">Many attempts on one email: password guessing, make sure two-factor authentication is on. Many emails from one address: an automated attack, block it.</p>
    <table id="failed-logins"><thead><tr><th>Time (UTC)</th><th>IP</th><th>Country</th><th>Email</th><th>Reason</th><th>Browser</th><th></th></tr></thead>
    <tbody>{{#rows}}<tr><td>{{at}}</td><td>{{ip}}</td><td>{{country}}</td><td>{{email}}</td><td>{{reason}}</td><td>{{userAgent}}</td>
    <td><form method="post" action="/admin/actions/blocklist.add" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/security/failed-logins"><input type="hidden" name="cidr" value="{{ip}}"><input type="hidden" name="reason" value="Failed sign-ins"><button class="small">Block IP</button></form></td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="7">No failed sign-ins.</td></tr>{{/rows}}</tbody></table>
    {{/body}}{{/admin}}
    """

    static let audit = """
    {{<admin}}{{$body}}
    <table id="audit"><thead><tr><th>Time (UTC)</th><th>Who</th><th>Action</th><th>Target</th><th>Site</th><th>From</th></tr></thead>
    <tbody>{{#rows}}<tr><td>{{at}}</td><td>{{actor}}</td><td><code>{{action}}</code></td><td>{{target}}</td><td>{{site}}</td><td>{{ip}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="6">No changes recorded yet.</td></tr>{{/rows}}</tbody></table>
    {{/body}}{{/admin}}
    """

    static let blockedIPs = """
    {{<admin}}{{$body}}
    <table id="blocked"><thead><tr><th>Address or range</th><th>Reason</th><th>Applies to</th><th>Added (UTC)</th><th>Expires</th><th></th></tr></thead>
    <tbody>{{#rows}}<tr><td><code>{{cidr}}</code></td><td>{{reason}}</td><td>{{scope}}</td><td>{{createdAt}}</td><td>{{expires}}</td>
    <td><form method="post" action="/admin/actions/blocklist.remove" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/blocked-ips"><input type="hidden" name="id" value="{{id}}"><button class="small">Unblock</button></form></td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="6">Nothing is blocked.</td></tr>{{/rows}}</tbody></table>
    <div class="card spaced"><h2>Block an address</h2>
    <form method="post" action="/admin/actions/blocklist.add"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="back" value="/admin/blocked-ips">
    <div class="grid2"><div><label for="cidr">IP address or CIDR range</label><input type="text" id="cidr" name="cidr" placeholder="203.0.113.7 or 198.51.100.0/24 or 2001:db8::/32" required></div>
    <div><label for="reason">Reason</label><input type="text" id="reason" name="reason" required></div></div>
    <label for="site">Applies to</label><select id="site" name="site_key"><option value="">The whole installation (admin and all tracking)</option>{{#sites}}<option value="{{siteKey}}">Tracking of {{name}} only</option>{{/sites}}</select>
    <label for="hours">Lift after (hours, optional)</label><input type="text" id="hours" name="hours" inputmode="numeric">
    <button id="block">Block</button></form>
    <p class="hint">Your own address is {{myIP}}; a block that contains it is refused.</p></div>
    {{/body}}{{/admin}}
    """

    static let settings = """
    {{<admin}}{{$body}}
    <form method="get" action="/admin/settings" class="card"><label for="scope">Settings for</label>
    <select id="scope" name="site" data-autosubmit><option value="">All sites (installation defaults)</option>{{#sites}}<option value="{{siteKey}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/sites}}</select>
    <noscript><button class="small">Show</button></noscript></form>
    {{#groups}}<div class="card"><h2>{{group}}</h2>
    {{#items}}<form method="post" action="/admin/settings" class="setting" id="setting-{{name}}"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site" value="{{siteKey}}"><input type="hidden" name="name" value="{{name}}">
    <label for="v-{{name}}">{{label}} {{#inherited}}<span class="tag" title="Not set for this site: the installation value applies">inherited</span>{{/inherited}}{{#overridden}}<span class="tag">set for this site</span>{{/overridden}}</label>
    <input type="text" id="v-{{name}}" name="value" value="{{value}}">
    <div class="hint">{{help}}</div>
    <button class="small">Save</button>{{#overridden}} <button class="small" name="clear" value="1">Use installation value</button>{{/overridden}}
    </form>{{/items}}
    </div>{{/groups}}
    {{/body}}{{/admin}}
    """

    static let apiDocs = """
    {{<layout}}
    {{$title}}API documentation · OpsIQ{{/title}}
    {{$content}}
    <div class="card"><h1>OpsIQ action API</h1>
    <p class="lead"><code>POST {{base}}/api/v1.php</code> with <code>Authorization: Bearer opq_…</code> and a JSON body holding <code>action</code>, <code>site_key</code> and the action's parameters. Machine-readable: <a href="/api/docs/openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
    <pre>curl -X POST {{base}}/api/v1.php -H "Authorization: Bearer opq_your_key" -H "Content-Type: application/json" -d '{"action": "sites.get", "site_key": "site_abc123"}'</pre>
    </div>
    {{#actions}}<div class="card" id="action-{{name}}"><h2><code>{{name}}</code></h2><p>{{summary}}</p>
    <p class="hint">Scope <code>{{scope}}</code> · {{risk}}{{#site}} · needs <code>site_key</code>{{/site}}{{^api}} · admin only, not callable with an API key{{/api}}</p>
    {{#hasParams}}<table><thead><tr><th>Parameter</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>{{#params}}<tr><td><code>{{name}}</code></td><td>{{type}}</td><td>{{#required}}yes{{/required}}</td><td>{{description}}</td></tr>{{/params}}</tbody></table>{{/hasParams}}
    </div>{{/actions}}
    {{/content}}
    {{/layout}}
    """
}
