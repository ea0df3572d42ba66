import Foundation
import Ports

/// The `tickets.*` actions. Owners and Full Admins see every ticket of a site; Agents only those of
/// their departments there (a ticket outside them answers "not found", like a site they cannot see).
public enum TicketActions {
    static let staff: Set<Role> = [.owner, .fullAdmin, .agent]
    static let ticketParam = ActionParam("ticket_id", .any, required: true, "The ticket, as T-123 or 123.")

    /// What the actor may see in `ws`: Agents their live departments there, everyone else the whole site.
    static func scope(_ inv: ActionInvocation, departments: any DepartmentStore) async throws -> TicketScope {
        var scope = TicketScope.everything
        if case .user(let u, _) = inv.actor { scope = try await Self.scope(user: u, in: inv.workspace!.id, departments: departments) }
        scope.actor = actor(inv)
        return scope
    }

    /// The audit log's view of whoever runs the action.
    static func actor(_ inv: ActionInvocation) -> TicketActor {
        switch inv.actor {
        case .user(let u, _): return TicketActor(type: "user", id: u.id.raw, label: inv.actor.label, ip: inv.ip)
        case .apiKey(let k): return TicketActor(type: "api_key", id: k.id, label: inv.actor.label, ip: inv.ip)
        case .system: return TicketActor(type: "system", id: nil, label: inv.actor.label, ip: inv.ip)
        }
    }

    /// What a signed-in person may see in `ws` (the admin's web routes use it too).
    public static func scope(user u: User, in ws: WorkspaceID, departments: any DepartmentStore) async throws -> TicketScope {
        guard u.role == .agent else { return TicketScope(visibleDepartments: nil, userID: u.id) }
        let live = Set(try await departments.list(ws, includeArchived: false).map(\.id))
        return TicketScope(visibleDepartments: Set(try await departments.assignments(user: u.id)).intersection(live), userID: u.id)
    }

