/// Developer > Triggers (automations: list, editor, run log, dry run) and Developer > Events (the event
/// catalogue). Plain forms; every value goes through `{{…}}` (escaped).
extension AdminTemplates {
    static let automations = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site yet.</p><p class="hint">Add a site first (Settings > Sites).</p></div>{{/noSite}}
    {{^noSite}}
    <p class="hint">Automations of <strong>{{siteName}}</strong>: when the trigger fires and the condition holds, the steps run in order in the background, each a registered action acting inside this site. Every run is logged.</p>
    <table id="automations"><thead><tr><th>Name</th><th>Trigger</th><th>Condition</th><th>Steps</th><th>Status</th></tr></thead><tbody>
    {{#rows}}<tr id="automation-{{aid}}"><td><a href="/admin/triggers/{{aid}}" class="automation-link">{{name}}</a></td><td>{{trigger}}</td><td><code>{{condition}}</code></td><td>{{steps}}</td><td>{{#enabled}}enabled{{/enabled}}{{^enabled}}<span class="tag">disabled</span>{{/enabled}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="5" class="hint" id="empty">No automation yet. The recipes of the Triggers cookbook (a ticket from a monitoring alert, a Slack message for big orders, a weekly digest, escalating stale tickets) are each one automation.</td></tr>{{/rows}}
    </tbody></table>
    <p><a href="/admin/triggers/new" id="new-automation">New automation</a> · <a href="/admin/event-catalog">Event types</a></p>
    <div class="card spaced" id="platform-webhooks"><h2>Inbound platform webhooks</h2>
    {{#platforms}}<form method="post" action="/admin/actions/connectors.webhook_secret.set" id="platform-{{slug}}"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="back" value="/admin/triggers"><input type="hidden" name="slug" value="{{slug}}"><input type="hidden" name="done" value="Signing secret saved.">
    <p><strong>{{name}}</strong>: point the platform's webhook at <code id="platform-url-{{slug}}">{{url}}</code>. Signing secret: {{#set}}<span id="secret-state-{{slug}}">set {{updated}}</span>{{/set}}{{^set}}<span id="secret-state-{{slug}}">not set</span>{{/set}}. Deliveries emit <code>order.completed</code>.</p>
    <label for="secret-{{slug}}">Signing secret</label><input type="password" id="secret-{{slug}}" name="secret" autocomplete="off" placeholder="whsec_…"> <button class="small">Save</button> <span class="hint">{{hint}} · leave empty and save to remove it</span></form>{{/platforms}}
    </div>
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let automationEdit = """
    {{<admin}}{{$body}}
    <p><a href="/admin/triggers">← Automations</a></p>
    {{#formError}}<div class="banner bad" role="alert" id="form-error">{{formError}}</div>{{/formError}}
    {{#hookURL}}<div class="card" id="hook"><p>Inbound URL: <code id="hook-url">{{hookURL}}</code> (POST JSON or a form){{#signed}}; the sender must sign the raw body: <code>{{signatureHeader}}: hex HMAC-SHA256(body, secret)</code>{{/signed}}.</p></div>{{/hookURL}}
    <form method="post" action="/admin/triggers/save" id="automation-form" class="card"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}">{{#aid}}<input type="hidden" name="id" value="{{aid}}">{{/aid}}
    <label for="name">Name</label><input type="text" id="name" name="name" value="{{name}}" maxlength="190" required>
    <label class="check" for="enabled"><input type="checkbox" id="enabled" name="enabled" value="on"{{#enabled}} checked{{/enabled}}> Enabled</label>
    <h2>Trigger</h2>
    <label for="trigger_kind">Kind</label><select id="trigger_kind" name="trigger_kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select>
    <label for="cron">Schedule (cron, in the site's time zone {{timeZone}})</label><input type="text" id="cron" name="cron" value="{{cron}}" placeholder="0 9 * * 1  (Mondays 09:00) · 0 * * * *  (hourly)">
    <label for="for_each">For each</label><select id="for_each" name="for_each"><option value="">once per tick</option><option value="tickets"{{#forEachTickets}} selected{{/forEachTickets}}>active ticket (ticket.*, ticket.last_reply_age in seconds)</option></select>
    <label for="events">Events (names or families, comma-separated)</label><input type="text" id="events" name="events" value="{{events}}" placeholder="order.completed, ticket.*">
    <label for="signature_header">Webhook signature header</label><input type="text" id="signature_header" name="signature_header" value="{{signatureHeader}}">
    <label for="webhook_secret">Webhook secret{{#signed}} (set; leave empty to keep){{/signed}}</label><input type="password" id="webhook_secret" name="webhook_secret" autocomplete="off" minlength="16">
    {{#signed}}<label class="check" for="remove_secret"><input type="checkbox" id="remove_secret" name="remove_secret" value="on"> Stop verifying the sender (remove the secret)</label>{{/signed}}
    <h2>Condition</h2>
    <label for="condition">Only when (empty: always)</label><textarea id="condition" name="condition" rows="2" maxlength="2000" placeholder='payload.status = "down"'>{{condition}}</textarea>
    <p class="hint">Paths such as <code>payload.status</code>, <code>order.amount</code>, <code>ticket.last_reply_age</code>; operators = != &lt; &lt;= &gt; &gt;= contains, AND, OR, NOT, parentheses; texts in double quotes compare without regard to case.</p>
    <h2>Steps</h2>
    <p class="hint">Each step is an action and its parameters as JSON. Texts may use <code>{{exampleVar}}</code> and the results of earlier steps, <code>{{exampleStep}}</code>.</p>
    {{#steps}}<fieldset class="step" id="step-{{n}}"><legend>Step {{n}}</legend>
    <label for="step{{n}}_action">Action</label><select id="step{{n}}_action" name="step{{n}}_action"><option value="">(none)</option>{{#actions}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/actions}}</select>
    <label for="step{{n}}_params">Parameters (JSON)</label><textarea id="step{{n}}_params" name="step{{n}}_params" rows="4">{{params}}</textarea></fieldset>{{/steps}}
    <p><button id="save">Save automation</button></p>
    </form>
    {{#aid}}
    <div class="card spaced" id="run-now"><h2>Run</h2>
    <form method="post" action="/admin/actions/automations.run" id="run-form"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="id" value="{{aid}}"><input type="hidden" name="back" value="/admin/triggers/{{aid}}"><input type="hidden" name="done" value="Run queued.">
    <label for="run-input">Input (JSON payload)</label><textarea id="run-input" name="input" rows="3">{}</textarea> <button class="small" id="run-button">Run now</button></form>
    <form method="post" action="/admin/triggers/{{aid}}/dry-run" id="dry-run-form"><input type="hidden" name="_csrf" value="{{csrf}}">
    <label for="dry-input">Sample input (JSON)</label><textarea id="dry-input" name="input" rows="3">{{dryInput}}</textarea> <button class="small" id="dry-run-button">Dry run</button> <span class="hint">Evaluates the condition and renders every step; read steps run, writes do not.</span></form>
    {{#dry}}<div id="dry-result"><p>Condition: <strong id="dry-condition">{{holds}}</strong></p><pre id="dry-steps">{{steps}}</pre></div>{{/dry}}
    </div>
    <div class="card spaced" id="runs"><h2>Run log</h2>
    <table id="run-log"><thead><tr><th>Run</th><th>When</th><th>Trigger</th><th>Status</th><th>Duration</th><th>Details</th></tr></thead><tbody>
    {{#runs}}<tr class="run status-{{status}}" id="run-{{rid}}"><td>#{{rid}}{{#dry}} <span class="tag">dry run</span>{{/dry}}</td><td>{{created}}</td><td>{{trigger}}</td><td>{{status}}{{#error}} <span class="hint">{{error}}</span>{{/error}}</td><td>{{duration}}</td>
    <td><details><summary>input and steps</summary><pre>{{input}}</pre><pre>{{steps}}</pre></details></td></tr>{{/runs}}
    {{^runs}}<tr><td colspan="6" class="hint" id="no-runs">No run yet.</td></tr>{{/runs}}
    </tbody></table></div>
    <form method="post" action="/admin/actions/automations.delete" id="delete-form"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="id" value="{{aid}}"><input type="hidden" name="back" value="/admin/triggers"><input type="hidden" name="done" value="Automation deleted."><button class="small danger" id="delete">Delete automation</button></form>
    {{/aid}}
    {{/body}}{{/admin}}
    """

    static let eventCatalog = """
    {{<admin}}{{$body}}
    <p class="hint">Every event type OpsIQ publishes. Read them in order with <code>events.list</code> (<code>since_id</code> cursor; scope <code>events.read</code> plus the type's scope), subscribe webhooks to them, or trigger automations with them. The list as JSON: <code>events.catalog</code>.</p>
    <table id="event-catalog"><thead><tr><th>Type</th><th>Meaning</th><th>Scope</th><th>Payload schema</th></tr></thead><tbody>
    {{#types}}<tr id="type-{{id}}"><td><code>{{name}}</code></td><td>{{description}}</td><td><code>{{scope}}</code></td><td><details><summary>{{fields}}</summary><pre>{{schema}}</pre></details></td></tr>{{/types}}
    </tbody></table>
    {{/body}}{{/admin}}
    """
}
