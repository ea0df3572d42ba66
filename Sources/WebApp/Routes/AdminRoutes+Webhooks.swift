import Composition
import Domain
import Foundation
import Hummingbird
import Ports

/// Developer > Webhooks (Owners and Full Admins): endpoints (add with an event picker, edit, rotate the
/// secret, send a test event, disable, enable with "deliver everything missed since"), and each
/// endpoint's delivery log with its attempts and a Redeliver button. Every change is a `webhooks.*`
/// action; the pages only gather form fields and show what the actions return (escaped).
extension AdminRoutes {
    /// Events offered as checkboxes; anything else can be typed (comma-separated).
    static let webhookEventChoices = ["*", "ticket.*", "ticket.created", "ticket.replied", "chat.started", "chat.message", "order.completed",
                                      "crm.deal.stage_changed", "crm.contact.created", "webhook.endpoint_disabled"]

    func registerWebhooks(on admin: RouterGroup<AppContext>) {
        admin.get("webhooks") { request, ctx -> Response in try await webhooksPage(request, ctx, secret: nil, test: nil) }
        admin.get("webhooks/:id") { request, ctx -> Response in try await webhookLogPage(request, ctx) }
        admin.post("webhooks/save") { request, ctx -> Response in
            let f = try await form(request, ctx)
            guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Webhooks") }
            var events = f.list("events").filter { !$0.isEmpty }
            events += f["other_events"].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var params: [String: JSONValue] = ["url": .string(f["url"]), "description": .string(f["description"]), "events": .array(events.map { .string($0) })]
            let id = Int64(f["id"])
            if let id { params["id"] = .int(id) }
            do {
                let r = try await invokeAction(id == nil ? "webhooks.endpoints.create" : "webhooks.endpoints.update", params: params, siteKey: f.values["site_key"], ctx: ctx)
                if id == nil { return try await webhooksPage(request, ctx, secret: (r["url"]?.stringValue ?? "", r["secret"]?.stringValue ?? ""), test: nil) }
                return Self.flashRedirect("/admin/webhooks", flash: "Endpoint saved.")
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Webhooks") }
                return Self.flashRedirect("/admin/webhooks", error: e.description)
            }
        }
        admin.post("webhooks/rotate") { request, ctx -> Response in
            let f = try await form(request, ctx)
            do {
                let r = try await invokeAction("webhooks.endpoints.rotate_secret", params: ["id": .int(Int64(f["id"]) ?? 0)], siteKey: f.values["site_key"], ctx: ctx)
                return try await webhooksPage(request, ctx, secret: (r["url"]?.stringValue ?? "", r["secret"]?.stringValue ?? ""), test: nil)
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Webhooks") }
                return Self.flashRedirect("/admin/webhooks", error: e.description)
            }
        }
        admin.post("webhooks/test") { request, ctx -> Response in
            let f = try await form(request, ctx)
            do {
                let r = try await invokeAction("webhooks.endpoints.test", params: ["id": .int(Int64(f["id"]) ?? 0)], siteKey: f.values["site_key"], ctx: ctx)
                return try await webhooksPage(request, ctx, secret: nil, test: r)
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Webhooks") }
                return Self.flashRedirect("/admin/webhooks", error: e.description)
            }
        }
        admin.post("webhooks/enable") { request, ctx -> Response in
            let f = try await form(request, ctx)
            var params: [String: JSONValue] = ["id": .int(Int64(f["id"]) ?? 0), "enabled": .bool(f["enabled"] == "true")]
            let since = f["since"].trimmingCharacters(in: .whitespaces)
            // <input type="datetime-local"> sends 2026-12-03T09:00 (shown as UTC on the page).
            if !since.isEmpty { params["since"] = .string(since.count == 16 ? since + ":00Z" : since) }
            do {
                let r = try await invokeAction("webhooks.endpoints.enable", params: params, siteKey: f.values["site_key"], ctx: ctx)
                let msg = f["enabled"] == "true" ? "Endpoint enabled; \(r["queued_deliveries"]?.intValue ?? 0) undelivered event(s) queued in order." : "Endpoint disabled; new events wait for it."
                return Self.flashRedirect("/admin/webhooks", flash: msg)
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Webhooks") }
                return Self.flashRedirect("/admin/webhooks", error: e.description)
            }
        }
    }

