import Foundation
import Ports

/// `analytics.live`: who is on the site now (active within the live threshold; bots left out), with the Live
/// feed's filters.
public enum LiveActions {

    public static func register(into r: inout ActionRegistry, visitors: any VisitorLookup, clock: any TimeSource, analytics: AnalyticsService, lists: any AnalyticsLists) {
        r.register(ActionDefinition(name: "analytics.live", summary: "Visitors active on the site within the live threshold (setting analytics.live_threshold_seconds, default 90 seconds), newest first, each with the class of its visit so far (intent, intent_reason: the Intent funnel's rules); the Live feed's filters.",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: [ActionParam("limit", .integer(min: 1, max: 500), "How many (default 100)."),
                                             ActionParam("country", .string(maxLength: 8), "Only visitors from this country (two-letter code, e.g. ES)."),
                                             ActionParam("device", .string(maxLength: 16), "Only this device type (desktop, mobile, tablet)."),
                                             ActionParam("referrer", .string(maxLength: 255), "Only visits whose referrer domain contains this text.")]) { inv in
            let ws = inv.workspace!.id
            let now = clock.now()
            let f = ISO8601DateFormatter()
            let filter = try AnalyticsService.liveFilter(country: inv.string("country") ?? "", device: inv.string("device") ?? "", referrer: inv.string("referrer") ?? "")
            let window = Double(try await analytics.liveSettings(ws).threshold)
            let rows = try await analytics.reports.liveSessions(ws, since: now.addingTimeInterval(-window), filter: filter, limit: Int(inv.int("limit") ?? 100))
            let intents = try await analytics.currentIntents(ws, sessions: rows, lists: lists)
            return .object(["active": .int(Int64(Set(rows.map(\.visitorKey)).count)), "threshold_seconds": .int(Int64(window)), "visitors": .array(rows.map { s in
                .object(["visitor": .string(s.visitorKey), "session_id": .int(s.id), "last_seen": .string(f.string(from: s.lastAt)),
                         "page": .string(s.exitPath.isEmpty ? s.entryPath : s.exitPath), "country": .string(s.country), "device": .string(s.device),
                         "source": .string(s.source), "referrer": .string(s.referrerDomain), "email": s.email.map { JSONValue.string($0) } ?? .null,
                         "intent": .string(intents[s.id]?.intent.rawValue ?? ""), "intent_reason": .string(intents[s.id]?.reason ?? "")])
            })])
        })
        r.register(ActionDefinition(name: "visitors.timeline", summary: "One customer's events across all their devices and browsers (anonymous visits before they identified included), oldest first.",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: [ActionParam("email", .string(maxLength: 190), "The customer's email."),
                                             ActionParam("customer_id", .string(maxLength: 190), "Your id for the customer (as in identify or the identity token)."),
                                             ActionParam("limit", .integer(min: 1, max: 1000), "How many events (default 200).")]) { inv in
            let email = inv.string("email")?.trimmingCharacters(in: .whitespaces).lowercased(), customer = inv.string("customer_id")
            guard !(email ?? "").isEmpty || !(customer ?? "").isEmpty else { throw DomainError.validation(field: "email", message: "give email or customer_id") }
            let ws = inv.workspace!.id
            let keys = try await visitors.visitorKeys(ws, email: email, customerID: customer)
            let events = try await visitors.timeline(ws, email: email, customerID: customer, limit: Int(inv.int("limit") ?? 200))
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return .object(["visitors": .array(keys.map { .string($0) }), "events": .array(events.map { e in
                .object(["id": .string(e.eventUID), "visitor": .string(e.visitorKey), "type": .string(e.type), "name": .string(e.name), "at": .string(f.string(from: e.ts)),
                         "path": .string(e.path), "title": .string(e.title), "source": .string(e.source), "country": .string(e.country), "device": .string(e.device),
                         "browser": .string(e.browser), "props": (try? JSONValue.parse(e.props)) ?? .object([:])])
            })])
        })
    }
}
