import Foundation
import Ports

/// `analytics.live`: who is on the site now (active within 90 seconds; bots left out).
public enum LiveActions {
    public static let activeWindow: TimeInterval = 90

    public static func register(into r: inout ActionRegistry, maintenance: any TrackingMaintenance, visitors: any VisitorLookup, clock: any TimeSource,
                                analytics: AnalyticsService? = nil) {
        r.register(ActionDefinition(name: "analytics.live", summary: "Visitors active on the site within the live threshold (setting analytics.live_threshold_seconds, default 90 seconds), newest first.", scope: "analytics.read",
                                    roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: [ActionParam("limit", .integer(min: 1, max: 500), "How many (default 100).")]) { inv in
            let now = clock.now()
            let f = ISO8601DateFormatter()
            var window = activeWindow
            if let analytics { window = Double(try await analytics.liveSettings(inv.workspace!.id).threshold) }
            let rows = try await maintenance.activeVisitors(inv.workspace!.id, since: now.addingTimeInterval(-window), limit: Int(inv.int("limit") ?? 100))
            return .object(["active": .int(Int64(rows.count)), "visitors": .array(rows.map {
                .object(["visitor": .string($0.visitorKey), "last_seen": .string(f.string(from: $0.lastSeen)), "page": .string($0.path),
                         "country": .string($0.country), "device": .string($0.device)])
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
