import Foundation
import Ports

/// Tracking events in multi-row INSERTs (one round trip per batch, the only way to reach tens of
/// thousands of rows a second); duplicates by (workspace, event id) are skipped by the unique index.
public struct SQLTrackingStore: TrackingStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static let columns = ["workspace_id", "event_uid", "visitor_key", "session_hint", "type", "name", "ts", "received_at", "url", "path", "title", "referrer",
                          "referrer_domain", "source", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "country", "device", "browser",
                          "browser_version", "os", "os_version", "ip", "screen", "lang", "engaged_ms", "scroll_pct", "props", "is_bot", "city"]

    static func binds(_ e: TrackedEvent) -> [SQLValue] {
        [.int(e.workspaceID.raw), .text(e.eventUID), .text(e.visitorKey), .text(e.sessionHint), .text(e.type), .text(e.name), .int(e.ts.epochMillis),
         .int(e.receivedAt.epochMillis), .text(e.url), .text(e.path), .text(e.title), .text(e.referrer), .text(e.referrerDomain), .text(e.source),
         SQLValue(e.utm["source"]), SQLValue(e.utm["medium"]), SQLValue(e.utm["campaign"]), SQLValue(e.utm["term"]), SQLValue(e.utm["content"]),
         .text(e.country), .text(e.device), .text(e.browser), .text(e.browserVersion), .text(e.os), .text(e.osVersion), .text(e.ip), .text(e.screen),
         .text(e.lang), .int(e.engagedMs), .int(e.scrollPct), .text(e.props), SQLValue(e.isBot), .text(String(e.city.prefix(128)))]
    }

    public func insert(_ incoming: [TrackedEvent], rules: [WorkspaceID: SessionRules]) async throws -> Int {
        guard !incoming.isEmpty else { return 0 }
        return try await db.retryingTransaction { tx in try await insert(incoming, rules: rules, in: tx) }
    }

    /// Inserts a batch inside `tx` with a fixed number of statements per few hundred events (never one per event):
    /// known ids, open sessions, new sessions, session updates, events, visitors and rollups each go in multi-row statements.
    func insert(_ incoming: [TrackedEvent], rules: [WorkspaceID: SessionRules], in tx: any SQLConnection) async throws -> Int {
        // Drop the events this workspace already has (retries) and repeats within the batch, so sessions count each event once.
        var known = Set<String>()
        let byWorkspace = Dictionary(grouping: incoming, by: \.workspaceID.raw)
        for (ws, list) in byWorkspace.sorted(by: { $0.key < $1.key }) {
            for part in Self.chunks(Array(Set(list.map(\.eventUID))).sorted(), 500) {
                let sql = "SELECT event_uid FROM tracking_events WHERE workspace_id = ? AND event_uid IN (\(Self.marks(part.count)))"
                for r in try await tx.query(sql, [.int(ws)] + part.map { .text($0) }) { known.insert("\(ws)|\(try r.string("event_uid"))") }
            }
        }
        var seenInBatch = Set<String>()
        let events = incoming.filter { e in
            let k = "\(e.workspaceID.raw)|\(e.eventUID)"
            return !known.contains(k) && seenInBatch.insert(k).inserted
        }.sorted { $0.ts < $1.ts }
        if events.isEmpty { return 0 }

        // The daily rollups' zone is read before the batch's sessions exist (a site's first batch creates it).
        let zones = try await dailyZones(Set(events.map(\.workspaceID.raw)), rules: rules, in: tx)
        let (sessionOf, started, changed) = try await assignSessions(events, rules: rules, in: tx)
        let ignore = db.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
        let row = "(" + Array(repeating: "?", count: Self.columns.count + 1).joined(separator: ", ") + ")"
        let cols = (Self.columns + ["session_id"]).joined(separator: ", ")
        var inserted = 0
        // 150 rows × 33 columns stay under SQLite's bound-parameter limit (32766) and MariaDB's packet size.
        for part in Self.chunks(events, 150) {
            inserted += try await tx.execute("\(ignore) tracking_events (\(cols)) VALUES " + Array(repeating: row, count: part.count).joined(separator: ", "),
                                             part.flatMap { Self.binds($0) + [SQLValue(sessionOf[Self.key($0)])] }).affectedRows
        }
        try await upsertVisitors(events, in: tx)
        try await upsertRollups(events, started: started, in: tx)
        try await upsertDailyRollups(changed, events: events, zones: zones, in: tx)
        return inserted
    }

    /// No engagement: at least three pages within ten seconds and nothing else (no engagement time, scroll,
    /// click, form or custom event). Real visitors' browsers send engagement events; scripted ones don't.
    static func noEngagement(_ s: TrackedSession) -> Bool {
        s.pageviews >= 3 && s.events == s.pageviews && s.engagedMs == 0 && s.lastAt.timeIntervalSince(s.startedAt) <= 10
    }

    static func key(_ e: TrackedEvent) -> String { "\(e.workspaceID.raw)|\(e.eventUID)" }
    static func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ", ") }
    static func chunks<T>(_ a: [T], _ n: Int) -> [ArraySlice<T>] {
        stride(from: 0, to: a.count, by: n).map { a[$0..<min(a.count, $0 + n)] }
    }
    var upsertTail: (String) -> String {
        let maria = db.dialect == .mariadb
        return { conflict in maria ? "ON DUPLICATE KEY UPDATE" : "ON CONFLICT(\(conflict)) DO UPDATE SET" }
    }
    /// The new row's value of `column` inside an upsert's update clause.
    func incoming(_ column: String) -> String { db.dialect == .mariadb ? "VALUES(\(column))" : "excluded.\(column)" }

    /// Visitors: first and last seen, one multi-row upsert per 200 visitors.
    func upsertVisitors(_ events: [TrackedEvent], in tx: any SQLConnection) async throws {
        var latest: [String: TrackedEvent] = [:]
        var first: [String: Date] = [:]
        for e in events {
            let k = "\(e.workspaceID.raw)|\(e.visitorKey)"
            if latest[k].map({ $0.ts <= e.ts }) ?? true { latest[k] = e }
            if first[k].map({ $0 > e.ts }) ?? true { first[k] = e.ts }
        }
        let greatest = db.dialect == .mariadb ? "GREATEST" : "MAX"
        // The visitors that exist already, with their id and last visit. (An upsert that meets its row through the
        // unique (workspace, visitor) index first inserts a row and then undoes it on InnoDB, which costs far more
        // than looking the rows up; so known visitors are updated through their primary key, and only when they moved on.)
        var existing: [String: (id: Int64, last: Int64)] = [:]
        for (ws, list) in Dictionary(grouping: latest.values, by: \.workspaceID.raw).sorted(by: { $0.key < $1.key }) {
            for part in Self.chunks(list.map(\.visitorKey).sorted(), 300) {
                for r in try await tx.query("SELECT id, visitor_key, last_seen_at FROM visitors WHERE workspace_id = ? AND visitor_key IN (\(Self.marks(part.count)))",
                                            [.int(ws)] + part.map { .text($0) }) {
                    existing["\(ws)|\(try r.string("visitor_key"))"] = (try r.int("id"), try r.int("last_seen_at"))
                }
            }
        }
        // Sorted keys: concurrent writers lock rows in one order, so they wait for each other instead of deadlocking.
        let keys = latest.keys.sorted()
        // New visitors (another writer may have added one meanwhile: the upsert then only moves its last visit on).
        for part in Self.chunks(keys.filter { existing[$0] == nil }, 200) {
            var binds: [SQLValue] = []
            binds.reserveCapacity(part.count * 5)
            for k in part {
                let e = latest[k]!
                binds += [.int(e.workspaceID.raw), .text(e.visitorKey), .int(first[k]!.epochMillis), .int(e.ts.epochMillis), .text(e.country)]
            }
            try await tx.execute("INSERT INTO visitors (workspace_id, visitor_key, first_seen_at, last_seen_at, country) VALUES "
                                 + Array(repeating: "(?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, visitor_key")) last_seen_at = \(greatest)(last_seen_at, \(incoming("last_seen_at")))", binds)
        }
        // Known visitors seen later than their stored last visit: upserted by primary key.
        let moved = keys.filter { k in existing[k].map { $0.last < latest[k]!.ts.epochMillis } ?? false }
        for part in Self.chunks(moved, 200) {
            var binds: [SQLValue] = []
            binds.reserveCapacity(part.count * 6)
            for k in part {
                let e = latest[k]!
                binds += [.int(existing[k]!.id), .int(e.workspaceID.raw), .text(e.visitorKey), .int(first[k]!.epochMillis), .int(e.ts.epochMillis), .text(e.country)]
            }
            try await tx.execute("INSERT INTO visitors (id, workspace_id, visitor_key, first_seen_at, last_seen_at, country) VALUES "
                                 + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("id")) last_seen_at = \(greatest)(last_seen_at, \(incoming("last_seen_at")))", binds)
        }
    }

    /// The rollup dimension holding page views per hour with bots (value ''), for the Visitor log's total.
    public static let visitLogDimension = "log"
    /// The rollup dimensions counting every event (bots included) by type, and by name where it differs from the
    /// type, for the Events log's total (migration 28).
    public static let eventTypeDimension = "etype"
    public static let eventNameDimension = "ename"

    /// Hourly rollups by page, source, country, device and browser (bots left out): events, page views and
    /// engaged time by the hour of each event; sessions by the hour they started, on their entry page.
    /// Plus every page view, bots included, under `visitLogDimension` (the Visitor log's count), and every event, bots
    /// included, under `eventTypeDimension` and `eventNameDimension` (the Events log's).
    /// One upsert per 300 rows in sorted order, so concurrent writers queue on a hot row instead of deadlocking.
    func upsertRollups(_ events: [TrackedEvent], started: [(ws: Int64, session: TrackedSession, first: TrackedEvent)], in tx: any SQLConnection) async throws {
        struct Key: Hashable { var ws: Int64, hour: Int64, dim: String, value: String }
        struct Sum { var pageviews: Int64 = 0, events: Int64 = 0, sessions: Int64 = 0, engaged: Int64 = 0 }
        var sums: [Key: Sum] = [:]
        func dims(_ e: TrackedEvent, page: String) -> [(String, String)] {
            [("page", page), ("source", e.source), ("country", e.country), ("device", e.device), ("browser", e.browser)]
        }
        for e in events where e.type == "pageview" {
            // The Visitor log's hourly count (bots included, as the log lists them).
            let k = Key(ws: e.workspaceID.raw, hour: e.ts.epochMillis / 3_600_000 * 3_600_000, dim: Self.visitLogDimension, value: "")
            sums[k, default: Sum()].pageviews += 1
            sums[k, default: Sum()].events += 1
        }
        for e in events {
            let hour = e.ts.epochMillis / 3_600_000 * 3_600_000
            sums[Key(ws: e.workspaceID.raw, hour: hour, dim: Self.eventTypeDimension, value: String(e.type.prefix(255))), default: Sum()].events += 1
            if !e.name.isEmpty && e.name != e.type {
                sums[Key(ws: e.workspaceID.raw, hour: hour, dim: Self.eventNameDimension, value: String(e.name.prefix(255))), default: Sum()].events += 1
            }
        }
        for e in events where !e.isBot {
            let hour = e.ts.epochMillis / 3_600_000 * 3_600_000
            for (dim, value) in dims(e, page: e.path) {
                let k = Key(ws: e.workspaceID.raw, hour: hour, dim: dim, value: String(value.prefix(255)))
                if e.type == "pageview" { sums[k, default: Sum()].pageviews += 1 }
                sums[k, default: Sum()].events += 1
                sums[k, default: Sum()].engaged += e.engagedMs
            }
        }
        for (ws, s, e) in started where !e.isBot {
            let hour = s.startedAt.epochMillis / 3_600_000 * 3_600_000
            for (dim, value) in dims(e, page: s.entryPath.isEmpty ? e.path : s.entryPath) {
                sums[Key(ws: ws, hour: hour, dim: dim, value: String(value.prefix(255))), default: Sum()].sessions += 1
            }
        }
        let keys = sums.keys.sorted { ($0.ws, $0.hour, $0.dim, $0.value) < ($1.ws, $1.hour, $1.dim, $1.value) }
        for part in Self.chunks(keys, 300) {
            var binds: [SQLValue] = []
            for k in part {
                let v = sums[k]!
                binds += [.int(k.ws), .int(k.hour), .text(k.dim), .text(k.value), .int(v.pageviews), .int(v.events), .int(v.sessions), .int(v.engaged)]
            }
            try await tx.execute("INSERT INTO tracking_rollups (workspace_id, hour, dim, value, pageviews, events, sessions, engaged_ms) VALUES "
                                 + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("workspace_id, hour, dim, value")) pageviews = pageviews + \(incoming("pageviews")), events = events + \(incoming("events")),"
                                 + " sessions = sessions + \(incoming("sessions")), engaged_ms = engaged_ms + \(incoming("engaged_ms"))", binds)
        }
    }

    /// Extends each visitor's open session or starts a new one, event by event in time order; returns the
    /// session id of every event (by `key`). Reads, inserts and updates sessions a few hundred at a time.
    func assignSessions(_ events: [TrackedEvent], rules: [WorkspaceID: SessionRules], in tx: any SQLConnection) async throws
        -> (ids: [String: Int64], started: [(ws: Int64, session: TrackedSession, first: TrackedEvent)], changed: [SessionChange]) {
        // `before`: the stored row of a session loaded from the table (nil for a new one), for the daily rollups' deltas.
        struct Open { var session: TrackedSession; var ws: Int64; var isNew: Bool; var dirty: Bool; var first: TrackedEvent; var bot: Bool; var before: TrackedSession? }
        var all: [Open] = []            // every session touched, in order of creation (new ones) / discovery
        var index: [String: Int] = [:]  // visitor key → its current entry in `all`
        var eventSlot: [String: Int] = [:]
        func timeout(_ ws: Int64) -> Int64 { Int64((rules[WorkspaceID(ws)]?.timeout ?? SessionRules().timeout) * 1000) }
        // Load the latest session of every visitor in the batch that could still be open.
        let visitors = Dictionary(grouping: events, by: \.workspaceID.raw).mapValues { list in Array(Set(list.map(\.visitorKey))).sorted() }
        for (ws, keys) in visitors.sorted(by: { $0.key < $1.key }) {
            let earliest = events.filter { $0.workspaceID.raw == ws }.map(\.ts.epochMillis).min() ?? 0
            for part in Self.chunks(keys, 300) {
                let rows = try await tx.query("SELECT \(Self.sessionColumns) FROM tracking_sessions WHERE workspace_id = ? AND visitor_key IN (\(Self.marks(part.count))) AND last_at >= ?",
                                              [.int(ws)] + part.map { .text($0) } + [.int(earliest - timeout(ws))])
                for r in rows {
                    let s = try Self.decodeSession(r)
                    let k = "\(ws)|\(s.visitorKey)"
                    if let cur = index[k], all[cur].session.lastAt > s.lastAt || (all[cur].session.lastAt == s.lastAt && all[cur].session.id > s.id) { continue }
                    if index[k] == nil { all.append(Open(session: s, ws: ws, isNew: false, dirty: false, first: events[0], bot: false, before: s)); index[k] = all.count - 1 }
                    else { all[index[k]!].session = s; all[index[k]!].before = s }
                }
            }
        }
        for e in events {
            let k = "\(e.workspaceID.raw)|\(e.visitorKey)"
            let isPage = e.type == "pageview"
            let converts = e.type == "custom" && (rules[e.workspaceID]?.conversionEvents.contains(e.name) ?? false)
            let t = timeout(e.workspaceID.raw)
            if let i = index[k], e.ts.epochMillis - all[i].session.lastAt.epochMillis <= t, e.ts.epochMillis >= all[i].session.startedAt.epochMillis - t {
                var s = all[i].session
                s.lastAt = max(s.lastAt, e.ts)
                s.events += 1
                if isPage {
                    s.pageviews += 1
                    s.exitPath = e.path
                    if s.entryPath.isEmpty { s.entryPath = e.path }
                }
                s.engagedMs += e.engagedMs
                if converts { s.converted = true }
                // Re-judged with every event: a visit that later shows engagement is no longer a suspect.
                s.isBot = e.isBot || Self.noEngagement(s)
                all[i].session = s
                all[i].dirty = true
                eventSlot[Self.key(e)] = i
            } else {
                let s = TrackedSession(id: 0, visitorKey: e.visitorKey, startedAt: e.ts, lastAt: e.ts, entryPath: isPage ? e.path : "", exitPath: isPage ? e.path : "",
                                       pageviews: isPage ? 1 : 0, events: 1, engagedMs: e.engagedMs, source: e.source, country: e.country, device: e.device, converted: converts,
                                       isBot: e.isBot, city: String(e.city.prefix(128)))
                all.append(Open(session: s, ws: e.workspaceID.raw, isNew: true, dirty: false, first: e, bot: e.isBot, before: nil))
                index[k] = all.count - 1
                eventSlot[Self.key(e)] = all.count - 1
            }
        }
        // New sessions: multi-row inserts that return their ids (INSERT … RETURNING, on both engines), matched by (visitor, start):
        // no second query to read them back.
        let fresh = all.indices.filter { all[$0].isNew }
        for part in Self.chunks(fresh, 100) {
            var binds: [SQLValue] = []
            binds.reserveCapacity(part.count * 19)
            var slot: [String: Int] = [:]
            for i in part {
                let s = all[i].session, e = all[i].first
                slot["\(all[i].ws)|\(s.visitorKey)|\(s.startedAt.epochMillis)"] = i
                binds += [.int(all[i].ws), .text(s.visitorKey), .int(s.startedAt.epochMillis), .int(s.lastAt.epochMillis), .text(s.entryPath), .text(s.exitPath),
                          .int(Int64(s.pageviews)), .int(Int64(s.events)), .int(s.engagedMs), .text(e.source), .text(e.referrerDomain), SQLValue(e.utm["campaign"]),
                          .text(e.country), .text(e.device), .text(e.browser), .text(e.os), SQLValue(s.isBot), SQLValue(s.converted), .text(String(e.city.prefix(128)))]
            }
            let rows = try await tx.query("INSERT INTO tracking_sessions (workspace_id, visitor_key, started_at, last_at, entry_path, exit_path, pageviews, events, engaged_ms, source, referrer_domain, utm_campaign, country, device, browser, os, is_bot, converted, city) VALUES "
                                          + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                                          + " RETURNING id, workspace_id, visitor_key, started_at", binds)
            for r in rows {
                if let i = slot["\(try r.int("workspace_id"))|\(try r.string("visitor_key"))|\(try r.int("started_at"))"] { all[i].session.id = try r.int("id") }
            }
            guard rows.count == part.count else { throw SQLError.engine(code: 0, message: "tracking_sessions: \(rows.count) ids returned for \(part.count) new sessions") }
        }
        // Sessions that grew: one multi-row upsert on the primary key per 100 sessions (the row exists, so only the
        // columns named in the update part change; the other values only satisfy the insert part's NOT NULL columns).
        let grown = all.indices.filter { !all[$0].isNew && all[$0].dirty }
        let updated = ["last_at", "exit_path", "entry_path", "pageviews", "events", "engaged_ms", "converted", "is_bot"]
        // A session that changed waits for its Intent class again (migration 26).
        let assignments = updated.map { "\($0) = \(incoming($0))" }.joined(separator: ", ") + ", intent_rules = ''"
        for part in Self.chunks(grown, 100) {
            var binds: [SQLValue] = []
            binds.reserveCapacity(part.count * 12)
            for i in part {
                let s = all[i].session
                binds += [.int(s.id), .int(all[i].ws), .text(s.visitorKey), .int(s.startedAt.epochMillis), .int(s.lastAt.epochMillis), .text(s.exitPath),
                          .text(s.entryPath), .int(Int64(s.pageviews)), .int(Int64(s.events)), .int(s.engagedMs), SQLValue(s.converted), SQLValue(s.isBot)]
            }
            try await tx.execute("INSERT INTO tracking_sessions (id, workspace_id, visitor_key, started_at, last_at, exit_path, entry_path, pageviews, events, engaged_ms, converted, is_bot,"
                                 + " source, referrer_domain, country, device, browser, os) VALUES "
                                 + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', '', '', '')", count: part.count).joined(separator: ", ")
                                 + " \(upsertTail("id")) \(assignments)", binds)
        }
        var out: [String: Int64] = [:]
        for (k, i) in eventSlot { out[k] = all[i].session.id }
        let changed = all.filter { $0.isNew || $0.dirty }.map { SessionChange(ws: $0.ws, before: $0.before, after: $0.session) }
        return (out, fresh.map { (all[$0].ws, all[$0].session, all[$0].first) }, changed)
    }

    /// The columns `decodeSession` reads.
    static let sessionColumns = "id, visitor_key, started_at, last_at, entry_path, exit_path, pageviews, events, engaged_ms, source, country, device, converted, is_bot, city"

    static func decodeSession(_ r: SQLRow) throws -> TrackedSession {
        TrackedSession(id: try r.int("id"), visitorKey: try r.string("visitor_key"), startedAt: try r.date("started_at"), lastAt: try r.date("last_at"),
                       entryPath: try r.string("entry_path"), exitPath: try r.string("exit_path"), pageviews: Int(try r.int("pageviews")), events: Int(try r.int("events")),
                       engagedMs: try r.int("engaged_ms"), source: try r.string("source"), country: try r.string("country"), device: try r.string("device"),
                       converted: try r.bool("converted"), isBot: try r.bool("is_bot"), city: try r.string("city"))
    }

    public func sessions(_ workspace: WorkspaceID, limit: Int) async throws -> [TrackedSession] {
        try await db.read { conn in
            try await conn.query("SELECT * FROM tracking_sessions WHERE workspace_id = ? ORDER BY started_at, id LIMIT ?", [.int(workspace.raw), .int(Int64(limit))]).map(Self.decodeSession)
        }
    }

    public func events(_ workspace: WorkspaceID, limit: Int) async throws -> [TrackedEvent] {
        try await db.read { conn in
            try await conn.query("SELECT * FROM tracking_events WHERE workspace_id = ? ORDER BY ts, id LIMIT ?", [.int(workspace.raw), .int(Int64(limit))]).map(Self.decodeEvent)
        }
    }

    static func decodeEvent(_ r: SQLRow) throws -> TrackedEvent {
        var utm: [String: String] = [:]
        for k in ["source", "medium", "campaign", "term", "content"] { if let v = try r.optionalString("utm_\(k)") { utm[k] = v } }
        return TrackedEvent(workspaceID: WorkspaceID(try r.int("workspace_id")), eventUID: try r.string("event_uid"), visitorKey: try r.string("visitor_key"),
                            sessionHint: try r.string("session_hint"), type: try r.string("type"), name: try r.string("name"), ts: try r.date("ts"),
                            receivedAt: try r.date("received_at"), url: try r.string("url"), path: try r.string("path"), title: try r.string("title"),
                            referrer: try r.string("referrer"), referrerDomain: try r.string("referrer_domain"), source: try r.string("source"), utm: utm,
                            country: try r.string("country"), device: try r.string("device"), browser: try r.string("browser"),
                            browserVersion: try r.string("browser_version"), os: try r.string("os"), osVersion: try r.string("os_version"), ip: try r.string("ip"),
                            screen: try r.string("screen"), lang: try r.string("lang"), engagedMs: try r.int("engaged_ms"), scrollPct: try r.int("scroll_pct"),
                            props: try r.string("props"), isBot: try r.bool("is_bot"), city: try r.string("city"))
    }

    public func rollup(_ workspace: WorkspaceID, _ dimension: RollupDimension, from: Date, to: Date, limit: Int) async throws -> [RollupRow] {
        try await db.read { conn in
            try await conn.query("SELECT value, SUM(pageviews) AS pv, SUM(events) AS ev, SUM(sessions) AS se, SUM(engaged_ms) AS en FROM tracking_rollups"
                                 + " WHERE workspace_id = ? AND dim = ? AND hour >= ? AND hour < ? GROUP BY value ORDER BY pv DESC, se DESC, value LIMIT ?",
                                 [.int(workspace.raw), .text(dimension.rawValue), .int(from.epochMillis / 3_600_000 * 3_600_000), .int(to.epochMillis), .int(Int64(limit))]).map {
                RollupRow(value: try $0.string("value"), pageviews: try $0.int("pv"), events: try $0.int("ev"), sessions: try $0.int("se"), engagedMs: try $0.int("en"))
            }
        }
    }

    public func count(_ workspace: WorkspaceID) async throws -> Int {
        try await db.read { conn in Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE workspace_id = ?", [.int(workspace.raw)])?.int("n") ?? 0) }
    }
}

