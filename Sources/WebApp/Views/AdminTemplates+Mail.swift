/// The Outbox and email template pages. Everything shown goes through `{{…}}` (escaped), including the
/// HTML of an email, which is shown as source: the admin's CSP allows no frames, and mail HTML is not
/// ours to run inside the admin.
extension AdminTemplates {
    static let outbox = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site is available to you yet.</p></div>{{/noSite}}
    {{^noSite}}
    {{^smtp}}<div class="card" id="no-smtp"><p><strong>Outgoing mail is not set up</strong> (OPSIQ_SMTP_URL), so nothing is sent: every email OpsIQ would have sent is kept here, marked “Held”, with its full headers and body.</p></div>{{/smtp}}
    <form method="get" action="/admin/outbox" class="filters" id="filters"><label for="f-status">Status</label><select id="f-status" name="status">{{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statusOptions}}</select> <button class="small">Filter</button></form>
    <p class="hint" id="count">{{total}} email(s) in {{siteName}}</p>
    <table id="outbox"><thead><tr><th>Created</th><th>To</th><th>Subject</th><th>Kind</th><th>Status</th></tr></thead>
    <tbody>{{#rows}}<tr class="mail-row status-{{status}}" id="mail-{{id}}"><td>{{created}}</td><td>{{to}}</td><td><a href="/admin/outbox/{{id}}" class="mail-link">{{subject}}</a></td><td>{{kind}}{{#automatic}} <span class="tag">automatic</span>{{/automatic}}</td><td>{{statusLabel}}{{#error}} <span class="hint">{{error}}</span>{{/error}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="5" class="hint" id="empty">No email yet.</td></tr>{{/rows}}</tbody></table>
    <p class="pager">{{#prev}}<a href="{{prev}}" id="prev">← Newer</a> {{/prev}}{{#next}}<a href="{{next}}" id="next">Older →</a>{{/next}}</p>
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let outboxMail = """
    {{<admin}}{{$body}}
    {{#missing}}<div class="card" id="missing"><p>No such email in this site.</p><p><a href="/admin/outbox">Back to the Outbox</a></p></div>{{/missing}}
    {{^missing}}
    <p><a href="/admin/outbox">← Outbox</a></p>
    <div class="card" id="mail-meta"><p>Status: <strong id="mail-status">{{statusLabel}}</strong> · created {{created}}{{#sent}} · sent {{sent}}{{/sent}} · {{attempts}} attempt(s){{#error}} · <span class="error">{{error}}</span>{{/error}}</p></div>
    <div class="card"><h2>Headers</h2><table id="mail-headers"><tbody>{{#headers}}<tr><th>{{name}}</th><td><code>{{value}}</code></td></tr>{{/headers}}</tbody></table>
    <p class="hint">The sender adds Date, MIME-Version and Content-Type when it sends.</p></div>
    <div class="card"><h2>Text</h2><pre id="mail-text">{{text}}</pre></div>
    {{#html}}<div class="card"><h2>HTML (source)</h2><pre id="mail-html">{{html}}</pre></div>{{/html}}
    {{/missing}}
    {{/body}}{{/admin}}
    """

    static let emailTemplates = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site is available to you yet.</p></div>{{/noSite}}
    {{^noSite}}
    <p class="toolbar" id="template-links">{{#templates}}<a href="/admin/email-templates?key={{key}}" class="{{#current}}current{{/current}}" id="tpl-{{key}}">{{label}}</a>{{#edited}} <span class="tag">edited</span>{{/edited}} · {{/templates}}<span class="hint">in {{siteName}}</span></p>
    {{#error}}<p class="error" id="error">{{error}}</p>{{/error}}
    <div class="card" id="editor"><h2>{{label}}</h2><p class="hint">{{description}}</p>
    <form method="post" action="/admin/email-templates" id="template-form">
    <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="key" value="{{key}}">
    {{^isLayout}}<label for="t-subject">Subject</label><input type="text" id="t-subject" name="subject" value="{{subject}}" maxlength="500">{{/isLayout}}
    <label for="t-body">{{#isLayout}}Layout (HTML){{/isLayout}}{{^isLayout}}Body (plain text; the HTML version is this text inside the layout){{/isLayout}}</label>
    <textarea id="t-body" name="body" rows="14">{{body}}</textarea>
    <p class="hint">Variables: {{#variables}}<code title="{{description}}">{{token}}</code> {{/variables}}</p>
    <button type="submit" name="op" value="preview" id="preview-button" class="secondary">Preview</button> <button type="submit" name="op" value="save" id="save-button">Save</button>
    </form>
    <form method="post" action="/admin/email-templates/preview" target="live-preview-frame" id="live-preview-form" hidden>
    <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="key" value="{{key}}">
    <input type="hidden" name="subject" value=""><input type="hidden" name="body" value=""></form>
    <h3>Live preview <span class="hint">(sample values, inside the layout; updates as you type)</span></h3>
    <iframe name="live-preview-frame" id="live-preview" class="preview-frame" sandbox title="Rendered email preview"></iframe>
    {{#edited}}<form method="post" action="/admin/actions/email_templates.reset" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="key" value="{{key}}"><input type="hidden" name="back" value="/admin/email-templates?key={{key}}"><input type="hidden" name="done" value="Back to the built-in text."><button class="small secondary" id="reset-button">Reset to the built-in text</button></form>{{/edited}}
    </div>
    {{#preview}}<div class="card" id="preview"><h2>Preview (sample values)</h2><p>Subject: <strong id="preview-subject">{{subject}}</strong></p>
    <pre id="preview-text">{{text}}</pre><h3>HTML (source)</h3><pre id="preview-html">{{html}}</pre></div>{{/preview}}
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let mailboxes = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site is available to you yet.</p></div>{{/noSite}}
    {{^noSite}}
    <p class="hint">Mail arriving in these mailboxes becomes tickets in {{siteName}}; replies to our emails thread onto their tickets. The worker polls each enabled mailbox at its interval.</p>
    <table id="mailboxes"><thead><tr><th>Mailbox</th><th>Server</th><th>Folder</th><th>Department</th><th>Every</th><th>Health</th><th></th></tr></thead>
    <tbody>{{#rows}}<tr id="mailbox-{{id}}"><td>{{name}} <span class="hint">{{address}}</span>{{^enabled}} <span class="tag">paused</span>{{/enabled}}</td><td>{{server}} <span class="hint">{{username}}</span></td><td>{{folder}}</td><td>{{department}}</td><td>{{poll}} min</td>
    <td>{{#healthy}}<span class="tag ok">healthy</span>{{/healthy}}{{#error}}<span class="error">{{error}}</span>{{/error}} <span class="hint">last poll {{lastPolled}}</span></td>
    <td><form method="post" action="/admin/actions/mailboxes.test" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="id" value="{{id}}"><input type="hidden" name="back" value="/admin/mailboxes"><input type="hidden" name="done" value="Connection works: logged in and opened the folder."><button class="small">Test connection</button></form>
    <form method="post" action="/admin/actions/mailboxes.poll" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="id" value="{{id}}"><input type="hidden" name="back" value="/admin/mailboxes"><input type="hidden" name="done" value="Polled: new mail imported."><button class="small secondary">Poll now</button></form>
    <form method="post" action="/admin/actions/mailboxes.delete" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="id" value="{{id}}"><input type="hidden" name="back" value="/admin/mailboxes"><input type="hidden" name="done" value="Mailbox disconnected."><button class="small danger">Remove</button></form></td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="7" class="hint" id="empty">No mailbox connected yet.</td></tr>{{/rows}}</tbody></table>
    <div class="card spaced" id="add-mailbox"><h2>Connect a mailbox</h2>
    <form method="post" action="/admin/actions/mailboxes.create"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="back" value="/admin/mailboxes"><input type="hidden" name="done" value="Mailbox connected. Use Test connection to check it.">
    <div class="grid2"><div><label for="mb-name">Name</label><input type="text" id="mb-name" name="name" required></div>
    <div><label for="mb-address">Email address</label><input type="email" id="mb-address" name="address" placeholder="support@example.com" required></div>
    <div><label for="mb-host">IMAP host</label><input type="text" id="mb-host" name="host" placeholder="imap.gmail.com" required></div>
    <div><label for="mb-security">Encryption</label><select id="mb-security" name="security"><option value="tls">SSL/TLS (port 993)</option><option value="starttls">STARTTLS (port 143)</option><option value="none">None (localhost only)</option></select></div>
    <div><label for="mb-port">Port</label><input type="text" id="mb-port" name="port" inputmode="numeric" placeholder="993"></div>
    <div><label for="mb-folder">Folder</label><input type="text" id="mb-folder" name="folder" value="INBOX"></div>
    <div><label for="mb-username">User name</label><input type="text" id="mb-username" name="username" required></div>
    <div><label for="mb-password">Password or app password</label><input type="password" id="mb-password" name="password" autocomplete="new-password" required></div>
    <div><label for="mb-department">Department</label><select id="mb-department" name="department"><option value="">None</option>{{#departments}}<option value="{{id}}">{{name}}</option>{{/departments}}</select></div>
    <div><label for="mb-poll">Poll every (minutes)</label><input type="text" id="mb-poll" name="poll_minutes" inputmode="numeric" value="5"></div></div>
    <input type="hidden" name="enabled" value="true">
    <button id="add-mailbox-button">Connect</button></form>
    <p class="hint">The password is stored encrypted with the master key and never shown again.</p></div>
    {{/noSite}}
    {{/body}}{{/admin}}
    """
}
