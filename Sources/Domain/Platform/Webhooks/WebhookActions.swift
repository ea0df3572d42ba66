import Foundation
import Ports

/// The `webhooks.*` actions behind Developer > Webhooks and the API. Owners and Full Admins manage
/// endpoints (settings scopes); secrets are returned only by create and rotate_secret.
public enum WebhookActions {
    static let admins: Set<Role> = [.owner, .fullAdmin]
    static let idParam = ActionParam("id", .integer(min: 1), required: true, "The endpoint's id.")

    public static func register(into r: inout ActionRegistry, endpoints s: WebhookEndpoints, sender: WebhookSender) {
        r.register(ActionDefinition(name: "webhooks.endpoints.list", summary: "List the site's webhook endpoints (secrets are never shown).",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true) { inv in
            .object(["endpoints": .array(try await s.list(inv.workspace!.id).map(\.json))])
        })
        r.register(ActionDefinition(name: "webhooks.endpoints.create", summary: "Add an endpoint. Returns its signing secret (opsiq_whsec_…) once: store it in the receiver.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: [
                                        ActionParam("url", .string(maxLength: 2000), required: true, "Where to POST events (https://)."),
                                        ActionParam("events", .array(.string(maxLength: 120), maxItems: 100), required: true, "Event names and patterns: ticket.created, ticket.*, *."),
                                        ActionParam("description", .string(maxLength: 500), "What the endpoint is for."),
                                    ]) { inv in
            let out = try await s.create(inv.workspace!.id, url: inv.string("url") ?? "", events: inv.strings("events") ?? [], description: inv.string("description"))
            return withSecret(out)
        })
        r.register(ActionDefinition(name: "webhooks.endpoints.update", summary: "Change an endpoint's URL, events or description; fields left out keep their value.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: [
                                        idParam,
                                        ActionParam("url", .string(maxLength: 2000), "Where to POST events (https://)."),
                                        ActionParam("events", .array(.string(maxLength: 120), maxItems: 100), "Event names and patterns."),
                                        ActionParam("description", .string(maxLength: 500), "What the endpoint is for."),
                                    ]) { inv in
            try await s.update(inv.workspace!.id, id: inv.int("id")!, url: inv.string("url"), events: inv.strings("events"), description: inv.string("description")).json
        })
        r.register(ActionDefinition(name: "webhooks.endpoints.delete", summary: "Delete an endpoint and its delivery log.", scope: "settings.write", roles: admins,
                                    risk: .destructive, workspaceScoped: true, params: [idParam]) { inv in
            try await s.delete(inv.workspace!.id, id: inv.int("id")!)
            return .object(["id": .int(inv.int("id")!), "deleted": .bool(true)])
        })
        r.register(ActionDefinition(name: "webhooks.endpoints.rotate_secret",
                                    summary: "A new signing secret, returned once. The old one keeps signing (X-OpsIQ-Signature-Previous, second webhook-signature) for the grace period.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, apiKeyAllowed: true, params: [
                                        idParam, ActionParam("grace_seconds", .integer(min: 0, max: 604_800), "How long the old secret stays valid (default 86400)."),
                                    ]) { inv in
            withSecret(try await s.rotateSecret(inv.workspace!.id, id: inv.int("id")!, grace: inv.int("grace_seconds").map(TimeInterval.init)))
        })
        r.register(ActionDefinition(name: "webhooks.endpoints.test", summary: "Send a signed webhook.test event to the endpoint now and return its answer.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: [idParam]) { inv in
            let t = try await sender.sendTest(inv.workspace!.id, id: inv.int("id")!)
            var o: [String: JSONValue] = ["event_id": .string(t.eventID), "ok": .bool(t.status.map { (200...299).contains($0) } ?? false),
                                          "response_excerpt": .string(t.excerpt)]
            o["status"] = t.status.map { .int(Int64($0)) } ?? .null
            o["error"] = t.error.map { .string($0) } ?? .null
            return .object(o)
        })
        r.register(ActionDefinition(name: "webhooks.endpoints.enable",
                                    summary: "Enable or disable an endpoint. Enabling delivers everything undelivered since `since` (default: when it was disabled), in order.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: [
                                        idParam, ActionParam("enabled", .boolean, required: true, "true to enable, false to disable."),
                                        ActionParam("since", .string(maxLength: 40, format: "date-time"), "Replay undelivered events published at or after this time (ISO 8601)."),
                                    ]) { inv in
            let ws = inv.workspace!.id, id = inv.int("id")!
            if inv.bool("enabled") == false {
                return try await s.disable(ws, id: id, reason: "disabled by \(inv.actor.label)").json
            }
            var since: Date? = nil
            if let text = inv.string("since") {
                guard let d = parseDate(text) else { throw DomainError.validation(field: "since", message: "must be an ISO 8601 time like 2026-12-01T09:00:00Z") }
                since = d
            }
            let (e, queued) = try await s.enable(ws, id: id, since: since)
            var o = e.json
            if case .object(var m) = o { m["queued_deliveries"] = .int(Int64(queued)); o = .object(m) }
            return o
        })
        r.register(ActionDefinition(name: "webhooks.deliveries.list", summary: "An endpoint's deliveries, newest first; with delivery_id, that delivery's attempts (request, response excerpt).",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true, params: [
                                        ActionParam("endpoint_id", .integer(min: 1), required: true, "The endpoint."),
                                        ActionParam("status", .string(maxLength: 16, enumValues: WebhookDeliveryStatus.allCases.map(\.rawValue)), "Only this status."),
                                        ActionParam("delivery_id", .integer(min: 1), "Include this delivery's attempts."),
                                        ActionParam("limit", .integer(min: 1, max: 500), "At most this many (default 50)."),
                                    ]) { inv in
            let ws = inv.workspace!.id
            let list = try await s.deliveries(ws, endpoint: inv.int("endpoint_id")!, status: inv.string("status").flatMap(WebhookDeliveryStatus.init(rawValue:)),
                                              limit: Int(inv.int("limit") ?? 50))
            var o: [String: JSONValue] = ["deliveries": .array(list.map(\.json))]
            if let d = inv.int("delivery_id") { o["attempts"] = .array(try await s.attempts(ws, delivery: d).map(\.json)) }
            return .object(o)
        })
        r.register(ActionDefinition(name: "webhooks.deliveries.redeliver", summary: "Send one delivery again (same event_id), before the endpoint's later ones.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: [
                                        ActionParam("delivery_id", .integer(min: 1), required: true, "The delivery."),
                                    ]) { inv in
            try await s.redeliver(inv.workspace!.id, deliveryID: inv.int("delivery_id")!).json
        })
    }

    static func parseDate(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)
    }

    static func withSecret(_ out: WebhookEndpointWithSecret) -> JSONValue {
        guard case .object(var m) = out.endpoint.json else { return out.endpoint.json }
        m["secret"] = .string(out.secret)
        return .object(m)
    }
}

