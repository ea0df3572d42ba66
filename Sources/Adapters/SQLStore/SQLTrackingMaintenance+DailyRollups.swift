import Foundation
import Ports

extension SQLTrackingMaintenance {
    /// The zone of a site's daily rollups and whether its page tables (migration 27) are complete; nil when the site has no
    /// rollups yet.
    public func rollupState(_ workspace: WorkspaceID) async throws -> (zone: String, pages: Bool)? {
        try await db.read { conn in
            guard let r = try await conn.queryFirst("SELECT zone, pages FROM tracking_rollup_zones WHERE workspace_id = ?", [.int(workspace.raw)]) else { return nil }
            return (try r.string("zone"), try r.int("pages") == 1)
        }
    }

    /// Whether the site has stored any session (a site with sessions and no rollups needs `rebuildDailyRollups`).
    public func hasSessions(_ workspace: WorkspaceID) async throws -> Bool {
        try await db.read { try await $0.queryFirst("SELECT id FROM tracking_sessions WHERE workspace_id = ? LIMIT 1", [.int(workspace.raw)]) != nil }
    }

    /// Recounts a site's daily rollups (migrations 23 and 27) from its stored sessions and page views in `zone`, in one transaction, and
    /// makes `zone` the one they are kept in: for data stored before the rollups existed, or after the site's time
    /// zone changed (until then reports in the new zone read the raw sessions). Run it when the site is quiet:
    /// sessions written while it runs may be counted under the old state.
    public func rebuildDailyRollups(_ workspace: WorkspaceID, zone: TimeZone) async throws {
        let ws = SQLValue.int(workspace.raw)
        let local = LocalDays(zone)
        try await db.transaction { tx in
            for table in ["tracking_visitor_days", "tracking_day_visitors", "tracking_day_sessions", "tracking_rollup_zones",
                          "tracking_page_visitor_days", "tracking_page_day_visitors", "tracking_day_entries",
                          "tracking_geo_visitor_days", "tracking_geo_day_visitors", "tracking_day_geo", "tracking_intent_days"] {
                try await tx.execute("DELETE FROM \(table) WHERE workspace_id = ?", [ws])
            }
            var present: [String: [Int64: Int64]] = [:]
            var days: [Int64: (sessions: Int64, bounces: Int64)] = [:]
            var entries: [Int64: [String: (sessions: Int64, bounces: Int64)]] = [:]
            var geo: [Int64: [String: (sessions: Int64, bounces: Int64, conversions: Int64)]] = [:]
            var geoPresent: [PresenceKey: [Int64: Int64]] = [:]
            for r in try await tx.query("SELECT visitor_key, started_at, entry_path, pageviews, engaged_ms, country, city, converted FROM tracking_sessions WHERE workspace_id = ? AND is_bot = 0", [ws]) {
                let d = local.day(try r.int("started_at"))
                let visitor = try r.string("visitor_key")
                present[visitor, default: [:]][d, default: 0] += 1
                let pv = try r.int("pageviews"), engaged = try r.int("engaged_ms")
                let bounce: Int64 = pv <= 1 && engaged < 10_000 ? 1 : 0
                days[d, default: (0, 0)].sessions += 1
                days[d, default: (0, 0)].bounces += bounce
                let path = String(try r.string("entry_path").prefix(255))
                entries[d, default: [:]][path, default: (0, 0)].sessions += 1
                entries[d, default: [:]][path, default: (0, 0)].bounces += bounce
                let converted: Int64 = try r.bool("converted") ? 1 : 0
                for v in [""] + PresenceTables.geoValues(country: try r.string("country"), city: try r.string("city")) {
                    geo[d, default: [:]][v, default: (0, 0, 0)].sessions += 1
                    geo[d, default: [:]][v, default: (0, 0, 0)].bounces += bounce
                    geo[d, default: [:]][v, default: (0, 0, 0)].conversions += converted
                    if !v.isEmpty { geoPresent[PresenceKey(visitor: visitor, value: v), default: [:]][d, default: 0] += 1 }
                }
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
            let entryRows = entries.flatMap { d, byPath in byPath.map { (d, $0.key, $0.value) } }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            for part in SQLTrackingStore.chunks(entryRows, 300) {
                try await tx.execute("INSERT INTO tracking_day_entries (workspace_id, day, path, sessions, bounces) VALUES " + Array(repeating: "(?, ?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                                     part.flatMap { [ws, .int($0.0), .text($0.1), .int($0.2.sessions), .int($0.2.bounces)] })
            }
            let geoRows = geo.flatMap { d, byValue in byValue.map { (d, $0.key, $0.value) } }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            for part in SQLTrackingStore.chunks(geoRows, 300) {
                try await tx.execute("INSERT INTO tracking_day_geo (workspace_id, day, value, sessions, bounces, conversions) VALUES " + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                                     part.flatMap { [ws, .int($0.0), .text($0.1), .int($0.2.sessions), .int($0.2.bounces), .int($0.2.conversions)] })
            }
            var geoPairs: [String: [Int64: [Int64: Int64]]] = [:]
            try await insertPresence(ws, geoPresent, .geo, pairs: &geoPairs, in: tx)
            try await insertPairs(ws, geoPairs, .geo, in: tx)
            try await rebuildPagePresence(ws, local, in: tx)
            try await tx.execute("INSERT INTO tracking_rollup_zones (workspace_id, zone, pages) VALUES (?, ?, 1)", [ws, .text(zone.identifier)])
        }
    }

    /// Each page's visitors by day from the site's non-bot page views, read 500 visitors at a time so memory stays
    /// bounded however many page views the site has.
    func rebuildPagePresence(_ ws: SQLValue, _ local: LocalDays, in tx: any SQLConnection) async throws {
        let visitors = try await tx.query("SELECT DISTINCT visitor_key FROM tracking_events WHERE workspace_id = ?", [ws]).map { try $0.string("visitor_key") }.sorted()
        var pairs: [String: [Int64: [Int64: Int64]]] = [:]   // page → day → previous day → visitors
        for part in SQLTrackingStore.chunks(visitors, 500) {
            var views: [PresenceKey: [Int64: Int64]] = [:]
            for r in try await tx.query("SELECT visitor_key, path, ts FROM tracking_events WHERE workspace_id = ? AND visitor_key IN (\(SQLTrackingStore.marks(part.count)))"
                                        + " AND type = 'pageview' AND is_bot = 0", [ws] + part.map { .text($0) }) {
                let key = PresenceKey(visitor: try r.string("visitor_key"), value: String(try r.string("path").prefix(255)))
                views[key, default: [:]][local.day(try r.int("ts")), default: 0] += 1
            }
            try await insertPresence(ws, views, .page, pairs: &pairs, in: tx)
        }
        try await insertPairs(ws, pairs, .page, in: tx)
    }

    /// Writes presence counted from scratch: the (visitor, value, day) rows, adding their visitors by previous day to `pairs`.
    func insertPresence(_ ws: SQLValue, _ present: [PresenceKey: [Int64: Int64]], _ t: PresenceTables, pairs: inout [String: [Int64: [Int64: Int64]]],
                        in tx: any SQLConnection) async throws {
        guard let column = t.value else { return }
        var rows: [(PresenceKey, Int64, Int64)] = []
        for (key, byDay) in present.sorted(by: { $0.key < $1.key }) {
            var prev: Int64 = -1
            for (d, n) in byDay.sorted(by: { $0.key < $1.key }) {
                pairs[key.value, default: [:]][d, default: [:]][prev, default: 0] += 1
                rows.append((key, d, n))
                prev = d
            }
        }
        for part in SQLTrackingStore.chunks(rows, 300) {
            try await tx.execute("INSERT INTO \(t.days) (workspace_id, visitor_key, \(column), day, \(t.count)) VALUES " + Array(repeating: "(?, ?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                                 part.flatMap { [ws, .text($0.0.visitor), .text($0.0.value), .int($0.1), .int($0.2)] })
        }
    }

    /// Writes the visitors by (value, day, previous day) that `insertPresence` counted.
    func insertPairs(_ ws: SQLValue, _ pairs: [String: [Int64: [Int64: Int64]]], _ t: PresenceTables, in tx: any SQLConnection) async throws {
        guard let column = t.value else { return }
        let flat = pairs.flatMap { v, byDay in byDay.flatMap { d, byPrev in byPrev.map { (d, v, $0.key, $0.value) } } }.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        for part in SQLTrackingStore.chunks(flat, 300) {
            try await tx.execute("INSERT INTO \(t.pairs) (workspace_id, day, \(column), prev_day, visitors) VALUES " + Array(repeating: "(?, ?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                                 part.flatMap { [ws, .int($0.0), .text($0.1), .int($0.2), .int($0.3)] })
        }
    }

    /// Retention for the per-visitor page and Geo days (migration 27): the rows older than the cutoff's local day go
    /// (together they are about as many as page views); the per-day counts stay, like the site's own (unique
    /// visitors over any range after the cutoff are unchanged, since a visitor last seen before it counts the same as
    /// a new one there).
    public func deletePresenceDays(_ workspace: WorkspaceID, before: Date, after: String, batch: Int) async throws -> String? {
        let ws = SQLValue.int(workspace.raw)
        guard let zone = try await rollupState(workspace).flatMap({ TimeZone(identifier: $0.zone) }) else { return nil }
        let cutoff = LocalDays(zone).day(before.epochMillis)
        // The visitors of both tables, in key order: the next `batch` after `after`.
        let visitors = try await db.read { conn -> [String] in
            var keys = Set<String>()
            for table in [PresenceTables.page.days, PresenceTables.geo.days] {
                for r in try await conn.query("SELECT DISTINCT visitor_key FROM \(table) WHERE workspace_id = ? AND visitor_key > ? ORDER BY visitor_key LIMIT ?",
                                              [ws, .text(after), .int(Int64(batch))]) { keys.insert(try r.string("visitor_key")) }
            }
            return Array(keys.sorted().prefix(batch))
        }
        guard let last = visitors.last else { return nil }
        _ = try await db.write { conn in
            for table in [PresenceTables.page.days, PresenceTables.geo.days] {
                try await conn.execute("DELETE FROM \(table) WHERE workspace_id = ? AND visitor_key IN (\(SQLTrackingStore.marks(visitors.count))) AND day < ?",
                                       [ws] + visitors.map { .text($0) } + [.int(cutoff)])
            }
        }
        return visitors.count < batch ? nil : last
    }
}
