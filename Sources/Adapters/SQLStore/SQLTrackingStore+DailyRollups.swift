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

/// A site's daily rollups: the local days they count in, and whether the page tables (migration 27) are complete.
struct DailyZone {
    var local: LocalDays
    var pages: Bool
}

/// Where one kind of presence is kept: the table of (visitor[, value], day) rows with their count, and the table of
/// visitors per (day[, value], previous day present).
struct PresenceTables: Sendable {
    var days: String
    var count: String
    var value: String?
    var pairs: String

    /// The site's own visitors (migration 23), by the sessions they start.
    static let site = PresenceTables(days: "tracking_visitor_days", count: "sessions", value: nil, pairs: "tracking_day_visitors")
    /// Each page's visitors (migration 27), by their page views.
    static let page = PresenceTables(days: "tracking_page_visitor_days", count: "views", value: "path", pairs: "tracking_page_day_visitors")
    /// Visitors by country, city and country group (migration 27), by the sessions they start.
    static let geo = PresenceTables(days: "tracking_geo_visitor_days", count: "sessions", value: "value", pairs: "tracking_geo_day_visitors")

    /// The Geo values a session counts under: its country, its city in that country ('' unknown), and each country group its country is in.
    static func geoValues(country: String, city: String) -> [String] {
        var out = ["c:" + country]
        out.append(String(("t:" + country + "|" + city).prefix(200)))
        for g in CountryGroupList.all where g.countries.contains(country) { out.append("g:" + g.key) }
        return out
    }
}

/// A visitor, and the value (a page; '' for the site itself) it is present on.
struct PresenceKey: Hashable, Comparable {
    var visitor: String
    var value: String
    static func < (a: PresenceKey, b: PresenceKey) -> Bool { (a.visitor, a.value) < (b.visitor, b.value) }
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
    func dailyZones(_ workspaces: Set<Int64>, rules: [WorkspaceID: SessionRules], in tx: any SQLConnection) async throws -> [Int64: DailyZone] {
        var out: [Int64: DailyZone] = [:]
        for ws in workspaces.sorted() {
            if let r = try await tx.queryFirst("SELECT zone, pages FROM tracking_rollup_zones WHERE workspace_id = ?", [.int(ws)]) {
                if let tz = TimeZone(identifier: try r.string("zone")) { out[ws] = DailyZone(local: LocalDays(tz), pages: try r.int("pages") == 1) }
                continue
            }
            guard try await tx.queryFirst("SELECT id FROM tracking_sessions WHERE workspace_id = ? LIMIT 1", [.int(ws)]) == nil else { continue }
            let tz = rules[WorkspaceID(ws)]?.timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
            let ignore = db.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
            // Another writer's first batch for this site got there first: start again and read its zone.
            guard try await tx.execute("\(ignore) tracking_rollup_zones (workspace_id, zone, pages) VALUES (?, ?, 1)", [.int(ws), .text(tz.identifier)]).affectedRows == 1 else {
                throw SQLError.retryable(message: "tracking_rollup_zones: site \(ws) was created by another writer")
            }
            out[ws] = DailyZone(local: LocalDays(tz), pages: true)
        }
        return out
    }

