/// Settings > Tickets: the departments page and the canned responses page. Values go through `{{…}}`
/// (escaped); no inline script or style (the CSP forbids both).
extension AdminTemplates {
    /// Hidden fields of a settings form posted to `/admin/actions/<name>`.
    static func settingsFields(_ back: String) -> String {
        """
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="back" value="\(back)">
        """
    }

    static let departments = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site yet.</p><p class="hint">Add a site first (Settings > Sites).</p></div>{{/noSite}}
    {{^noSite}}
    <p class="hint">Departments of <strong>{{siteName}}</strong>. Tickets are routed to a department; Agents see only the tickets of their departments (Settings > Team). SLA targets are business minutes, counted in the site's support hours and time zone; 0 means no target. Clocks pause while a ticket is Waiting on Customer. Open tickets keep their due times until their priority or department changes.</p>
    {{#departments}}<div class="card spaced department{{#archived}} archived{{/archived}}" id="department-{{did}}">
    <h2>{{name}}{{#archived}} <span class="tag">archived</span>{{/archived}}</h2>
    <div class="grid2">
    <form method="post" action="/admin/actions/departments.rename" id="rename-{{did}}">\(settingsFields("/admin/settings/departments"))<input type="hidden" name="department_id" value="{{did}}"><input type="hidden" name="done" value="Department renamed.">
    <label for="name-{{did}}">Name</label><input type="text" id="name-{{did}}" name="name" value="{{name}}" maxlength="190" required> <button class="small">Rename</button></form>
    <form method="post" action="/admin/actions/departments.archive" id="archive-{{did}}">\(settingsFields("/admin/settings/departments"))<input type="hidden" name="department_id" value="{{did}}">
    <label>Status</label>{{#archived}}<input type="hidden" name="restore" value="true"><input type="hidden" name="done" value="Department restored."><button class="small" id="restore-{{did}}">Restore</button>{{/archived}}{{^archived}}<input type="hidden" name="done" value="Department archived."><button class="small danger" id="archive-button-{{did}}">Archive</button> <span class="hint">Its Agents lose access through it; its tickets stay.</span>{{/archived}}</form>
    </div>
    <form method="post" action="/admin/actions/departments.set_signature" id="signature-{{did}}">\(settingsFields("/admin/settings/departments"))<input type="hidden" name="department_id" value="{{did}}"><input type="hidden" name="done" value="Signature saved.">
    <label for="sig-{{did}}">Signature (inserted by <code>{{sigToken}}</code>)</label><textarea id="sig-{{did}}" name="signature" rows="2" maxlength="2000">{{signature}}</textarea> <button class="small">Save signature</button></form>
    <form method="post" action="/admin/settings/departments/sla" id="sla-{{did}}"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="department_id" value="{{did}}">
    <table class="sla-grid"><thead><tr><th>SLA target (business minutes)</th>{{#priorities}}<th>{{.}}</th>{{/priorities}}</tr></thead><tbody>
    {{#slaRows}}<tr><th scope="row">{{label}}</th>{{#cells}}<td><input type="number" min="0" max="525600" id="{{fid}}" name="{{name}}" value="{{value}}" aria-label="{{name}}"> <span class="hint">{{hint}}</span></td>{{/cells}}</tr>{{/slaRows}}
    </tbody></table>
    <label class="check" for="escalate-{{did}}"><input type="checkbox" id="escalate-{{did}}" name="escalate" value="on"{{#escalate}} checked{{/escalate}}> Escalate on a breach: raise the priority one step and publish <code>ticket.escalated</code></label>
    <p>{{#custom}}<span class="tag">custom targets</span>{{/custom}}{{^custom}}<span class="hint">Default targets.</span>{{/custom}} <button class="small" id="save-sla-{{did}}">Save SLA targets</button> {{#custom}}<button class="small" name="reset" value="1" id="reset-sla-{{did}}">Back to defaults</button>{{/custom}}</p>
    </form>
    </div>{{/departments}}
    {{^hasDepartments}}<div class="card" id="no-departments"><p>No departments yet.</p><p class="hint">Common ones: General, Billing, Technical, Sales, Abuse, Onboarding.</p></div>{{/hasDepartments}}
    <div class="card spaced" id="new-department"><h2>New department</h2>
    <form method="post" action="/admin/actions/departments.create" id="new-department-form">\(settingsFields("/admin/settings/departments"))<input type="hidden" name="done" value="Department created.">
    <label for="new-name">Name</label><input type="text" id="new-name" name="name" maxlength="190" required placeholder="Billing"> <button id="create-department">Create</button></form></div>
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let canned = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site yet.</p><p class="hint">Add a site first (Settings > Sites).</p></div>{{/noSite}}
    {{^noSite}}
    <p class="hint">Canned responses of <strong>{{siteName}}</strong>: agents insert them from a ticket's reply box. A response for one department is offered only on that department's tickets. An unknown variable is refused when you save.</p>
    <details class="card" id="variables"><summary>Variables</summary><dl class="facts">{{#variables}}<dt><code>{{token}}</code></dt><dd>{{meaning}}</dd>{{/variables}}</dl></details>
    {{#responses}}<div class="card spaced canned" id="canned-{{cid}}">
    <h2>{{title}} <span class="tag">{{shortcut}}</span> <span class="hint">{{department}}</span></h2>
    <form method="post" action="/admin/actions/canned.update" id="edit-{{cid}}">\(settingsFields("/admin/settings/canned"))<input type="hidden" name="id" value="{{cid}}"><input type="hidden" name="done" value="Canned response saved.">
    <div class="grid2"><div><label for="title-{{cid}}">Title</label><input type="text" id="title-{{cid}}" name="title" value="{{title}}" maxlength="190" required></div>
    <div><label for="shortcut-{{cid}}">Shortcut</label><input type="text" id="shortcut-{{cid}}" name="shortcut" value="{{shortcut}}" maxlength="49" required></div>
    <div><label for="dept-{{cid}}">Department</label><select id="dept-{{cid}}" name="department">{{#departmentOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/departmentOptions}}</select></div></div>
    <label for="body-{{cid}}">Body</label><textarea id="body-{{cid}}" name="body" rows="6" required>{{body}}</textarea>
    <button class="small" id="save-{{cid}}">Save</button></form>
    <form method="post" action="/admin/actions/canned.delete" class="inline" id="delete-{{cid}}">\(settingsFields("/admin/settings/canned"))<input type="hidden" name="id" value="{{cid}}"><input type="hidden" name="done" value="Canned response deleted."><button class="small danger" id="delete-button-{{cid}}">Delete</button></form>
    </div>{{/responses}}
    {{^hasResponses}}<div class="card" id="no-canned"><p>No canned responses yet.</p></div>{{/hasResponses}}
    <div class="card spaced" id="new-canned"><h2>New canned response</h2>
    <form method="post" action="/admin/actions/canned.create" id="new-canned-form">\(settingsFields("/admin/settings/canned"))<input type="hidden" name="done" value="Canned response created.">
    <div class="grid2"><div><label for="new-title">Title</label><input type="text" id="new-title" name="title" maxlength="190" required placeholder="Refund issued"></div>
    <div><label for="new-shortcut">Shortcut</label><input type="text" id="new-shortcut" name="shortcut" maxlength="49" required placeholder="/refund"></div>
    <div><label for="new-dept">Department</label><select id="new-dept" name="department">{{#newDepartmentOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/newDepartmentOptions}}</select></div></div>
    <label for="new-body">Body</label><textarea id="new-body" name="body" rows="6" required placeholder="{{bodyPlaceholder}}"></textarea>
    <button id="create-canned">Create</button></form></div>
    {{/noSite}}
    {{/body}}{{/admin}}
    """
}