    /// The queue filter from its parts as people type them (status incl. `active`, department id or name,
    /// assignee `mine`, `none` or an id); `tickets.list` and the admin queue page both read filters through it.
    public static func queueFilter(_ ws: WorkspaceID, status: String?, department: JSONValue?, priority: String?, assignee: JSONValue?,
                                   limit: Int, offset: Int, scope: TicketScope, tickets s: TicketService, sort: String? = nil,
                                   customerEmail: String? = nil) async throws -> TicketFilter {
        var f = TicketFilter(limit: limit, offset: offset)
        if let sort, !sort.isEmpty {
            guard let v = TicketSort(rawValue: sort) else {
                throw DomainError.validation(field: "sort", message: "must be one of " + TicketSort.allCases.map(\.rawValue).joined(separator: ", "))
            }
            f.sort = v
        }
        if let e = customerEmail?.trimmingCharacters(in: .whitespaces).lowercased(), !e.isEmpty { f.customerEmail = e }
        switch status {
        case nil: break
        case "active"?: f.statuses = [.open, .pending, .waitingOnCustomer]
        case let st?:
            guard let v = TicketStatus(rawValue: st) else {
                throw DomainError.validation(field: "status", message: "must be active or one of " + TicketStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
            f.statuses = [v]
        }
        if let d = department { f.departmentID = try await s.department(ws, d).id }
        if let p = priority {
            guard let v = TicketPriority(rawValue: p) else {
                throw DomainError.validation(field: "priority", message: "must be one of " + TicketPriority.allCases.map(\.rawValue).joined(separator: ", "))
            }
            f.priority = v
        }
        if let a = assignee {
            switch a.stringValue?.lowercased() {
            case "mine"?:
                guard let me = scope.userID else { throw DomainError.validation(field: "assignee", message: "'mine' needs a signed-in person; pass a team member's id") }
                f.assignee = .user(me)
            case "none"?: f.assignee = .nobody
            default:
                guard let id = a.intValue ?? a.stringValue.flatMap({ Int64($0) }), id > 0 else {
                    throw DomainError.validation(field: "assignee", message: "must be mine, none or a team member's id")
                }
                f.assignee = .user(UserID(id))
            }
        }
        return f
    }

    static func author(_ inv: ActionInvocation) -> TicketAuthor {
        switch inv.actor {
        case .user(let u, _): return .agent(u.id, email: u.email)
        case .apiKey, .system: return .agent(nil, email: inv.actor.label)
        }
    }

    public static func register(into r: inout ActionRegistry, tickets s: TicketService) {
        let statuses = TicketStatus.allCases.map(\.rawValue)
        let priorities = TicketPriority.allCases.map(\.rawValue)
        r.register(ActionDefinition(name: "tickets.list", summary: "List tickets, most recently active first (or by sort). Agents see their departments' tickets.", scope: "tickets.read",
                                    roles: staff, risk: .read, workspaceScoped: true,
                                    params: [ActionParam("status", .string(maxLength: 40, enumValues: statuses + ["active"]), "Only this status (active: open, pending and waiting on customer)."),
                                             ActionParam("department", .any, "Only this department (id or name)."),
                                             ActionParam("priority", .string(maxLength: 10, enumValues: priorities), "Only this priority."),
                                             ActionParam("assignee", .any, "mine, none, or a team member's id."),
                                             ActionParam("customer_email", .string(maxLength: 190), "Only this customer's tickets."),
                                             ActionParam("sort", .string(maxLength: 16, enumValues: TicketSort.allCases.map(\.rawValue)),
                                                         "updated (default), due (the SLA clock due first), priority or created."),
                                             ActionParam("limit", .integer(min: 1, max: 100), "Page size (default 25)."),
                                             ActionParam("offset", .integer(min: 0, max: 1_000_000), "How many to skip.")]) { inv in
            let ws = inv.workspace!.id
            let scope = try await scope(inv, departments: s.departments)
            let f = try await queueFilter(ws, status: inv.string("status"), department: inv.params["department"], priority: inv.string("priority"),
                                          assignee: inv.params["assignee"], limit: Int(inv.int("limit") ?? 25), offset: Int(inv.int("offset") ?? 0),
                                          scope: scope, tickets: s, sort: inv.string("sort"), customerEmail: inv.string("customer_email"))
            let page = try await s.list(ws, f, scope: scope)
            return .object(["tickets": .array(page.tickets.map(\.json)), "total": .int(Int64(page.total)), "limit": .int(Int64(f.limit)), "offset": .int(Int64(f.offset))])
        })
        r.register(ActionDefinition(name: "tickets.get", summary: "One ticket with its conversation (internal notes included unless include_internal is false).", scope: "tickets.read",
                                    roles: staff, risk: .read, workspaceScoped: true,
                                    params: [ticketParam, ActionParam("include_internal", .boolean, "Include staff-only notes (default true).")]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            let d = try await s.get(inv.workspace!.id, number: n, includeInternal: inv.bool("include_internal") ?? true, scope: try await scope(inv, departments: s.departments))
            return detail(d)
        })
        r.register(ActionDefinition(name: "tickets.create", summary: "Create a ticket; the message is the customer's request.", scope: "tickets.write",
                                    roles: staff, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("subject", .string(maxLength: 255), required: true, "The subject."),
                                             ActionParam("message", .string(maxLength: 200_000), required: true, "The customer's request."),
                                             ActionParam("department", .any, "The department (id or name); required for Agents."),
                                             ActionParam("customer_email", .string(maxLength: 190, format: "email"), required: true, "The customer's email."),
                                             ActionParam("customer_name", .string(maxLength: 190), "The customer's name."),
                                             ActionParam("priority", .string(maxLength: 10, enumValues: priorities), "low, normal (default), high or urgent."),
                                             ActionParam("notify_customer", .boolean, "Email the customer the ticket_received acknowledgement (default true).")]) { inv in
            let ws = inv.workspace!.id
            var dept: Int64? = nil
            if let ref = inv.params["department"] { dept = try await s.department(ws, ref).id }
            var input = TicketService.NewTicketInput(subject: inv.string("subject") ?? "", message: inv.string("message") ?? "", departmentID: dept,
                                                     customerEmail: inv.string("customer_email") ?? "", customerName: inv.string("customer_name") ?? "",
                                                     priority: inv.string("priority").flatMap(TicketPriority.init(rawValue:)) ?? .normal)
            input.acknowledge = inv.bool("notify_customer") ?? true
            let d = try await s.create(ws, input, scope: try await scope(inv, departments: s.departments))
            return detail(d)
        })
        r.register(ActionDefinition(name: "tickets.reply", summary: "Reply to a ticket, or add an internal note (staff only, never shown to customers).", scope: "tickets.write",
                                    roles: staff, risk: .write, workspaceScoped: true,
                                    params: [ticketParam, ActionParam("message", .string(maxLength: 200_000), required: true, "The reply."),
                                             ActionParam("internal", .boolean, "An internal note instead of a reply.")]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            let m = try await s.reply(inv.workspace!.id, number: n, body: inv.string("message") ?? "", author: author(inv), internalNote: inv.bool("internal") ?? false,
                                      scope: try await scope(inv, departments: s.departments))
            return m.json
        })
        r.register(ActionDefinition(name: "tickets.update", summary: "Change a ticket's status, priority, department or subject.", scope: "tickets.write",
                                    roles: staff, risk: .write, workspaceScoped: true,
                                    params: [ticketParam, ActionParam("status", .string(maxLength: 40, enumValues: statuses), "The new status."),
                                             ActionParam("priority", .string(maxLength: 10, enumValues: priorities), "The new priority."),
                                             ActionParam("department", .any, "The new department (id or name)."),
                                             ActionParam("subject", .string(maxLength: 255), "The new subject.")]) { inv in
            let ws = inv.workspace!.id
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            var c = TicketChanges(subject: inv.string("subject"), priority: inv.string("priority").flatMap(TicketPriority.init(rawValue:)),
                                  status: inv.string("status").flatMap(TicketStatus.init(rawValue:)))
            if let d = inv.params["department"] { c.departmentID = .some(try await s.department(ws, d).id) }
            return try await s.update(ws, number: n, c, scope: try await scope(inv, departments: s.departments)).json
        })
        r.register(ActionDefinition(name: "tickets.assign", summary: "Assign a ticket to a team member who can see its department (0 unassigns).", scope: "tickets.write",
                                    roles: staff, risk: .write, workspaceScoped: true,
                                    params: [ticketParam, ActionParam("assignee_id", .integer(min: 0), required: true, "The team member's id, or 0 to unassign.")]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            let a = inv.int("assignee_id")!
            return try await s.assign(inv.workspace!.id, number: n, to: a == 0 ? nil : UserID(a), scope: try await scope(inv, departments: s.departments)).json
        })
        r.register(ActionDefinition(name: "tickets.merge", summary: "Merge a duplicate into another ticket: every message moves to the survivor; the duplicate is tagged [MERGED] and closed.",
                                    scope: "tickets.write", roles: staff, risk: .destructive, workspaceScoped: true,
                                    params: [ActionParam("ticket_id", .any, required: true, "The duplicate to merge away (T-123 or 123)."),
                                             ActionParam("into_ticket_id", .any, required: true, "The ticket that survives.")]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            let into = try TicketService.parseNumber(inv.params["into_ticket_id"], field: "into_ticket_id")
            return detail(try await s.merge(inv.workspace!.id, number: n, into: into, scope: try await scope(inv, departments: s.departments)))
        })
        r.register(ActionDefinition(name: "tickets.close", summary: "Close a ticket (it reopens if the customer replies).", scope: "tickets.write",
                                    roles: staff, risk: .write, workspaceScoped: true, params: [ticketParam]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            return try await s.setStatus(inv.workspace!.id, number: n, to: .closed, scope: try await scope(inv, departments: s.departments)).json
        })
        r.register(ActionDefinition(name: "tickets.reopen", summary: "Reopen a resolved or closed ticket.", scope: "tickets.write",
                                    roles: staff, risk: .write, workspaceScoped: true, params: [ticketParam]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            return try await s.setStatus(inv.workspace!.id, number: n, to: .open, scope: try await scope(inv, departments: s.departments)).json
        })
        r.register(ActionDefinition(name: "tickets.lock", summary: "Lock the thread so customers and the AI cannot reply (unlock with locked=false).", scope: "tickets.write",
                                    roles: staff, risk: .write, workspaceScoped: true,
                                    params: [ticketParam, ActionParam("locked", .boolean, "false unlocks (default true).")]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            return try await s.lock(inv.workspace!.id, number: n, locked: inv.bool("locked") ?? true, scope: try await scope(inv, departments: s.departments)).json
        })
    }

    static func detail(_ d: TicketDetail) -> JSONValue {
        guard case .object(var o) = d.ticket.json else { return .null }
        o["messages"] = .array(d.messages.map(\.json))
        return .object(o)
    }
}
