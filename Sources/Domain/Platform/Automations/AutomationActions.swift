import Foundation
import Ports

/// `automations.*`: list, read, save, delete, run now, dry run and the run log, for Owners and Full
/// Admins (and API keys with `settings.read` / `settings.write`). The admin pages call the same actions.
public enum AutomationActions {
    static let admins: Set<Role> = [.owner, .fullAdmin]
    static let idParam = ActionParam("id", .integer(min: 1), required: true, "The automation's id.")

    static func userID(_ inv: ActionInvocation) -> UserID? {
        if case .user(let u, _) = inv.actor { return u.id }
        return nil
    }

    public static func register(into r: inout ActionRegistry, automations s: Automations) {
        let base = s.baseURL
        r.register(ActionDefinition(name: "automations.list", summary: "The site's automations with their triggers, conditions and steps.", scope: "settings.read",
                                    roles: admins, risk: .read, workspaceScoped: true) { inv in
            .object(["automations": .array(try await s.list(inv.workspace!.id).map { $0.json(baseURL: base) })])
        })
        r.register(ActionDefinition(name: "automations.get", summary: "One automation and its latest runs.", scope: "settings.read",
                                    roles: admins, risk: .read, workspaceScoped: true, params: [idParam]) { inv in
            let a = try await s.get(inv.workspace!.id, id: inv.int("id")!)
            guard case .object(var o) = a.json(baseURL: base) else { return .null }
            o["runs"] = .array(try await s.runs(inv.workspace!.id, id: a.id, limit: 20).map(\.json))
            return .object(o)
        })
        r.register(ActionDefinition(name: "automations.save", summary: "Create (no id) or update an automation. The condition is checked with its error position; unknown template variables are refused.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("id", .integer(min: 1), "The automation to update; absent creates one."),
                                             ActionParam("name", .string(maxLength: 190), required: true, "A name people recognise."),
                                             ActionParam("trigger", .object, required: true, "{kind: webhook|schedule|event|manual, cron, events, for_each, signature_header}."),
                                             ActionParam("condition", .string(maxLength: Condition.maxLength), "e.g. payload.status = \"down\" (empty: always)."),
                                             ActionParam("steps", .array(.object, maxItems: Automation.maxSteps), required: true, "[{action, params}] in order; texts may use {{payload.x}} and {{steps.1.result.y}}."),
                                             ActionParam("enabled", .boolean, "Default true."),
                                             ActionParam("webhook_secret", .string(maxLength: 256), "Webhook trigger: the sender signs the body with it (HMAC-SHA256); empty removes it.")]) { inv in
            let d = Automations.Draft(id: inv.int("id"), name: inv.string("name") ?? "", trigger: inv.params["trigger"] ?? .null, condition: inv.string("condition") ?? "",
                                      steps: inv.params["steps"] ?? .array([]), enabled: inv.bool("enabled") ?? true, webhookSecret: inv.string("webhook_secret"))
            return try await s.save(inv.workspace!.id, d, by: userID(inv)).json(baseURL: base)
        })
        r.register(ActionDefinition(name: "automations.delete", summary: "Delete an automation and its run log.", scope: "settings.write",
                                    roles: admins, risk: .destructive, workspaceScoped: true, params: [idParam]) { inv in
            try await s.delete(inv.workspace!.id, id: inv.int("id")!)
            return .object(["deleted": .bool(true)])
        })
        r.register(ActionDefinition(name: "automations.run", summary: "Run an automation now (the manual trigger). A schedule runs as if due now; others get input as the payload.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [idParam, ActionParam("input", .object, "The payload for the run (default {}).")]) { inv in
            let runs = try await s.runNow(inv.workspace!.id, id: inv.int("id")!, input: inv.params["input"] ?? .object([:]))
            return .object(["runs": .array(runs.map(\.json))])
        })
        r.register(ActionDefinition(name: "automations.dry_run", summary: "Evaluate the condition and render every step with sample input; read steps run, writes do not.",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true,
                                    params: [idParam, ActionParam("input", .object, "Sample trigger data (the payload, the event's data or a ticket).")]) { inv in
            try await s.dryRun(inv.workspace!.id, id: inv.int("id")!, input: inv.params["input"] ?? .object([:])).json
        })
        r.register(ActionDefinition(name: "automations.runs", summary: "An automation's run log, newest first: trigger input, each step's parameters, result or error, duration.",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true,
                                    params: [idParam, ActionParam("limit", .integer(min: 1, max: 200), "How many (default 50).")]) { inv in
            .object(["runs": .array(try await s.runs(inv.workspace!.id, id: inv.int("id")!, limit: Int(inv.int("limit") ?? 50)).map(\.json))])
        })
    }
}
