import Foundation
import Ports

/// A session as it was stored before a batch (nil: new in this batch) and as the batch leaves it.
struct SessionChange {
    var ws: Int64
    var before: TrackedSession?
    var after: TrackedSession
}

/// Local days of one time zone, numbered from 1970-01-01 (so day n + 1 is the local day after day n, 23 or
/// 25 hours later across a DST change).
struct LocalDays {
    let zone: TimeZone
    let calendar: Calendar

    init(_ zone: TimeZone) {
        self.zone = zone
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        calendar = c
    }

    func day(_ ms: Int64) -> Int64 {
        let offset = Int64(zone.secondsFromGMT(for: Date(epochMillis: ms))) * 1000
        let local = ms + offset
        return local >= 0 ? local / 86_400_000 : (local - 86_399_999) / 86_400_000
    }

    /// The day that starts at `date`, when `date` is a local midnight.
    func day(startingAt date: Date) -> Int64? {
        calendar.startOfDay(for: date) == date ? day(date.epochMillis) : nil
    }
}

extension SQLTrackingStore {
    /// A session's share of the daily figures: one session (and one bounce) while it is not a bot.
    static func dailyCounts(_ s: TrackedSession?) -> (sessions: Int64, bounces: Int64) {
        guard let s, !s.isBot else { return (0, 0) }
        return (1, s.pageviews <= 1 && s.engagedMs < 10_000 ? 1 : 0)
    }

    /// The zone each site's daily rollups are kept in. A site seen for the first time (no sessions yet) gets
    /// the zone of its rules, so its rollups hold every session from the start; a site with sessions but no
    /// zone row (data from before migration 23) is left out until `rebuildDailyRollups` fills it.
    func dailyZones(_ workspaces: Set<Int64>, rules: [WorkspaceID: SessionRules], in tx: any SQLConnection) async throws -> [Int64: LocalDays] {
        var out: [Int64: LocalDays] = [:]
        for ws in workspaces.sorted() {
            if let r = try await tx.queryFirst("SELECT zone FROM tracking_rollup_zones WHERE workspace_id = ?", [.int(ws)]) {
                if let tz = TimeZone(identifier: try r.string("zone")) { out[ws] = LocalDays(tz) }
                continue
            }
            guard try await tx.queryFirst("SELECT id FROM tracking_sessions WHERE workspace_id = ? LIMIT 1", [.int(ws)]) == nil else { continue }
            let tz = rules[WorkspaceID(ws)]?.timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
            let ignore = db.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
            // Another writer's first batch for this site got there first: start again and read its zone.
            guard try await tx.execute("\(ignore) tracking_rollup_zones (workspace_id, zone) VALUES (?, ?)", [.int(ws), .text(tz.identifier)]).affectedRows == 1 else {
                throw SQLError.retryable(message: "tracking_rollup_zones: site \(ws) was created by another writer")
            }
            out[ws] = LocalDays(tz)
        }
        return out
    }

