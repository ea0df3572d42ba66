/// The ticket queue and the ticket page. Everything shown goes through `{{…}}` (escaped); no inline
/// script or style (the CSP forbids both).
extension AdminTemplates {
    /// The hidden fields every ticket form posts: CSRF token, site, ticket, where to come back to.
    static let ticketFormFields = """
    <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}"><input type="hidden" name="ticket_id" value="{{id}}"><input type="hidden" name="back" value="/admin/tickets/{{number}}">
    """

    static let tickets = """
    {{<admin}}{{$body}}
    {{#noSite}}<div class="card" id="no-site"><p>No site is available to you yet.</p><p class="hint">An Owner or Full Admin adds sites, and gives Agents departments in them.</p></div>{{/noSite}}
    {{^noSite}}
    <p class="toolbar" id="queue-links"><a href="/admin/tickets?assignee=mine" id="my-tickets" class="{{#mineActive}}current{{/mineActive}}">My tickets</a> · <a href="/admin/tickets?status=active" id="active-tickets">Active</a> · <a href="/admin/tickets" id="all-tickets">All tickets</a>{{#canCreate}} · <a href="#new-ticket" id="new-ticket-link">New ticket</a>{{/canCreate}} <span class="hint">in {{siteName}}</span></p>
    <form method="get" action="/admin/tickets" class="filters" id="filters">
    <label for="f-status">Status</label><select id="f-status" name="status">{{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statusOptions}}</select>
    <label for="f-department">Department</label><select id="f-department" name="department">{{#departmentOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/departmentOptions}}</select>
    <label for="f-priority">Priority</label><select id="f-priority" name="priority">{{#priorityOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/priorityOptions}}</select>
    <label for="f-assignee">Assignee</label><select id="f-assignee" name="assignee">{{#assigneeOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/assigneeOptions}}</select>
    <label for="f-sort">Order</label><select id="f-sort" name="sort">{{#sortOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/sortOptions}}</select>
    <button class="small" id="filter">Filter</button>
    </form>
    <p class="hint" id="count">{{total}} ticket(s) · page {{page}} of {{pages}}</p>
    <table id="tickets">
    <thead><tr><th>Ticket</th><th>Subject</th><th>Customer</th><th>Department</th><th>Priority</th><th>Status</th><th>Assignee</th><th>SLA due</th><th>Updated</th></tr></thead>
    <tbody>
    {{#rows}}<tr class="ticket-row sla-{{slaClass}}{{#breached}} sla-breached{{/breached}}" id="row-{{number}}"><td><a href="/admin/tickets/{{number}}" class="ticket-link">{{id}}</a></td><td>{{subject}}{{#locked}} <span class="tag">locked</span>{{/locked}}</td><td>{{customerName}} <span class="hint">{{customerEmail}}</span></td><td>{{department}}</td><td><span class="prio prio-{{priority}}">{{priority}}</span></td><td>{{status}}</td><td>{{assignee}}</td><td class="sla">{{slaDue}}{{#slaClock}} <span class="hint">{{slaClock}}</span>{{/slaClock}}{{#slaLabel}} <span class="tag sla-tag">{{slaLabel}}</span>{{/slaLabel}}{{#breached}} <span class="tag sla-tag breached">breached</span>{{/breached}}</td><td>{{updated}}</td></tr>{{/rows}}
    {{^rows}}<tr><td colspan="9" class="hint" id="empty">No tickets match these filters.</td></tr>{{/rows}}
    </tbody></table>
    <p class="pager">{{#prev}}<a href="{{prev}}" id="prev">← Previous page</a> {{/prev}}{{#next}}<a href="{{next}}" id="next">Next page →</a>{{/next}}</p>
    {{#canCreate}}<div class="card spaced" id="new-ticket"><h2>New ticket</h2>
    <form method="post" action="/admin/tickets" id="new-ticket-form">
    <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="site_key" value="{{siteKey}}">
    <label for="nt-subject">Subject</label><input type="text" id="nt-subject" name="subject" value="{{newSubject}}" maxlength="255" required>
    <div class="grid2"><div><label for="nt-email">Customer email</label><input type="email" id="nt-email" name="customer_email" value="{{newEmail}}" required></div>
    <div><label for="nt-name">Customer name</label><input type="text" id="nt-name" name="customer_name" value="{{newName}}"></div>
    <div><label for="nt-department">Department</label><select id="nt-department" name="department">{{#newDepartments}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/newDepartments}}</select></div>
    <div><label for="nt-priority">Priority</label><select id="nt-priority" name="priority">{{#newPriorities}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/newPriorities}}</select></div></div>
    <label for="nt-message">Message (the customer's request)</label><textarea id="nt-message" name="message" rows="5" required>{{newMessage}}</textarea>
    <button type="submit" id="create-ticket">Create ticket</button>
    </form></div>{{/canCreate}}
    {{/noSite}}
    {{/body}}{{/admin}}
    """

