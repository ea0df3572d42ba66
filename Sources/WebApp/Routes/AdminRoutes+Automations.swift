import Composition
import Domain
import Foundation
import Hummingbird
import Ports

/// Developer > Triggers (automations) and Developer > Events (the catalogue). Owners and Full Admins;
/// every change is a registered action (`automations.*`, `connectors.webhook_secret.set`).
extension AdminRoutes {
    static let stepSlots = 6

    func registerAutomations(on admin: RouterGroup<AppContext>) {
        admin.get("triggers") { request, ctx -> Response in try await automationsPage(request, ctx) }
        admin.get("triggers/new") { request, ctx -> Response in try await automationEditPage(request, ctx, id: nil) }
        admin.get("triggers/:id") { request, ctx -> Response in
            guard let id = Int64(ctx.parameters.get("id") ?? "") else { throw HTTPError(.notFound) }
            return try await automationEditPage(request, ctx, id: id)
        }
        admin.post("triggers/save") { request, ctx -> Response in
            let f = try await form(request, ctx)
            guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Triggers") }
            do {
                let params = try Self.automationParams(f)
                let r = try await invokeAction("automations.save", params: params, siteKey: f.values["site_key"], ctx: ctx)
                return Self.flashRedirect("/admin/triggers/\(r["id"]?.intValue ?? 0)", flash: "Automation saved.")
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Triggers") }
                var resp = try await automationEditPage(request, ctx, id: Int64(f["id"]), form: f, error: e.description)
                resp.status = .unprocessableContent
                return resp
            }
        }
        admin.post("triggers/:id/dry-run") { request, ctx -> Response in
            let f = try await form(request, ctx)
            guard let id = Int64(ctx.parameters.get("id") ?? "") else { throw HTTPError(.notFound) }
            guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Triggers") }
            guard let site = try await sites(ctx).current else { throw HTTPError(.notFound) }
            let raw = f["input"].trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                let input = raw.isEmpty ? JSONValue.object([:]) : try JSONValue.parse(raw)
                guard case .object = input else { throw DomainError.validation(field: "input", message: "must be a JSON object") }
                let r = try await invokeAction("automations.dry_run", params: ["id": .int(id), "input": input], siteKey: site.siteKey, ctx: ctx)
                return try await automationEditPage(request, ctx, id: id, dry: r, dryInput: raw)
            } catch let e as DomainError {
                return try await automationEditPage(request, ctx, id: id, error: e.description, dryInput: raw)
            } catch {
                return try await automationEditPage(request, ctx, id: id, error: "input: is not valid JSON", dryInput: raw)
            }
        }
        admin.get("event-catalog") { request, ctx -> Response in
            guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Event types") }
            var m = withFlash(try await base(ctx, title: "Event types", active: "event-catalog"), request)
            m["types"] = EventCatalog.all.map { t -> [String: Any] in
                var fields: [String] = []
                if case .object(let props)? = t.schema["properties"] { fields = props.keys.sorted() }
                return ["name": t.name, "id": t.name.replacingOccurrences(of: ".", with: "-"), "description": t.description, "scope": t.scope,
                        "fields": fields.joined(separator: ", "), "schema": Self.pretty(t.schema)]
            }
            return renderer.html("event_catalog", m)
        }
    }

    static func pretty(_ v: JSONValue) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? String(decoding: enc.encode(v), as: UTF8.self)) ?? v.encoded()
    }

    /// The editor's plain form as `automations.save` parameters.
    static func automationParams(_ f: FormData) throws -> [String: JSONValue] {
        var trigger: [String: JSONValue] = ["kind": .string(f["trigger_kind"])]
        if !f["cron"].isEmpty { trigger["cron"] = .string(f["cron"]) }
        if !f["events"].isEmpty { trigger["events"] = .string(f["events"]) }
        if !f["for_each"].isEmpty { trigger["for_each"] = .string(f["for_each"]) }
        if !f["signature_header"].isEmpty { trigger["signature_header"] = .string(f["signature_header"]) }
        var steps: [JSONValue] = []
        for n in 1...stepSlots {
            let action = f["step\(n)_action"].trimmingCharacters(in: .whitespaces)
            guard !action.isEmpty else { continue }
            let raw = f["step\(n)_params"].trimmingCharacters(in: .whitespacesAndNewlines)
            var params = JSONValue.object([:])
            if !raw.isEmpty {
                guard let p = try? JSONValue.parse(raw), case .object = p else {
                    throw DomainError.validation(field: "steps[\(steps.count + 1)].params", message: "must be a JSON object, e.g. {\"subject\": \"Server {{payload.hostname}} down\"}")
                }
                params = p
            }
            steps.append(.object(["action": .string(action), "params": params]))
        }
        var p: [String: JSONValue] = ["name": .string(f["name"]), "trigger": .object(trigger), "condition": .string(f["condition"]),
                                      "steps": .array(steps), "enabled": .bool(f["enabled"] == "on")]
        if let id = Int64(f["id"]) { p["id"] = .int(id) }
        if f["remove_secret"] == "on" { p["webhook_secret"] = .string("") }
        else if !f["webhook_secret"].isEmpty { p["webhook_secret"] = .string(f["webhook_secret"]) }
        return p
    }

    func automationsPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Triggers") }
        var m = withFlash(try await base(ctx, title: "Triggers", active: "triggers"), request)
        guard let site = try await sites(ctx).current else {
            m["noSite"] = true
            return renderer.html("automations", m)
        }
        m["siteKey"] = site.siteKey
        m["siteName"] = site.name
        m["rows"] = try await services.automations.list(site.id).map { a -> [String: Any] in
            var trigger = a.trigger.kind.rawValue
            if let c = a.trigger.cron { trigger += " (\(c)\(a.trigger.forEach.map { ", for each \($0)" } ?? ""))" }
            if !a.trigger.events.isEmpty { trigger += " (\(a.trigger.events.joined(separator: ", ")))" }
            return ["aid": a.id, "name": a.name, "trigger": trigger, "condition": a.record.condition, "steps": a.steps.map(\.action).joined(separator: " → "),
                    "enabled": a.record.enabled]
        }
        var platforms: [[String: Any]] = []
        for p in services.platformWebhooks.platforms.values.sorted(by: { $0.slug < $1.slug }) {
            let info = try await services.platformWebhooks.secretInfo(site.id, slug: p.slug)
            platforms.append(["slug": p.slug, "name": p.name, "hint": p.secretHint, "set": info != nil, "updated": info.map { ISO8601DateFormatter().string(from: $0.updatedAt) } ?? "",
                              "url": "\(services.config.baseURL)/connectors.php?slug=\(p.slug)&site_key=\(site.siteKey)", "siteKey": site.siteKey,
                              "csrf": ctx.identity!.session.csrfToken])
        }
        m["platforms"] = platforms
        return renderer.html("automations", m)
    }

    func automationEditPage(_ request: Request, _ ctx: AppContext, id: Int64?, form f: FormData? = nil, error: String? = nil,
                            dry: JSONValue? = nil, dryInput: String = "{}") async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Triggers") }
        guard let site = try await sites(ctx).current else { return Self.flashRedirect("/admin/triggers") }
        var m = withFlash(try await base(ctx, title: id == nil ? "New automation" : "Automation", active: "triggers"), request)
        if let error { m["formError"] = error }
        m["siteKey"] = site.siteKey
        m["timeZone"] = try await services.settings.value("timezone", workspace: site.id)?.stringValue ?? "UTC"
        m["exampleVar"] = "{{payload.hostname}}"
        m["exampleStep"] = "{{steps.1.result.unique_visitors}}"
        m["dryInput"] = dryInput
        var kind = "webhook", name = "", cron = "", events = "", forEach = "", header = AutomationTrigger.defaultSignatureHeader, condition = "", enabled = true
        var steps: [(String, String)] = []
        if let id {
            let a: Automation
            do { a = try await services.automations.get(site.id, id: id) } catch DomainError.notFound { throw HTTPError(.notFound) }
            m["aid"] = a.id
            m["pageTitle"] = a.name
            kind = a.trigger.kind.rawValue; name = a.name; cron = a.trigger.cron ?? ""; events = a.trigger.events.joined(separator: ", ")
            forEach = a.trigger.forEach ?? ""; header = a.trigger.signatureHeader; condition = a.record.condition; enabled = a.record.enabled
            steps = a.steps.map { ($0.action, Self.pretty(.object($0.params))) }
            if a.trigger.kind == .webhook { m["hookURL"] = "\(services.config.baseURL)/hooks/\(a.record.hookToken)" }
            m["signed"] = a.record.hookSecretSealed != nil
            m["runs"] = try await services.automations.runs(site.id, id: a.id, limit: 30).map { r -> [String: Any] in
                ["rid": r.id, "created": ISO8601DateFormatter().string(from: r.createdAt), "trigger": r.triggerKind.rawValue, "status": r.status.rawValue,
                 "error": r.error ?? "", "dry": r.dryRun, "duration": r.durationMs.map { "\($0) ms" } ?? "…",
                 "input": Self.pretty((try? JSONValue.parse(r.input)) ?? .null), "steps": Self.pretty((try? JSONValue.parse(r.stepsLog)) ?? .null)]
            }
        }
        if let f {
            kind = f["trigger_kind"]; name = f["name"]; cron = f["cron"]; events = f["events"]; forEach = f["for_each"]; header = f["signature_header"]
            condition = f["condition"]; enabled = f["enabled"] == "on"
            steps = (1...Self.stepSlots).map { (f["step\($0)_action"], f["step\($0)_params"]) }.filter { !$0.0.isEmpty }
        }
        m["name"] = name; m["cron"] = cron; m["events"] = events; m["forEachTickets"] = forEach == "tickets"; m["signatureHeader"] = header
        m["condition"] = condition; m["enabled"] = enabled
        m["kinds"] = [("webhook", "Inbound webhook"), ("schedule", "Schedule"), ("event", "Event"), ("manual", "Manual")].map { ["value": $0.0, "label": $0.1, "selected": $0.0 == kind] }
        let names = services.actions.sorted.filter(Automation.allowedAsStep).map(\.name)
        m["steps"] = (0..<Self.stepSlots).map { i -> [String: Any] in
            let current = i < steps.count ? steps[i] : ("", "")
            return ["n": i + 1, "params": current.1, "actions": names.map { ["name": $0, "selected": $0 == current.0] }]
        }
        if let dry {
            m["dry"] = ["holds": dry["status"]?.stringValue == "skipped" ? "does not hold (nothing would run)" : "holds", "steps": Self.pretty(dry["steps"] ?? .null)]
        }
        return renderer.html("automation_edit", m)
    }
}
