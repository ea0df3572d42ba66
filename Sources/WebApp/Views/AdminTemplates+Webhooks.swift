/// Developer > Webhooks: endpoints and each endpoint's delivery log. Every value goes through `{{…}}`
/// (escaped), response excerpts and request bodies included; no inline script or style (CSP).
extension AdminTemplates {
    static func webhookFields() -> String {
        #"<input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}">"#
    }

    static let webhooks = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site yet.</p><p class="hint">Add a site first (Settings > Sites).</p></div>{{/noSite}}
    {{^noSite}}
    <p class="hint">Outbound webhooks of <strong>{{siteName}}</strong>. Each event is POSTed as JSON, signed in <code>X-OpsIQ-Signature</code> (hex HMAC-SHA256 of the raw body with the endpoint secret) and with the Standard Webhooks headers; failed deliveries are retried for about two days, in order per endpoint.</p>
    {{#secret}}<div class="card" id="new-secret"><h2>Signing secret for {{url}}</h2><p>Copy it now: it is shown only this once.</p><p><code id="secret-value">{{value}}</code></p></div>{{/secret}}
    {{#test}}<div class="card" id="test-result"><h2>Test event {{eventID}}</h2><p>{{#ok}}Delivered: HTTP {{status}}.{{/ok}}{{^ok}}<span class="error">Not delivered: {{status}} {{error}}</span>{{/ok}}</p>{{#excerpt}}<pre id="test-excerpt">{{excerpt}}</pre>{{/excerpt}}</div>{{/test}}
    {{#endpoints}}<div class="card spaced endpoint{{^enabled}} archived{{/enabled}}" id="endpoint-{{eid}}">
    <h2>{{url}} {{#enabled}}<span class="tag">active</span>{{/enabled}}{{^enabled}}<span class="tag">disabled</span>{{/enabled}}</h2>
    <p class="hint">{{description}} · events: <code>{{events}}</code> · {{failures}} consecutive failure(s){{#graceUntil}} · previous secret valid until {{graceUntil}}{{/graceUntil}}{{^enabled}} · disabled {{disabledAt}}: {{reason}}{{/enabled}}</p>
    <p><a href="/admin/webhooks/{{eid}}" id="log-{{eid}}">Delivery log</a></p>
    <form method="post" action="/admin/webhooks/save" id="edit-{{eid}}">\(webhookFields())<input type="hidden" name="id" value="{{eid}}">
    <label for="url-{{eid}}">URL</label><input type="url" id="url-{{eid}}" name="url" value="{{url}}" maxlength="2000" required>
    <label for="desc-{{eid}}">Description</label><input type="text" id="desc-{{eid}}" name="description" value="{{description}}" maxlength="500">
    <fieldset><legend>Events</legend>{{#choices}}<label><input type="checkbox" name="events" value="{{name}}"{{#checked}} checked{{/checked}}> <code>{{name}}</code></label> {{/choices}}
    <label for="other-{{eid}}">Other events (comma-separated)</label><input type="text" id="other-{{eid}}" name="other_events" value="{{other}}"></fieldset>
    <button class="small">Save</button></form>
    <form method="post" action="/admin/webhooks/test" class="inline" id="test-{{eid}}">\(webhookFields())<input type="hidden" name="id" value="{{eid}}"><button class="small">Send test event</button></form>
    <form method="post" action="/admin/webhooks/rotate" class="inline" id="rotate-{{eid}}">\(webhookFields())<input type="hidden" name="id" value="{{eid}}"><button class="small">Rotate secret</button></form>
    {{#enabled}}<form method="post" action="/admin/webhooks/enable" class="inline" id="disable-{{eid}}">\(webhookFields())<input type="hidden" name="id" value="{{eid}}"><input type="hidden" name="enabled" value="false"><button class="small">Disable</button></form>{{/enabled}}
    {{^enabled}}<form method="post" action="/admin/webhooks/enable" id="enable-{{eid}}">\(webhookFields())<input type="hidden" name="id" value="{{eid}}"><input type="hidden" name="enabled" value="true">
    <label for="since-{{eid}}">Deliver everything missed since (UTC)</label><input type="datetime-local" id="since-{{eid}}" name="since" value="{{sinceDefault}}"> <button class="small">Enable</button></form>{{/enabled}}
    <form method="post" action="/admin/actions/webhooks.endpoints.delete" class="inline" id="delete-{{eid}}">\(webhookFields())<input type="hidden" name="back" value="/admin/webhooks"><input type="hidden" name="id" value="{{eid}}"><input type="hidden" name="done" value="Endpoint deleted."><button class="small danger">Delete</button></form>
    </div>{{/endpoints}}
    {{^hasEndpoints}}<p class="hint" id="no-endpoints">No endpoint yet.</p>{{/hasEndpoints}}
    <div class="card" id="add-endpoint"><h2>Add an endpoint</h2>
    <form method="post" action="/admin/webhooks/save" id="new-endpoint-form">\(webhookFields())
    <label for="new-url">URL</label><input type="url" id="new-url" name="url" placeholder="https://example.com/opsiq-webhook" maxlength="2000" required>
    <label for="new-desc">Description</label><input type="text" id="new-desc" name="description" maxlength="500">
    <fieldset><legend>Events</legend>{{#choices}}<label><input type="checkbox" name="events" value="{{name}}"> <code>{{name}}</code></label> {{/choices}}
    <label for="new-other">Other events (comma-separated; <code>name.*</code> matches a family)</label><input type="text" id="new-other" name="other_events"></fieldset>
    <button id="add-endpoint-button">Add endpoint</button></form></div>
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let webhookLog = """
    {{<admin}}{{$body}}
    {{#missing}}<div class="card" id="missing"><p>No such webhook endpoint in this site.</p><p><a href="/admin/webhooks">Back to Webhooks</a></p></div>{{/missing}}
    {{^missing}}
    <p><a href="/admin/webhooks">← Webhooks</a></p>
    <p class="hint">Deliveries to <strong>{{url}}</strong>, newest event first. <a href="/admin/webhooks/{{eid}}?status=pending">Pending</a> · <a href="/admin/webhooks/{{eid}}?status=failed">Failed</a> · <a href="/admin/webhooks/{{eid}}">All</a></p>
    <table id="deliveries"><thead><tr><th>Event</th><th>Status</th><th>Attempts</th><th>Last answer</th><th>Published</th><th></th></tr></thead>
    <tbody>{{#deliveries}}<tr class="delivery status-{{status}}" id="delivery-{{did}}"><td><a href="/admin/webhooks/{{eid}}?delivery={{did}}">{{event}}</a> <span class="hint">#{{seq}} {{eventID}}</span></td><td>{{status}}{{#next}} <span class="hint">next {{next}}</span>{{/next}}</td><td>{{attempts}}</td><td>{{code}}{{#error}} <span class="hint">{{error}}</span>{{/error}}</td><td>{{created}}</td>
    <td><form method="post" action="/admin/actions/webhooks.deliveries.redeliver" class="inline" id="redeliver-{{did}}"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="back" value="/admin/webhooks/{{eid}}"><input type="hidden" name="delivery_id" value="{{did}}"><input type="hidden" name="done" value="Delivery queued again."><button class="small">Redeliver</button></form></td></tr>{{/deliveries}}
    {{^deliveries}}<tr><td colspan="6" class="hint" id="empty">No delivery yet.</td></tr>{{/deliveries}}</tbody></table>
    {{#selected}}<h2 id="attempts-title">Attempts of delivery {{selected}}</h2>{{/selected}}
    {{#attempts}}<div class="card attempt" id="attempt-{{n}}"><p>Attempt {{n}} at {{at}}: <strong>{{code}}</strong> in {{ms}} ms{{#error}} · <span class="error">{{error}}</span>{{/error}}</p>
    <h3>Request headers</h3><pre>{{headers}}</pre><h3>Request body</h3><pre>{{body}}</pre><h3>Response (excerpt)</h3><pre class="excerpt">{{excerpt}}</pre></div>{{/attempts}}
    {{/missing}}
    {{/body}}{{/admin}}
    """
}