    static let ticket = """
    {{<admin}}{{$body}}
    {{#missing}}<div class="card" id="not-found"><p><strong>{{missing}}</strong></p><p class="hint"><a href="/admin/tickets">Back to the tickets</a></p></div>{{/missing}}
    {{#t}}
    <p class="hint"><a href="/admin/tickets" id="back-to-queue">← Tickets</a></p>
    <div class="card" id="ticket-head">
    <h2 id="ticket-subject">{{id}} · {{subject}}</h2>
    <dl class="facts">
    <dt>Status</dt><dd id="t-status">{{status}}</dd>
    <dt>Priority</dt><dd id="t-priority"><span class="prio prio-{{priority}}">{{priority}}</span></dd>
    <dt>Department</dt><dd id="t-department">{{department}}</dd>
    <dt>Assignee</dt><dd id="t-assignee">{{assignee}}</dd>
    <dt>Customer</dt><dd id="t-customer">{{customerName}} <span class="hint">{{customerEmail}}</span></dd>
    <dt>Opened</dt><dd id="t-created">{{created}}</dd>
    {{#clocks}}<dt>{{label}} due</dt><dd id="t-sla-{{clockID}}" class="sla-{{state}}">{{due}}{{#stateLabel}} <span class="tag sla-tag">{{stateLabel}}</span>{{/stateLabel}}{{#note}} <span class="hint">{{note}}</span>{{/note}}</dd>{{/clocks}}
    </dl>
    {{#locked}}<p class="tag" id="locked-tag">Locked: customers and the AI cannot reply</p>{{/locked}}
    {{#mergedInto}}<p class="banner bad" id="merged-into">Merged into <a href="/admin/tickets/{{mergedNumber}}">{{mergedInto}}</a>: reply there.</p>{{/mergedInto}}
    {{#hasTicketFiles}}<p>Files: {{#ticketFiles}}<a href="{{href}}" class="attachment">{{name}}</a> ({{size}}) {{/ticketFiles}}</p>{{/hasTicketFiles}}
    </div>
    <div class="card" id="customer-panel"><h2>Customer</h2>
    <p>{{customerName}} <span class="hint">{{customerEmail}}</span> · <span id="customer-ticket-count">{{customerTicketCount}}</span> ticket(s) in this site</p>
    {{#hasPrevious}}<ul id="previous-tickets">{{#previous}}<li><a href="/admin/tickets/{{pnumber}}">{{pid}}</a> {{psubject}} <span class="hint">{{pstatus}} · {{pcreated}}</span></li>{{/previous}}</ul>{{/hasPrevious}}
    {{^hasPrevious}}<p class="hint" id="no-previous">No other tickets from this customer.</p>{{/hasPrevious}}
    </div>
    <ol class="thread" id="thread">
    {{#messages}}<li class="msg {{kind}}{{#internal}} note{{/internal}}" id="msg-{{mid}}"><div class="meta"><strong>{{kindLabel}}</strong>{{#internal}} <span class="tag">internal note</span>{{/internal}} {{author}} · <time>{{at}}</time></div><div class="body">{{body}}</div>{{#hasFormatted}}<p class="hint"><a href="{{formatted}}" target="_blank" rel="noopener" class="show-formatted">Show formatted</a> (the email's HTML, sanitised, in a new tab)</p>{{/hasFormatted}}{{#hasFiles}}<ul class="files">{{#files}}<li><a href="{{href}}" class="attachment">{{name}}</a> ({{size}})</li>{{/files}}</ul>{{/hasFiles}}</li>
    {{/messages}}
    </ol>
    <div class="card" id="reply-card"><h2>Reply</h2>
    {{#hasCanned}}<form method="get" action="/admin/tickets/{{number}}" id="canned-form" class="row">
    <label for="canned">Canned response</label><select id="canned" name="canned" data-autosubmit><option value="">Choose one…</option>{{#canned}}<option value="{{cid}}"{{#selected}} selected{{/selected}}>{{title}} ({{shortcut}})</option>{{/canned}}</select>
    <button class="small" id="insert-canned">Insert</button>
    </form>{{/hasCanned}}
    <form method="post" action="/admin/tickets/{{number}}/reply" id="reply-form" enctype="multipart/form-data">
    \(ticketFormFields)
    <label for="reply-message" class="sr">Message</label><textarea id="reply-message" name="message" rows="7" required>{{draft}}</textarea>
    <label class="check" for="internal"><input type="checkbox" id="internal" name="internal" value="on"> Internal note (staff only, never shown to the customer)</label>
    <label for="reply-files">Attach files (up to {{maxMB}} MB each)</label><input type="file" id="reply-files" name="files" multiple>
    <button type="submit" id="send-reply">Add to ticket</button>
    </form></div>
    <div class="card" id="ticket-actions"><h2>Ticket</h2>
    <div class="grid2">
    <form method="post" action="/admin/actions/tickets.update" id="status-form">\(ticketFormFields)<input type="hidden" name="done" value="Status changed.">
    <label for="status">Status</label><select id="status" name="status">{{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statusOptions}}</select> <button class="small" id="set-status">Set status</button></form>
    <form method="post" action="/admin/actions/tickets.update" id="priority-form">\(ticketFormFields)<input type="hidden" name="done" value="Priority changed.">
    <label for="priority">Priority</label><select id="priority" name="priority">{{#priorityOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/priorityOptions}}</select> <button class="small" id="set-priority">Set priority</button></form>
    {{#hasDepartments}}<form method="post" action="/admin/actions/tickets.update" id="department-form">\(ticketFormFields)<input type="hidden" name="done" value="Department changed.">
    <label for="department">Department</label><select id="department" name="department">{{#departmentOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/departmentOptions}}</select> <button class="small" id="set-department">Move</button></form>{{/hasDepartments}}
    <form method="post" action="/admin/actions/tickets.assign" id="assign-form">\(ticketFormFields)<input type="hidden" name="done" value="Assignee changed.">
    <label for="assignee_id">Assignee</label><select id="assignee_id" name="assignee_id">{{#assigneeOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/assigneeOptions}}</select> <button class="small" id="assign">Assign</button></form>
    <form method="post" action="/admin/actions/tickets.merge" id="merge-form">\(ticketFormFields)<input type="hidden" name="done" value="Merged {{id}}.">
    <label for="into_ticket_id">Merge this ticket into</label><input type="text" id="into_ticket_id" name="into_ticket_id" placeholder="T-123" required> <button class="small danger" id="merge">Merge</button>
    <div class="hint">Every message moves to that ticket; this one is tagged [MERGED] and closed.</div></form>
    <div><label>Thread</label>
    <form method="post" action="/admin/actions/tickets.lock" class="inline" id="lock-form">\(ticketFormFields){{#locked}}<input type="hidden" name="locked" value="false"><input type="hidden" name="done" value="Unlocked {{id}}."><button class="small" id="unlock">Unlock thread</button>{{/locked}}{{^locked}}<input type="hidden" name="locked" value="true"><input type="hidden" name="done" value="Locked {{id}}."><button class="small" id="lock">Lock thread</button>{{/locked}}</form>
    {{#finished}}<form method="post" action="/admin/actions/tickets.reopen" class="inline" id="reopen-form">\(ticketFormFields)<input type="hidden" name="done" value="Reopened {{id}}."><button class="small" id="reopen">Reopen</button></form>{{/finished}}
    {{^finished}}<form method="post" action="/admin/actions/tickets.close" class="inline" id="close-form">\(ticketFormFields)<input type="hidden" name="done" value="Closed {{id}}."><button class="small" id="close">Close ticket</button></form>{{/finished}}
    </div>
    </div></div>
    {{/t}}
    {{/body}}{{/admin}}
    """
}