public struct SQLTrackingMaintenance: TrackingMaintenance {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    /// Deletes by primary key in small batches, so each statement holds its locks only briefly and
    /// beacons keep being written while old data goes.
    func deleteBatch(_ table: String, timeColumn: String, _ workspace: WorkspaceID, before: Date, batch: Int) async throws -> Int {
        let ids = try await db.read { conn in
            try await conn.query("SELECT id FROM \(table) WHERE workspace_id = ? AND \(timeColumn) < ? ORDER BY \(timeColumn) LIMIT ?",
                                 [.int(workspace.raw), .int(before.epochMillis), .int(Int64(batch))]).map { try $0.int("id") }
        }
        guard !ids.isEmpty else { return 0 }
        return try await db.write { conn in
            try await conn.execute("DELETE FROM \(table) WHERE id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))", ids.map { .int($0) }).affectedRows
        }
    }

    public func deleteEvents(_ workspace: WorkspaceID, before: Date, batch: Int) async throws -> Int {
        try await deleteBatch("tracking_events", timeColumn: "ts", workspace, before: before, batch: batch)
    }

    public func deleteSessions(_ workspace: WorkspaceID, before: Date, batch: Int) async throws -> Int {
        try await deleteBatch("tracking_sessions", timeColumn: "last_at", workspace, before: before, batch: batch)
    }

    public func activeVisitors(_ workspace: WorkspaceID, since: Date, limit: Int) async throws -> [(visitorKey: String, lastSeen: Date, path: String, country: String, device: String)] {
        try await db.read { conn in
            try await conn.query("""
                SELECT s.visitor_key, s.last_at, s.exit_path, s.entry_path, s.country, s.device FROM tracking_sessions s
                WHERE s.workspace_id = ? AND s.last_at >= ? AND s.is_bot = 0 ORDER BY s.last_at DESC LIMIT ?
                """, [.int(workspace.raw), .int(since.epochMillis), .int(Int64(limit))]).map {
                let exit = try $0.string("exit_path")
                return (try $0.string("visitor_key"), try $0.date("last_at"), exit.isEmpty ? try $0.string("entry_path") : exit, try $0.string("country"), try $0.string("device"))
            }
        }
    }
}