    /// Moves the daily rollups by the difference each changed session makes (a new session, one that grew out
    /// of being a bounce, one judged a bot after all), and by the batch's page views. A visitor's presence on a
    /// day goes with its non-bot sessions that day (on a page: with its non-bot views of it); when a day appears
    /// or goes, the count of the visitor's next present day moves from one "previous day" to another, so late and
    /// out-of-order events keep every figure exact.
    func upsertDailyRollups(_ changed: [SessionChange], events: [TrackedEvent], zones: [Int64: DailyZone], in tx: any SQLConnection) async throws {
        struct DayKey: Hashable, Comparable {
            var ws: Int64, day: Int64, path: String
            static func < (a: DayKey, b: DayKey) -> Bool { (a.ws, a.day, a.path) < (b.ws, b.day, b.path) }
        }
        var days: [DayKey: (sessions: Int64, bounces: Int64, changes: Int64)] = [:]
        var entries: [DayKey: (sessions: Int64, bounces: Int64)] = [:]
        var presence: [Int64: [PresenceKey: [Int64: Int64]]] = [:]   // site → visitor → day → change in sessions
        var pagePresence: [Int64: [PresenceKey: [Int64: Int64]]] = [:]   // site → (visitor, page) → day → change in views
        var geoPresence: [Int64: [PresenceKey: [Int64: Int64]]] = [:]   // site → (visitor, geo value) → day → change in sessions
        var geo: [DayKey: (sessions: Int64, bounces: Int64, conversions: Int64)] = [:]
        func move(_ ws: Int64, _ s: TrackedSession, _ counts: (sessions: Int64, bounces: Int64), _ sign: Int64, _ zone: DailyZone) {
            let d = zone.local.day(s.startedAt.epochMillis)
            days[DayKey(ws: ws, day: d, path: ""), default: (0, 0, 0)].sessions += sign * counts.sessions
            days[DayKey(ws: ws, day: d, path: ""), default: (0, 0, 0)].bounces += sign * counts.bounces
            // Any change to a day's (non-bot) sessions moves its change count, which the Intent funnel's cached day counts check.
            days[DayKey(ws: ws, day: d, path: ""), default: (0, 0, 0)].changes = 1
            presence[ws, default: [:]][PresenceKey(visitor: s.visitorKey, value: ""), default: [:]][d, default: 0] += sign
            if zone.pages {
                let k = DayKey(ws: ws, day: d, path: String(s.entryPath.prefix(255)))
                entries[k, default: (0, 0)].sessions += sign * counts.sessions
                entries[k, default: (0, 0)].bounces += sign * counts.bounces
                let conversions: Int64 = s.converted ? sign : 0
                for v in [""] + PresenceTables.geoValues(country: s.country, city: s.city) {
                    let g = DayKey(ws: ws, day: d, path: v)
                    geo[g, default: (0, 0, 0)].sessions += sign * counts.sessions
                    geo[g, default: (0, 0, 0)].bounces += sign * counts.bounces
                    geo[g, default: (0, 0, 0)].conversions += conversions
                    if !v.isEmpty { geoPresence[ws, default: [:]][PresenceKey(visitor: s.visitorKey, value: v), default: [:]][d, default: 0] += sign }
                }
            }
        }
        for c in changed {
            guard let zone = zones[c.ws] else { continue }
            let old = Self.dailyCounts(c.before), new = Self.dailyCounts(c.after)
            if let b = c.before, old.sessions > 0 { move(c.ws, b, old, -1, zone) }
            if new.sessions > 0 { move(c.ws, c.after, new, 1, zone) }
        }
        for e in events where e.type == "pageview" && !e.isBot {
            guard let zone = zones[e.workspaceID.raw], zone.pages else { continue }
            pagePresence[e.workspaceID.raw, default: [:]][PresenceKey(visitor: e.visitorKey, value: String(e.path.prefix(255))), default: [:]][zone.local.day(e.ts.epochMillis), default: 0] += 1
        }
        let dayKeys = days.keys.sorted()
        for part in Self.chunks(dayKeys, 300) {
            try await tx.execute("INSERT INTO tracking_day_sessions (workspace_id, day, sessions, bounces, changes) VALUES " + Array(repeating: "(?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, day")) sessions = sessions + \(incoming("sessions")), bounces = bounces + \(incoming("bounces")),"
                                 + " changes = changes + \(incoming("changes"))",
                                 part.flatMap { [.int($0.ws), .int($0.day), .int(days[$0]!.sessions), .int(days[$0]!.bounces), .int(days[$0]!.changes)] })
        }
        let entryKeys = entries.keys.filter { entries[$0]! != (0, 0) }.sorted()
        for part in Self.chunks(entryKeys, 300) {
            try await tx.execute("INSERT INTO tracking_day_entries (workspace_id, day, path, sessions, bounces) VALUES " + Array(repeating: "(?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, day, path")) sessions = sessions + \(incoming("sessions")), bounces = bounces + \(incoming("bounces"))",
                                 part.flatMap { [.int($0.ws), .int($0.day), .text($0.path), .int(entries[$0]!.sessions), .int(entries[$0]!.bounces)] })
        }
        let geoKeys = geo.keys.filter { geo[$0]! != (0, 0, 0) }.sorted()
        for part in Self.chunks(geoKeys, 300) {
            try await tx.execute("INSERT INTO tracking_day_geo (workspace_id, day, value, sessions, bounces, conversions) VALUES " + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, day, value")) sessions = sessions + \(incoming("sessions")), bounces = bounces + \(incoming("bounces")),"
                                 + " conversions = conversions + \(incoming("conversions"))",
                                 part.flatMap { [.int($0.ws), .int($0.day), .text($0.path), .int(geo[$0]!.sessions), .int(geo[$0]!.bounces), .int(geo[$0]!.conversions)] })
        }
        for (ws, byKey) in geoPresence.sorted(by: { $0.key < $1.key }) {
            try await movePresence(ws, byKey.filter { $0.value.values.contains { $0 != 0 } }, .geo, in: tx)
        }
        for (ws, byKey) in presence.sorted(by: { $0.key < $1.key }) {
            try await movePresence(ws, byKey.filter { $0.value.values.contains { $0 != 0 } }, .site, in: tx)
        }
        for (ws, byKey) in pagePresence.sorted(by: { $0.key < $1.key }) {
            try await movePresence(ws, byKey, .page, in: tx)
        }
    }

    /// Applies one site's presence changes: reads the visitors' present days (locked on MariaDB, so two writers
    /// never both see a day as new), then writes the days and the moved visitor counts.
    func movePresence(_ ws: Int64, _ byKey: [PresenceKey: [Int64: Int64]], _ t: PresenceTables, in tx: any SQLConnection) async throws {
        let keys = byKey.keys.sorted()
        guard !keys.isEmpty else { return }
        let lock = db.dialect == .mariadb ? " FOR UPDATE" : ""
        let valueColumn = t.value.map { ", \($0)" } ?? ""
        var stored: [PresenceKey: [Int64: Int64]] = [:]
        for part in Self.chunks(keys, 300) {
            let visitors = Array(Set(part.map(\.visitor))).sorted()
            var sql = "SELECT visitor_key\(valueColumn), day, \(t.count) AS n FROM \(t.days) WHERE workspace_id = ? AND visitor_key IN (\(Self.marks(visitors.count)))"
            var binds: [SQLValue] = [.int(ws)] + visitors.map { .text($0) }
            if let column = t.value {
                // Every page of these visitors that the batch touches; rows for other pairs are read and skipped.
                let values = Array(Set(part.map(\.value))).sorted()
                sql += " AND \(column) IN (\(Self.marks(values.count)))"
                binds += values.map { .text($0) }
            }
            for r in try await tx.query(sql + lock, binds) {
                let n = try r.int("n")
                let key = PresenceKey(visitor: try r.string("visitor_key"), value: try t.value.map { try r.string($0) } ?? "")
                if n > 0, byKey[key] != nil { stored[key, default: [:]][try r.int("day")] = n }
            }
        }
        struct Pair: Hashable, Comparable {
            var value: String, day: Int64, prev: Int64
            static func < (a: Pair, b: Pair) -> Bool { (a.day, a.value, a.prev) < (b.day, b.value, b.prev) }
        }
        var moved: [Pair: Int64] = [:]
        var rows: [(key: PresenceKey, day: Int64, count: Int64)] = []
        for key in keys {
            var count = stored[key] ?? [:]
            var present = count.keys.sorted()
            func shift(_ day: Int64, _ prev: Int64, _ n: Int64) { moved[Pair(value: key.value, day: day, prev: prev), default: 0] += n }
            for (d, delta) in byKey[key]!.sorted(by: { $0.key < $1.key }) where delta != 0 {
                let old = count[d] ?? 0, new = max(0, old + delta)
                count[d] = new
                rows.append((key, d, new))
                if old == 0 && new > 0 {
                    let p = present.last { $0 < d } ?? -1, n = present.first { $0 > d }
                    shift(d, p, 1)
                    if let n { shift(n, p, -1); shift(n, d, 1) }
                    present.insert(d, at: present.firstIndex { $0 > d } ?? present.count)
                } else if old > 0 && new == 0 {
                    present.removeAll { $0 == d }
                    let p = present.last { $0 < d } ?? -1, n = present.first { $0 > d }
                    shift(d, p, -1)
                    if let n { shift(n, d, -1); shift(n, p, 1) }
                }
            }
        }
        let width = t.value == nil ? 4 : 5
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        for part in Self.chunks(rows, 300) {
            try await tx.execute("INSERT INTO \(t.days) (workspace_id, visitor_key\(valueColumn), day, \(t.count)) VALUES " + Array(repeating: tuple, count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, visitor_key\(valueColumn), day")) \(t.count) = \(incoming(t.count))",
                                 part.flatMap { r -> [SQLValue] in [.int(ws), .text(r.key.visitor)] + (t.value == nil ? [] : [.text(r.key.value)]) + [.int(r.day), .int(r.count)] })
        }
        let pairs = moved.keys.filter { moved[$0]! != 0 }.sorted()
        for part in Self.chunks(pairs, 300) {
            try await tx.execute("INSERT INTO \(t.pairs) (workspace_id, day\(valueColumn), prev_day, visitors) VALUES " + Array(repeating: tuple, count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, day\(valueColumn), prev_day")) visitors = visitors + \(incoming("visitors"))",
                                 part.flatMap { p -> [SQLValue] in [.int(ws), .int(p.day)] + (t.value == nil ? [] : [.text(p.value)]) + [.int(p.prev), .int(moved[p]!)] })
        }
    }
}
