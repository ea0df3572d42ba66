import Foundation
import Ports

extension SQLTrackingMaintenance {
    /// The time zone a site's daily rollups are kept in (nil before its first stored session).
    public func rollupZone(_ workspace: WorkspaceID) async throws -> String? {
        try await db.read { try await $0.queryFirst("SELECT zone FROM tracking_rollup_zones WHERE workspace_id = ?", [.int(workspace.raw)])?.string("zone") }
    }

    /// Recounts a site's daily rollups (migration 23) from its stored sessions in `zone`, in one transaction, and
    /// makes `zone` the one they are kept in: for data stored before the rollups existed, or after the site's time
    /// zone changed (until then reports in the new zone read the raw sessions). Run it when the site is quiet:
    /// sessions written while it runs may be counted under the old state.
    public func rebuildDailyRollups(_ workspace: WorkspaceID, zone: TimeZone) async throws {
        let ws = SQLValue.int(workspace.raw)
        let local = LocalDays(zone)
        try await db.transaction { tx in
            for table in ["tracking_visitor_days", "tracking_day_visitors", "tracking_day_sessions", "tracking_rollup_zones"] {
                try await tx.execute("DELETE FROM \(table) WHERE workspace_id = ?", [ws])
            }
            var present: [String: [Int64: Int64]] = [:]
            var days: [Int64: (sessions: Int64, bounces: Int64)] = [:]
            for r in try await tx.query("SELECT visitor_key, started_at, pageviews, engaged_ms FROM tracking_sessions WHERE workspace_id = ? AND is_bot = 0", [ws]) {
                let d = local.day(try r.int("started_at"))
                present[try r.string("visitor_key"), default: [:]][d, default: 0] += 1
                days[d, default: (0, 0)].sessions += 1
                let pv = try r.int("pageviews"), engaged = try r.int("engaged_ms")
                if pv <= 1 && engaged < 10_000 { days[d, default: (0, 0)].bounces += 1 }
            }
            var pairs: [Int64: [Int64: Int64]] = [:]
            var rows: [(String, Int64, Int64)] = []
            for (v, byDay) in present.sorted(by: { $0.key < $1.key }) {
                var prev: Int64 = -1
                for (d, n) in byDay.sorted(by: { $0.key < $1.key }) {
                    pairs[d, default: [:]][prev, default: 0] += 1
                    rows.append((v, d, n))
                    prev = d
                }
            }
            for part in SQLTrackingStore.chunks(rows, 300) {
                try await tx.execute("INSERT INTO tracking_visitor_days (workspace_id, visitor_key, day, sessions) VALUES " + Array(repeating: "(?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                                     part.flatMap { [ws, .text($0.0), .int($0.1), .int($0.2)] })
            }
            let flat = pairs.flatMap { d, byPrev in byPrev.map { (d, $0.key, $0.value) } }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            for part in SQLTrackingStore.chunks(flat, 300) {
                try await tx.execute("INSERT INTO tracking_day_visitors (workspace_id, day, prev_day, visitors) VALUES " + Array(repeating: "(?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                                     part.flatMap { [ws, .int($0.0), .int($0.1), .int($0.2)] })
            }
            for part in SQLTrackingStore.chunks(days.sorted { $0.key < $1.key }, 300) {
                try await tx.execute("INSERT INTO tracking_day_sessions (workspace_id, day, sessions, bounces) VALUES " + Array(repeating: "(?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                                     part.flatMap { [ws, .int($0.key), .int($0.value.sessions), .int($0.value.bounces)] })
            }
            try await tx.execute("INSERT INTO tracking_rollup_zones (workspace_id, zone) VALUES (?, ?)", [ws, .text(zone.identifier)])
        }
    }
}