extension WebhookEndpoint {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": .int(id), "url": .string(url), "description": .string(description), "events": .array(events.map { .string($0) }),
            "enabled": .bool(enabled), "consecutive_failures": .int(Int64(consecutiveFailures)),
            "created_at": .string(WebhookSigning.timestamp(createdAt)), "updated_at": .string(WebhookSigning.timestamp(updatedAt)),
        ]
        o["disabled_reason"] = disabledReason.map { .string($0) } ?? .null
        o["disabled_at"] = disabledAt.map { .string(WebhookSigning.timestamp($0)) } ?? .null
        o["previous_secret_valid_until"] = previousSecretExpiresAt.map { .string(WebhookSigning.timestamp($0)) } ?? .null
        return .object(o)
    }
}

extension WebhookDelivery {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": .int(id), "endpoint_id": .int(endpointID), "sequence": .int(eventSequence), "event_id": .string(eventID), "event": .string(eventType),
            "status": .string(status.rawValue), "attempts": .int(Int64(attempts)), "next_attempt_at": .string(WebhookSigning.timestamp(nextAttemptAt)),
            "event_created_at": .string(WebhookSigning.timestamp(eventCreatedAt)),
        ]
        o["last_status"] = lastStatusCode.map { .int(Int64($0)) } ?? .null
        o["last_error"] = lastError.map { .string($0) } ?? .null
        o["delivered_at"] = deliveredAt.map { .string(WebhookSigning.timestamp($0)) } ?? .null
        return .object(o)
    }
}

extension WebhookAttempt {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "attempt": .int(Int64(attempt)), "at": .string(WebhookSigning.timestamp(at)), "request_headers": .string(requestHeaders),
            "request_body": .string(requestBody), "response_excerpt": .string(responseExcerpt), "duration_ms": .int(Int64(durationMillis)),
        ]
        o["status"] = statusCode.map { .int(Int64($0)) } ?? .null
        o["error"] = error.map { .string($0) } ?? .null
        return .object(o)
    }
}
