import Foundation
import Ports

/// The `canned.*` actions. Owners and Full Admins manage a site's canned responses; Agents list and
/// render those of their departments and those for every department.
public enum CannedResponseActions {
    static let admins: Set<Role> = [.owner, .fullAdmin]
    static let idParam = ActionParam("id", .integer(min: 1), required: true, "The canned response's id.")

    public static func register(into r: inout ActionRegistry, canned s: CannedResponses) {
        let known = "Variables: " + TemplateVariables.all.map(\.token).joined(separator: ", ") + "."
        r.register(ActionDefinition(name: "canned.list", summary: "List a site's canned responses (with department: that department's and those for every department). Also returns the template variables.",
                                    scope: "tickets.read", roles: TicketActions.staff, risk: .read, workspaceScoped: true,
                                    params: [ActionParam("department", .any, "Only responses usable in this department (id or name).")]) { inv in
            let ws = inv.workspace!.id
            var dept: Int64? = nil
            if let ref = inv.params["department"], ref != .null { dept = try await s.tickets.department(ws, ref).id }
            let list = try await s.list(ws, department: dept, scope: try await TicketActions.scope(inv, departments: s.tickets.departments))
            return .object(["responses": .array(list.map(\.json)), "variables": TemplateVariables.json])
        })
        r.register(ActionDefinition(name: "canned.create", summary: "Create a canned response. \(known)", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: fieldParams(required: true)) { inv in
            let ws = inv.workspace!.id
            var by: UserID? = nil
            if case .user(let u, _) = inv.actor { by = u.id }
            return try await s.create(ws, try await fields(inv, s, base: nil), by: by).json
        })
        r.register(ActionDefinition(name: "canned.update", summary: "Change a canned response; fields left out keep their value. \(known)", scope: "settings.write", roles: admins,
                                    risk: .write, workspaceScoped: true, params: [idParam] + fieldParams(required: false)) { inv in
            let ws = inv.workspace!.id
            let id = inv.int("id")!
            let current = try await s.get(ws, id: id, scope: .everything)
            return try await s.update(ws, id: id, try await fields(inv, s, base: current)).json
        })
        r.register(ActionDefinition(name: "canned.delete", summary: "Delete a canned response.", scope: "settings.write", roles: admins, risk: .destructive, workspaceScoped: true,
                                    params: [idParam]) { inv in
            let id = inv.int("id")!
            try await s.delete(inv.workspace!.id, id: id)
            return .object(["id": .int(id), "deleted": .bool(true)])
        })
        r.register(ActionDefinition(name: "canned.render", summary: "A canned response filled in for a ticket (its customer, you as the agent, its department's signature), as plain text.",
                                    scope: "tickets.read", roles: TicketActions.staff, risk: .read, workspaceScoped: true,
                                    params: [idParam, TicketActions.ticketParam]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            var agentName = ""
            if case .user(let u, _) = inv.actor { agentName = u.name }
            let out = try await s.render(inv.workspace!.id, id: inv.int("id")!, ticketNumber: n, agentName: agentName, siteName: inv.workspace!.name,
                                         scope: try await TicketActions.scope(inv, departments: s.tickets.departments))
            return .object(["id": .int(out.response.id), "ticket_id": .string("T-\(n)"), "text": .string(out.text)])
        })
    }

    static func fieldParams(required: Bool) -> [ActionParam] {
        [ActionParam("title", .string(maxLength: CannedResponses.maxTitle), required: required, "What agents pick it by, e.g. Refund issued."),
         ActionParam("body", .string(maxLength: CannedResponses.maxBody), required: required, "The reply, with {{variables}}."),
         ActionParam("shortcut", .string(maxLength: 49), required: required, "Typed to insert it, like /refund (unique in the site)."),
         ActionParam("department", .any, "Only for this department (id or name); 0 or \"every\": every department (left out: unchanged, or every department when creating).")]
    }

    static func fields(_ inv: ActionInvocation, _ s: CannedResponses, base: CannedResponse?) async throws -> CannedResponseFields {
        let ws = inv.workspace!.id
        var dept = base?.departmentID
        if let ref = inv.params["department"] {
            // 0 (or "every") means every department; null is the same when creating (a null parameter counts as left out).
            let every = ref == .null || ref.intValue == 0 || ["", "0", "every"].contains(ref.stringValue?.lowercased() ?? "-")
            dept = every ? nil : try await s.tickets.department(ws, ref).id
        }
        return CannedResponseFields(title: inv.string("title") ?? base?.title ?? "", body: inv.string("body") ?? base?.body ?? "",
                                    departmentID: dept, shortcut: inv.string("shortcut") ?? base?.shortcut ?? "")
    }
}