    func webhooksPage(_ request: Request, _ ctx: AppContext, secret: (url: String, secret: String)?, test: JSONValue?) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Webhooks") }
        var m = withFlash(try await base(ctx, title: "Webhooks", active: "webhooks"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("webhooks", m) }
        m["siteKey"] = site.siteKey
        m["siteName"] = site.name
        let csrf = ctx.identity!.session.csrfToken
        if let secret { m["secret"] = ["url": secret.url, "value": secret.secret] }
        if let test {
            m["test"] = ["ok": test["ok"] == .bool(true), "status": test["status"]?.intValue.map { String($0) } ?? "no answer",
                         "excerpt": test["response_excerpt"]?.stringValue ?? "", "error": test["error"]?.stringValue ?? "", "eventID": test["event_id"]?.stringValue ?? ""]
        }
        let list = try await services.webhooks.list(site.id)
        m["endpoints"] = list.map { e -> [String: Any] in
            ["eid": e.id, "url": e.url, "description": e.description, "events": e.events.joined(separator: ", "), "enabled": e.enabled,
             "reason": e.disabledReason ?? "", "disabledAt": e.disabledAt.map(WebhookSigning.timestamp) ?? "",
             "sinceDefault": e.disabledAt.map { String(WebhookSigning.timestamp($0).prefix(16)) } ?? "",
             "failures": e.consecutiveFailures, "graceUntil": e.previousSecretExpiresAt.map(WebhookSigning.timestamp) ?? "",
             "choices": Self.webhookEventChoices.map { ["name": $0, "checked": e.events.contains($0)] },
             "other": e.events.filter { !Self.webhookEventChoices.contains($0) }.joined(separator: ", "), "siteKey": site.siteKey, "csrf": csrf]
        }
        m["hasEndpoints"] = !list.isEmpty
        m["choices"] = Self.webhookEventChoices.map { ["name": $0, "checked": false] }
        return renderer.html("webhooks", m)
    }

    func webhookLogPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Webhooks") }
        var m = withFlash(try await base(ctx, title: "Webhook deliveries", active: "webhooks"), request)
        guard let site = try await sites(ctx).current, let id = ctx.parameters.get("id").flatMap({ Int64($0) }),
              let e = try? await services.webhooks.get(site.id, id: id) else {
            m["missing"] = true
            return renderer.html("webhook_log", m, status: .notFound)
        }
        m["siteKey"] = site.siteKey
        m["url"] = e.url
        m["eid"] = e.id
        let status = request.uri.queryParameters.get("status").flatMap(WebhookDeliveryStatus.init(rawValue:))
        let deliveries = try await services.webhooks.deliveries(site.id, endpoint: id, status: status, limit: 200)
        let selected = request.uri.queryParameters.get("delivery").flatMap { Int64($0) }
        // Optional values are left out rather than set to "": the template's sections show only what is there.
        m["deliveries"] = deliveries.map { d -> [String: Any] in
            var row: [String: Any] = ["did": d.id, "seq": d.eventSequence, "event": d.eventType, "eventID": d.eventID, "status": d.status.rawValue,
                                      "attempts": d.attempts, "code": d.lastStatusCode.map { String($0) } ?? "",
                                      "created": WebhookSigning.timestamp(d.eventCreatedAt), "selected": d.id == selected]
            if let error = d.lastError, !error.isEmpty { row["error"] = error }
            if d.status == .pending { row["next"] = WebhookSigning.timestamp(d.nextAttemptAt) }
            return row
        }
        if let selected {
            m["attempts"] = try await services.webhooks.attempts(site.id, delivery: selected).map { a -> [String: Any] in
                var card: [String: Any] = ["n": a.attempt, "at": WebhookSigning.timestamp(a.at), "code": a.statusCode.map { String($0) } ?? "no answer",
                                           "headers": a.requestHeaders, "body": a.requestBody, "excerpt": a.responseExcerpt, "ms": a.durationMillis]
                if let error = a.error, !error.isEmpty { card["error"] = error }
                return card
            }
            m["selected"] = selected
        }
        return renderer.html("webhook_log", m)
    }
}
