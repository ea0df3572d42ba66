import Composition
import Domain
import Foundation
import Hummingbird
import Ports

/// The ticket pages: the queue (`/admin/tickets`) and one ticket (`/admin/tickets/:id`). Reads go
/// through TicketService with `TicketActions.scope`, the rule the `tickets.*` actions use, so an Agent
/// sees the same tickets here as through the API. Every change is a form posted to
/// `/admin/actions/<name>` (CSRF, role and department checks in the action registry) or, for a new
/// ticket, to `POST /admin/tickets`, which calls `tickets.create` too.
extension AdminRoutes {
    static let ticketPageSize = 25

    func registerTickets(on admin: RouterGroup<AppContext>) {
        admin.get("tickets") { request, ctx -> Response in try await queuePage(request, ctx) }
        admin.post("tickets") { request, ctx -> Response in
            let f = try await form(request, ctx)
            do {
                let r = try await invoke("tickets.create", form: f, ctx: ctx)
                return Self.flashRedirect("/admin/tickets/\(r["number"]?.intValue ?? 0)", flash: "Created \(r["id"]?.stringValue ?? "the ticket").")
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Tickets") }
                return try await queuePage(request, ctx, newTicket: f, error: e.description)
            }
        }
        // `:id`, like the attachment route below it, so the router sees one parameter at this level.
        admin.get("tickets/:id") { request, ctx -> Response in try await ticketPage(request, ctx) }
        admin.get("tickets/:id/messages/:mid/formatted") { request, ctx -> Response in try await formattedMessagePage(request, ctx) }
        // The reply form: a multipart body with the message, the internal-note box and any files.
        admin.post("tickets/:id/reply") { request, ctx -> Response in try await replyWithFiles(request, ctx) }
    }

    /// Posts a reply (or internal note) with its files: every file is checked (size, type) before anything
    /// is written, then the reply goes through `tickets.reply` and each file is attached to that message.
    func replyWithFiles(_ request: Request, _ ctx: AppContext) async throws -> Response {
        let raw = ctx.parameters.get("id") ?? ""
        let number = try? TicketService.parseNumber(.string(raw), field: "ticket_id")
        let back = number.map { "/admin/tickets/\($0)" } ?? "/admin/tickets"
        guard let number else { return Self.flashRedirect(back, error: "ticket_id: must be a ticket id like T-123 or 123") }
        let (all, current) = try await sites(ctx)
        guard var site = current else { return Self.flashRedirect(back, error: "No site is available to you.") }
        let maxMB = try await services.attachments.maxMB(site.id)
        // Up to five files of the largest allowed size, plus the text.
        let limit = maxMB * 5 * 1_048_576 + 1_048_576
        var fields: [(String, String)] = [], files: [MultipartPart] = []
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch {
            return Self.flashRedirect(back, error: "files: the upload is larger than \(limit / 1_048_576) MB in all; attach fewer or smaller files (each up to \(maxMB) MB)")
        }
        if let boundary = MultipartForm.boundary(contentType: request.headers[.contentType] ?? "") {
            do {
                for part in try MultipartForm.parse(Array(buffer.readableBytesView), boundary: boundary) {
                    if let name = part.fileName {
                        if !name.isEmpty || !part.data.isEmpty { files.append(part) }
                    } else {
                        fields.append((part.name, String(decoding: part.data, as: UTF8.self)))
                    }
                }
            } catch let e as MultipartError {
                return Self.flashRedirect(back, error: "files: \(e.description)")
            }
        } else {
            let f = FormData(String(buffer: buffer))
            fields = f.values.map { ($0.key, $0.value) }
        }
        let f = FormData(fields: fields)
        guard let s = ctx.identity, constantTimeEquals(s.session.csrfToken, f["_csrf"]) else { throw CSRFRejected() }
        if let key = f.values["site_key"], let chosen = all.first(where: { $0.siteKey == key }) { site = chosen }
        guard files.count <= 5 else { return Self.flashRedirect(back, error: "files: attach at most 5 files to one reply") }
        do {
            for file in files {
                _ = try AttachmentRules.check(fileName: AttachmentRules.displayName(file.fileName ?? ""), bytes: file.data, maxMB: maxMB)
            }
            let reply = try await invoke("tickets.reply", form: f, ctx: ctx)
            var scope = try await TicketActions.scope(user: s.user, in: site.id, departments: services.departments)
            scope.actor = TicketActor(type: "user", id: s.user.id.raw, label: s.user.email, ip: ctx.clientIP)
            for file in files {
                _ = try await services.attachments.attach(site.id, number: number, messageID: reply["id"]?.intValue, fileName: file.fileName ?? "",
                                                          bytes: file.data, scope: scope)
            }
            return Self.flashRedirect(back, flash: files.isEmpty ? "Added to T-\(number)." : "Added to T-\(number) with \(files.count) file(s).")
        } catch let e as DomainError {
            if case .forbidden = e { return try await forbidden(ctx, title: "Tickets") }
            return Self.flashRedirect(back, error: e.description)
        }
    }

