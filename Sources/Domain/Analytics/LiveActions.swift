import Foundation
import Ports

/// `analytics.live`: who is on the site now (active within 90 seconds; bots left out).
public enum LiveActions {
    public static let activeWindow: TimeInterval = 90

    public static func register(into r: inout ActionRegistry, maintenance: any TrackingMaintenance, clock: any TimeSource) {
        r.register(ActionDefinition(name: "analytics.live", summary: "Visitors active on the site in the last 90 seconds, newest first.", scope: "analytics.read",
                                    roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: [ActionParam("limit", .integer(min: 1, max: 500), "How many (default 100).")]) { inv in
            let now = clock.now()
            let f = ISO8601DateFormatter()
            let rows = try await maintenance.activeVisitors(inv.workspace!.id, since: now.addingTimeInterval(-activeWindow), limit: Int(inv.int("limit") ?? 100))
            return .object(["active": .int(Int64(rows.count)), "visitors": .array(rows.map {
                .object(["visitor": .string($0.visitorKey), "last_seen": .string(f.string(from: $0.lastSeen)), "page": .string($0.path),
                         "country": .string($0.country), "device": .string($0.device)])
            })])
        })
    }
}