    /// Moves the daily rollups by the difference each changed session makes (a new session, one that grew out
    /// of being a bounce, one judged a bot after all). A visitor's presence on a day goes with its non-bot
    /// sessions that day; when a day appears or goes, the count of the visitor's next present day moves from
    /// one "previous day" to another, so late and out-of-order events keep every figure exact.
    func upsertDailyRollups(_ changed: [SessionChange], zones: [Int64: LocalDays], in tx: any SQLConnection) async throws {
        struct DayKey: Hashable, Comparable {
            var ws: Int64, day: Int64
            static func < (a: DayKey, b: DayKey) -> Bool { (a.ws, a.day) < (b.ws, b.day) }
        }
        var days: [DayKey: (sessions: Int64, bounces: Int64)] = [:]
        var presence: [Int64: [String: [Int64: Int64]]] = [:]   // site → visitor → day → change in sessions
        for c in changed {
            guard let local = zones[c.ws] else { continue }
            let old = Self.dailyCounts(c.before), new = Self.dailyCounts(c.after)
            if let b = c.before, old.sessions > 0 {
                let d = local.day(b.startedAt.epochMillis)
                days[DayKey(ws: c.ws, day: d), default: (0, 0)].sessions -= old.sessions
                days[DayKey(ws: c.ws, day: d), default: (0, 0)].bounces -= old.bounces
                presence[c.ws, default: [:]][b.visitorKey, default: [:]][d, default: 0] -= 1
            }
            if new.sessions > 0 {
                let d = local.day(c.after.startedAt.epochMillis)
                days[DayKey(ws: c.ws, day: d), default: (0, 0)].sessions += new.sessions
                days[DayKey(ws: c.ws, day: d), default: (0, 0)].bounces += new.bounces
                presence[c.ws, default: [:]][c.after.visitorKey, default: [:]][d, default: 0] += 1
            }
        }
        let dayKeys = days.keys.filter { days[$0]! != (0, 0) }.sorted()
        for part in Self.chunks(dayKeys, 300) {
            try await tx.execute("INSERT INTO tracking_day_sessions (workspace_id, day, sessions, bounces) VALUES " + Array(repeating: "(?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, day")) sessions = sessions + \(incoming("sessions")), bounces = bounces + \(incoming("bounces"))",
                                 part.flatMap { [.int($0.ws), .int($0.day), .int(days[$0]!.sessions), .int(days[$0]!.bounces)] })
        }
        for (ws, byVisitor) in presence.sorted(by: { $0.key < $1.key }) {
            try await movePresence(ws, byVisitor.filter { $0.value.values.contains { $0 != 0 } }, in: tx)
        }
    }

    /// Applies one site's presence changes: reads the visitors' present days (locked on MariaDB, so two writers
    /// never both see a day as new), then writes the days and the moved visitor counts.
    func movePresence(_ ws: Int64, _ byVisitor: [String: [Int64: Int64]], in tx: any SQLConnection) async throws {
        let visitors = byVisitor.keys.sorted()
        guard !visitors.isEmpty else { return }
        let lock = db.dialect == .mariadb ? " FOR UPDATE" : ""
        var stored: [String: [Int64: Int64]] = [:]
        for part in Self.chunks(visitors, 300) {
            for r in try await tx.query("SELECT visitor_key, day, sessions FROM tracking_visitor_days WHERE workspace_id = ? AND visitor_key IN (\(Self.marks(part.count)))\(lock)",
                                        [.int(ws)] + part.map { .text($0) }) {
                let n = try r.int("sessions")
                if n > 0 { stored[try r.string("visitor_key"), default: [:]][try r.int("day")] = n }
            }
        }
        struct Pair: Hashable, Comparable {
            var day: Int64, prev: Int64
            static func < (a: Pair, b: Pair) -> Bool { (a.day, a.prev) < (b.day, b.prev) }
        }
        var moved: [Pair: Int64] = [:]
        var rows: [(visitor: String, day: Int64, sessions: Int64)] = []
        for v in visitors {
            var count = stored[v] ?? [:]
            var present = count.keys.sorted()
            for (d, delta) in byVisitor[v]!.sorted(by: { $0.key < $1.key }) where delta != 0 {
                let old = count[d] ?? 0, new = max(0, old + delta)
                count[d] = new
                rows.append((v, d, new))
                if old == 0 && new > 0 {
                    let p = present.last { $0 < d } ?? -1, n = present.first { $0 > d }
                    moved[Pair(day: d, prev: p), default: 0] += 1
                    if let n { moved[Pair(day: n, prev: p), default: 0] -= 1; moved[Pair(day: n, prev: d), default: 0] += 1 }
                    present.insert(d, at: present.firstIndex { $0 > d } ?? present.count)
                } else if old > 0 && new == 0 {
                    present.removeAll { $0 == d }
                    let p = present.last { $0 < d } ?? -1, n = present.first { $0 > d }
                    moved[Pair(day: d, prev: p), default: 0] -= 1
                    if let n { moved[Pair(day: n, prev: d), default: 0] -= 1; moved[Pair(day: n, prev: p), default: 0] += 1 }
                }
            }
        }
        for part in Self.chunks(rows, 300) {
            try await tx.execute("INSERT INTO tracking_visitor_days (workspace_id, visitor_key, day, sessions) VALUES " + Array(repeating: "(?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, visitor_key, day")) sessions = \(incoming("sessions"))",
                                 part.flatMap { [.int(ws), .text($0.visitor), .int($0.day), .int($0.sessions)] })
        }
        let pairs = moved.keys.filter { moved[$0]! != 0 }.sorted()
        for part in Self.chunks(pairs, 300) {
            try await tx.execute("INSERT INTO tracking_day_visitors (workspace_id, day, prev_day, visitors) VALUES " + Array(repeating: "(?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, day, prev_day")) visitors = visitors + \(incoming("visitors"))",
                                 part.flatMap { [.int(ws), .int($0.day), .int($0.prev), .int(moved[$0]!)] })
        }
    }
}