    /// The site's time zone for showing times (UTC when unset or unknown).
    func timeFormatter(_ site: Workspace) async throws -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        f.timeZone = try await services.settings.value("timezone", workspace: site.id)?.stringValue.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
        return f
    }

    static func statusLabel(_ s: TicketStatus) -> String {
        switch s {
        case .open: return "Open"
        case .pending: return "Pending"
        case .waitingOnCustomer: return "Waiting on customer"
        case .resolved: return "Resolved"
        case .closed: return "Closed"
        }
    }

    static func slaLabel(_ s: TicketSLAState) -> String {
        switch s {
        case .none: return ""
        case .paused: return "paused"
        case .onTrack: return ""
        case .dueSoon: return "due soon"
        case .overdue: return "overdue"
        }
    }

    static func options(_ values: [(String, String)], selected: String) -> [[String: Any]] {
        values.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == selected] }
    }

    // MARK: - The queue

    func queuePage(_ request: Request, _ ctx: AppContext, newTicket: FormData? = nil, error: String? = nil) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Tickets", active: "tickets"), request)
        guard let site = try await sites(ctx).current else {
            m["noSite"] = true
            return renderer.html("tickets", m)
        }
        let scope = try await TicketActions.scope(user: ctx.identity!.user, in: site.id, departments: services.departments)
        let q = request.uri.queryParameters
        func param(_ k: String) -> String? { q.get(k).flatMap { $0.isEmpty ? nil : $0 } }
        let page = max(1, param("page").flatMap { Int($0) } ?? 1)
        let (status, department, priority, assignee) = (param("status") ?? "", param("department") ?? "", param("priority") ?? "", param("assignee") ?? "")
        let sort = param("sort") ?? ""

        let allDepartments = try await services.departments.list(site.id, includeArchived: true)
        let departmentNames = Dictionary(uniqueKeysWithValues: allDepartments.map { ($0.id, $0.name) })
        let mine = allDepartments.filter { !$0.archived && (scope.visibleDepartments?.contains($0.id) ?? true) }
        let userNames = Dictionary(uniqueKeysWithValues: try await services.db.read { try await services.users.all(in: $0) }.map { ($0.id, $0.name) })
        let times = try await timeFormatter(site)
        let now = services.clock.now()

        var rows: [[String: Any]] = [], total = 0
        do {
            let filter = try await TicketActions.queueFilter(site.id, status: param("status"), department: param("department").map { .string($0) }, priority: param("priority"),
                                                             assignee: param("assignee").map { .string($0) }, limit: Self.ticketPageSize,
                                                             offset: (page - 1) * Self.ticketPageSize, scope: scope, tickets: services.tickets, sort: sort)
            let result = try await services.tickets.list(site.id, filter, scope: scope)
            total = result.total
            rows = result.tickets.map { t in
                let sla = t.slaState(now: now)
                let clock = t.nearestClock
                return ["number": t.number, "id": t.displayID, "subject": t.subject, "customerName": t.customerName, "customerEmail": t.customerEmail,
                        "department": t.departmentID.flatMap { departmentNames[$0] } ?? "—", "priority": t.priority.rawValue, "status": Self.statusLabel(t.status),
                        "assignee": t.assigneeID.flatMap { userNames[$0] } ?? "—", "slaDue": clock.map { times.string(from: $0.due) } ?? "—",
                        "slaClock": clock?.metric.label ?? "", "slaClass": sla.rawValue, "slaLabel": Self.slaLabel(sla),
                        "breached": SLAMetric.allCases.contains { t.breachedAt($0) != nil } && !t.isFinished,
                        "updated": times.string(from: t.updatedAt), "locked": t.locked]
            }
        } catch let e as DomainError {
            m["error"] = e.description
        }

        func link(page p: Int) -> String {
            var parts: [String] = []
            for (k, v) in [("status", status), ("department", department), ("priority", priority), ("assignee", assignee), ("sort", sort)] where !v.isEmpty {
                parts.append("\(k)=\(v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
            }
            if p > 1 { parts.append("page=\(p)") }
            return "/admin/tickets" + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&"))
        }
        let pages = max(1, (total + Self.ticketPageSize - 1) / Self.ticketPageSize)
        m["rows"] = rows
        m["total"] = total
        m["page"] = page
        m["pages"] = pages
        if page > 1 { m["prev"] = link(page: page - 1) }
        if page < pages { m["next"] = link(page: page + 1) }
        m["mineActive"] = assignee == "mine"
        m["siteKey"] = site.siteKey
        m["siteName"] = site.name
        m["statusOptions"] = Self.options([("", "Any status"), ("active", "Active (open, pending, waiting)")] + TicketStatus.allCases.map { ($0.rawValue, Self.statusLabel($0)) },
                                          selected: status)
        m["departmentOptions"] = Self.options([("", "Any department")] + mine.map { (String($0.id), $0.name) }, selected: department)
        m["priorityOptions"] = Self.options([("", "Any priority")] + TicketPriority.allCases.map { ($0.rawValue, $0.rawValue.capitalized) }, selected: priority)
        m["assigneeOptions"] = Self.options([("", "Anyone"), ("mine", "Me"), ("none", "Nobody")], selected: assignee)
        m["sortOptions"] = Self.options([("", "Latest activity"), ("due", "SLA due first"), ("priority", "Priority"), ("created", "Newest")], selected: sort)
        // The new-ticket form, kept filled in when it comes back with an error.
        let n = newTicket
        m["newSubject"] = n?["subject"] ?? ""
        m["newEmail"] = n?["customer_email"] ?? ""
        m["newName"] = n?["customer_name"] ?? ""
        m["newMessage"] = n?["message"] ?? ""
        let agent = scope.visibleDepartments != nil
        m["newDepartments"] = Self.options((agent ? [] : [("", "No department")]) + mine.map { (String($0.id), $0.name) }, selected: n?["department"] ?? "")
        m["newPriorities"] = Self.options(TicketPriority.allCases.map { ($0.rawValue, $0.rawValue.capitalized) }, selected: n?["priority"] ?? "normal")
        m["canCreate"] = !agent || !mine.isEmpty
        if let error { m["error"] = error }
        return renderer.html("tickets", m, status: error == nil ? .ok : .unprocessableContent)
    }

    // MARK: - One ticket

    func ticketPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Ticket", active: "tickets"), request)
        let me = ctx.identity!.user
        guard let site = try await sites(ctx).current else {
            m["missing"] = "No site is available to you."
            return renderer.html("ticket", m, status: .notFound)
        }
        let scope = try await TicketActions.scope(user: me, in: site.id, departments: services.departments)
        let detail: TicketDetail, files: [TicketAttachment]
        do {
            let number = try TicketService.parseNumber(ctx.parameters.get("id").map { .string($0) }, field: "ticket_id")
            detail = try await services.tickets.get(site.id, number: number, includeInternal: true, scope: scope)
            files = try await services.attachments.list(site.id, number: number, includeInternal: true, scope: scope)
        } catch let e as DomainError {
            // Another department's ticket looks exactly like one that does not exist.
            m["missing"] = e.description
            return renderer.html("ticket", m, status: .notFound)
        }
        let t = detail.ticket
        m["pageTitle"] = "\(t.displayID) · \(t.subject)"
        let times = try await timeFormatter(site)
        let now = services.clock.now()
        let users = try await services.db.read { try await services.users.all(in: $0) }
        let userNames = Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.name) })
        let allDepartments = try await services.departments.list(site.id, includeArchived: true)
        let mine = allDepartments.filter { !$0.archived && (scope.visibleDepartments?.contains($0.id) ?? true) }
        let sla = t.slaState(now: now)

        var v: [String: Any] = [
            "number": t.number, "id": t.displayID, "subject": t.subject, "status": Self.statusLabel(t.status), "priority": t.priority.rawValue,
            "department": t.departmentID.flatMap { d in allDepartments.first { $0.id == d }?.name } ?? "—",
            "assignee": t.assigneeID.flatMap { userNames[$0] } ?? "Nobody", "customerName": t.customerName, "customerEmail": t.customerEmail,
            "slaClass": sla.rawValue, "slaLabel": Self.slaLabel(sla), "locked": t.locked,
            "finished": t.status == .closed || t.status == .resolved, "siteKey": site.siteKey, "created": times.string(from: t.createdAt),
        ]
        // The three SLA clocks: due time, state, breach and outcome.
        let outcomes = try await services.db.read { try await services.tickets.store.slaOutcomes(site.id, ticketID: t.id, in: $0) }
        v["clocks"] = SLAMetric.allCases.map { metric -> [String: Any] in
            let due = t.due(metric)
            var state = "none", note = ""
            if let due {
                state = t.slaPausedAt != nil ? "paused" : now >= due ? "overdue" : due.timeIntervalSince(now) <= TicketSLAState.dueSoonWindow ? "due_soon" : "on_track"
            }
            if let last = outcomes.last(where: { $0.metric == metric.rawValue }) {
                note = (last.hit ? "met " : "missed ") + times.string(from: last.achievedAt)
            } else if metric == .firstResponse, let at = t.firstResponseAt {
                note = "answered " + times.string(from: at)
            }
            if t.breachedAt(metric) != nil, due != nil { note = (note.isEmpty ? "" : note + " · ") + "breached" }
            let label: String
            switch state {
            case "paused": label = "paused"
            case "overdue": label = "overdue"
            case "due_soon": label = "due soon"
            default: label = ""
            }
            return ["clockID": metric.rawValue, "label": metric.label, "due": due.map { times.string(from: $0) } ?? "—", "state": state,
                    "stateLabel": label, "note": note]
        }
        // The customer: their other tickets in this site (those this person may see), newest first.
        let previous = try await services.tickets.list(site.id, TicketFilter(customerEmail: t.customerEmail, sort: .created, limit: 11), scope: scope)
        let others = previous.tickets.filter { $0.id != t.id }.prefix(10)
        v["previous"] = others.map { ["pnumber": $0.number, "pid": $0.displayID, "psubject": $0.subject, "pstatus": Self.statusLabel($0.status),
                                      "pcreated": times.string(from: $0.createdAt)] }
        v["hasPrevious"] = !others.isEmpty
        v["customerTicketCount"] = previous.total
        v["maxMB"] = try await services.attachments.maxMB(site.id)
        if let survivor = t.mergedInto, let s = try await services.db.read({ try await services.tickets.store.find(site.id, id: survivor, in: $0) }) {
            v["mergedInto"] = s.displayID
            v["mergedNumber"] = s.number
        }
        let withHTML = try await services.db.read { try await services.mailboxes.importer.html.messagesWithHTML(site.id, ticketID: t.id, in: $0) }
        let byMessage = Dictionary(grouping: files, by: \.messageID)
        func fileRows(_ list: [TicketAttachment]) -> [[String: Any]] {
            list.map { ["href": "/admin/tickets/\(t.number)/attachments/\($0.id)?site=\(site.siteKey)", "name": $0.fileName, "size": Self.size($0.size)] }
        }
        v["messages"] = detail.messages.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map { msg -> [String: Any] in
            let author: String
            switch msg.authorKind {
            case .customer: author = msg.authorEmail == t.customerEmail && !t.customerName.isEmpty ? "\(t.customerName) <\(msg.authorEmail)>" : msg.authorEmail
            case .agent: author = msg.authorUserID.flatMap { userNames[$0] } ?? msg.authorEmail
            case .ai: author = "AI"
            case .system: author = "OpsIQ"
            }
            let attached = fileRows(byMessage[msg.id] ?? [])
            return ["mid": msg.id, "kind": msg.authorKind.rawValue, "kindLabel": msg.authorKind.rawValue.capitalized, "author": author, "body": msg.body,
                    "internal": msg.internalNote, "at": times.string(from: msg.createdAt), "files": attached, "hasFiles": !attached.isEmpty,
                    "hasFormatted": withHTML.contains(msg.id), "formatted": "/admin/tickets/\(t.number)/messages/\(msg.id)/formatted"]
        }
        let loose = fileRows(byMessage[nil] ?? [])
        v["ticketFiles"] = loose
        v["hasTicketFiles"] = !loose.isEmpty

        // Forms: current values selected; the choices are what this person may pick (the actions check again).
        v["statusOptions"] = Self.options(TicketStatus.allCases.map { ($0.rawValue, Self.statusLabel($0)) }, selected: t.status.rawValue)
        v["priorityOptions"] = Self.options(TicketPriority.allCases.map { ($0.rawValue, $0.rawValue.capitalized) }, selected: t.priority.rawValue)
        v["departmentOptions"] = Self.options(mine.map { (String($0.id), $0.name) }, selected: t.departmentID.map { String($0) } ?? "")
        v["hasDepartments"] = !mine.isEmpty
        v["assigneeOptions"] = Self.options([("0", "Nobody")] + users.filter(\.active).map { (String($0.id.raw), "\($0.name) (\($0.role.displayName))") },
                                            selected: String(t.assigneeID?.raw ?? 0))

        // Canned responses of the ticket's department (and those for every department); `?canned=<id>`
        // fills the reply box server-side, so picking one needs no script beyond the auto-submitting select.
        let cannedID = request.uri.queryParameters.get("canned").flatMap { Int64($0) }
        let canned = try await services.canned.list(site.id, department: t.departmentID, scope: scope)
        v["canned"] = canned.map { ["cid": $0.id, "title": $0.title, "shortcut": $0.shortcut, "selected": $0.id == cannedID] }
        v["hasCanned"] = !canned.isEmpty
        v["draft"] = ""
        if let cannedID {
            do {
                v["draft"] = try await services.canned.render(site.id, id: cannedID, ticketNumber: t.number, agentName: me.name, siteName: site.name, scope: scope).text
            } catch let e as DomainError {
                m["error"] = "canned: " + e.description
            }
        }
        m["t"] = v
        return renderer.html("ticket", m)
    }

    static func size(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return "\(bytes / 1024) KB" }
        return String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }
}
