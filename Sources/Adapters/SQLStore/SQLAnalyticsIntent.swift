import Foundation
import Ports

/// The Intent funnel's stored classes. Each session carries the class it was last given (`intent`, `intent_reason`)
/// and the key of the site's rules it was given under (`intent_rules`); ingest sets the key back to '' whenever
/// the session changes, so a session is waiting for its class exactly when its key is not the current one.
/// Counts read one covering index over the range (`ix_tracking_sessions_intent`, migration 26).
extension SQLAnalyticsLists {
    public func intentCounts(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String, settledBefore: Date) async throws -> [String: Int] {
        // Whole local days of the daily rollups' zone: day by day, each from its cached counts while they are current.
        let days = try await db.read { conn -> [(day: Int64, from: Date, to: Date, stamp: Int64, cached: String?)]? in
            guard let d = try await SQLAnalyticsReports.localDays(conn, workspace.raw, [from, to]), d[1] > d[0], d[1] - d[0] <= 400,
                  let zone = try await conn.queryFirst("SELECT zone FROM tracking_rollup_zones WHERE workspace_id = ?", [.int(workspace.raw)]),
                  let tz = TimeZone(identifier: try zone.string("zone")) else { return nil }
            var stamps: [Int64: Int64] = [:], cached: [Int64: (stamp: Int64, counts: String)] = [:]
            for r in try await conn.query("SELECT day, changes FROM tracking_day_sessions WHERE workspace_id = ? AND day >= ? AND day < ?", [.int(workspace.raw), .int(d[0]), .int(d[1])]) {
                stamps[try r.int("day")] = try r.int("changes")
            }
            for r in try await conn.query("SELECT day, stamp, counts FROM tracking_intent_days WHERE workspace_id = ? AND day >= ? AND day < ? AND rules_key = ?",
                                          [.int(workspace.raw), .int(d[0]), .int(d[1]), .text(rulesKey)]) {
                cached[try r.int("day")] = (try r.int("stamp"), try r.string("counts"))
            }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = tz
            var out: [(day: Int64, from: Date, to: Date, stamp: Int64, cached: String?)] = []
            var start = from
            for day in d[0]..<d[1] {
                guard let end = calendar.date(byAdding: .day, value: 1, to: start) else { return nil }
                let stamp = stamps[day] ?? 0
                out.append((day, start, end, stamp, cached[day].flatMap { $0.stamp == stamp ? $0.counts : nil }))
                start = end
            }
            return start == to ? out : nil
        }
        guard let days else { return try await rawIntentCounts(workspace, from: from, to: to, rulesKey: rulesKey) }
        var out: [String: Int] = [:]
        var fresh: [(day: Int64, stamp: Int64, counts: String)] = []
        for d in days {
            let counts: [String: Int]
            if let cached = d.cached { counts = try Self.decodeCounts(cached) } else { counts = try await rawIntentCounts(workspace, from: d.from, to: d.to, rulesKey: rulesKey) }
            for (k, n) in counts { out[k, default: 0] += n }
            // A day over for an hour whose sessions all have their class is kept (its stamp says when to count it again).
            if d.cached == nil, (counts[""] ?? 0) == 0, d.to <= settledBefore { fresh.append((d.day, d.stamp, Self.encodeCounts(counts))) }
        }
        if !fresh.isEmpty {
            let ws = SQLValue.int(workspace.raw)
            _ = try await db.write { tx in
                for part in SQLTrackingStore.chunks(fresh, 100) {
                    try await tx.execute("DELETE FROM tracking_intent_days WHERE workspace_id = ? AND day IN (\(SQLTrackingStore.marks(part.count)))", [ws] + part.map { .int($0.day) })
                    try await tx.execute("INSERT INTO tracking_intent_days (workspace_id, day, rules_key, stamp, counts) VALUES " + Array(repeating: "(?, ?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                                         part.flatMap { [ws, .int($0.day), .text(rulesKey), .int($0.stamp), .text($0.counts)] })
                }
            }
        }
        return out
    }

    /// "class=n;class=n" (classes are short ASCII words).
    static func encodeCounts(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    static func decodeCounts(_ text: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for part in text.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, let n = Int(kv[1]) else { throw SQLError.decoding(column: "tracking_intent_days.counts", expected: "class=count;…") }
            out[String(kv[0]), default: 0] += n
        }
        return out
    }

    /// The classes of the range's non-bot sessions ('' for those waiting for theirs), from the covering index.
    func rawIntentCounts(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String) async throws -> [String: Int] {
        try await db.read { conn in
            var out: [String: Int] = [:]
            for r in try await conn.query("""
                SELECT CASE WHEN intent_rules = ? THEN intent ELSE '' END AS i, COUNT(*) AS n FROM tracking_sessions
                WHERE workspace_id = ? AND started_at >= ? AND started_at < ? AND is_bot = 0 GROUP BY CASE WHEN intent_rules = ? THEN intent ELSE '' END
                """, [.text(rulesKey), .int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis), .text(rulesKey)]) {
                out[try r.string("i"), default: 0] += Int(try r.int("n"))
            }
            return out
        }
    }

    public func pendingIntentSessions(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String, after: (Date, Int64)?, limit: Int) async throws -> [IntentCandidate] {
        // The lower bound moves with the keyset, so each batch reads the index from where the last one stopped.
        let lower = max(from.epochMillis, after?.0.epochMillis ?? from.epochMillis)
        var conds = "s.workspace_id = ? AND s.started_at >= ? AND s.started_at < ? AND s.is_bot = 0 AND s.intent_rules <> ?"
        var binds: [SQLValue] = [.int(workspace.raw), .int(lower), .int(to.epochMillis), .text(rulesKey)]
        if let (t, id) = after {
            conds += " AND (s.started_at > ? OR (s.started_at = ? AND s.id > ?))"
            binds += [.int(t.epochMillis), .int(t.epochMillis), .int(id)]
        }
        return try await db.read { conn in
            let rows = try await conn.query("SELECT \(Self.sessionColumns), s.events FROM tracking_sessions s LEFT JOIN visitors v ON v.workspace_id = s.workspace_id"
                                            + " AND v.visitor_key = s.visitor_key WHERE \(conds) ORDER BY s.started_at, s.id LIMIT ?", binds + [.int(Int64(limit))])
            let sessions = try rows.map { (try SQLAnalyticsReports.decodeRow($0), Int(try $0.int("events"))) }
            // A batch of sessions close in time (the usual case: new sessions, or a backlog oldest first) reads the
            // events of its time window in index order; a scattered one looks each session's events up by visitor.
            let pages: [Int64: (pages: [String: Int], signals: [String: Int])]
            if sessions.count >= 100, let lo = sessions.map(\.0.startedAt).min(), let hi = sessions.map(\.0.lastAt).max(), hi.timeIntervalSince(lo) <= 6 * 3600 {
                pages = try await Self.pagesInWindow(conn, workspace, sessions.map(\.0), from: lo, to: hi)
            } else {
                pages = try await Self.pages(conn, workspace, sessions.map(\.0.id))
            }
            return sessions.map { IntentCandidate(session: $0.0, events: $0.1, pages: pages[$0.0.id]?.pages ?? [:], signalCounts: pages[$0.0.id]?.signals ?? [:]) }
        }
    }

    public func saveIntents(_ workspace: WorkspaceID, rulesKey: String, _ stamps: [IntentStamp]) async throws -> Int {
        guard !stamps.isEmpty else { return 0 }
        return try await db.write { tx in
            var n = 0
            // One UPDATE per 400 sessions; a session that changed since it was read (last event or event count) is left for next time.
            for part in SQLTrackingStore.chunks(stamps, 400) {
                let cases = Array(repeating: "WHEN ? THEN ?", count: part.count).joined(separator: " ")
                var binds: [SQLValue] = [.text(rulesKey)]
                for s in part { binds += [.int(s.sessionID), .text(s.intent)] }
                for s in part { binds += [.int(s.sessionID), .text(String(s.reason.prefix(255)))] }
                binds.append(.int(workspace.raw))
                binds += part.map { .int($0.sessionID) }
                for s in part { binds += [.int(s.sessionID), .int(s.lastAt.epochMillis)] }
                for s in part { binds += [.int(s.sessionID), .int(Int64(s.events))] }
                var tallies: [SQLValue] = []
                for f in [\LeadTally.pricing, \.checkout, \.support, \.forms, \.chats] {
                    for s in part { tallies += [.int(s.sessionID), .int(Int64(s.tally[keyPath: f]))] }
                }
                binds.insert(contentsOf: tallies, at: 1 + 4 * part.count)
                n += try await tx.execute("""
                    UPDATE tracking_sessions SET intent_rules = ?, intent = CASE id \(cases) END, intent_reason = CASE id \(cases) END,
                      lead_pricing = CASE id \(cases) END, lead_checkout = CASE id \(cases) END, lead_support = CASE id \(cases) END,
                      lead_forms = CASE id \(cases) END, lead_chats = CASE id \(cases) END
                    WHERE workspace_id = ? AND id IN (\(SQLTrackingStore.marks(part.count))) AND last_at = CASE id \(cases) END AND events = CASE id \(cases) END
                    """, binds).affectedRows
            }
            return n
        }
    }

    public func stampedSessions(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String, intents: [String], limit: Int, offset: Int) async throws -> [StampedSession] {
        var conds = "s.workspace_id = ? AND s.started_at >= ? AND s.started_at < ? AND s.is_bot = 0 AND s.intent_rules = ?"
        var binds: [SQLValue] = [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis), .text(rulesKey)]
        if !intents.isEmpty { conds += " AND s.intent IN (\(SQLTrackingStore.marks(intents.count)))"; binds += intents.map { .text($0) } }
        return try await db.read { conn in
            let rows = try await conn.query("SELECT \(Self.sessionColumns), s.intent, s.intent_reason FROM tracking_sessions s LEFT JOIN visitors v ON v.workspace_id = s.workspace_id"
                                            + " AND v.visitor_key = s.visitor_key WHERE \(conds) ORDER BY s.started_at DESC, s.id DESC LIMIT ? OFFSET ?",
                                            binds + [.int(Int64(limit)), .int(Int64(offset))])
            return try await Self.stamped(conn, workspace, rows)
        }
    }

    public func leadSessions(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String, intents: [String]) async throws -> [StampedSession] {
        guard !intents.isEmpty else { return [] }
        let scope = "workspace_id = ? AND started_at >= ? AND started_at < ? AND is_bot = 0 AND intent_rules = ?"
        let binds: [SQLValue] = [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis), .text(rulesKey)]
        return try await db.read { conn in
            let rows = try await conn.query("""
                SELECT \(Self.sessionColumns), s.intent, s.intent_reason, s.lead_pricing, s.lead_checkout, s.lead_support, s.lead_forms, s.lead_chats
                FROM tracking_sessions s LEFT JOIN visitors v ON v.workspace_id = s.workspace_id AND v.visitor_key = s.visitor_key
                WHERE s.\(scope.replacingOccurrences(of: " AND ", with: " AND s.")) AND (s.visitor_key IN (SELECT visitor_key FROM tracking_sessions WHERE \(scope) AND intent IN (\(SQLTrackingStore.marks(intents.count))))
                  OR s.visitor_key IN (SELECT visitor_key FROM tracking_events WHERE workspace_id = ? AND type = 'form' AND ts >= ? AND ts < ? AND is_bot = 0))
                ORDER BY s.started_at DESC, s.id DESC
                """, binds + binds + intents.map { .text($0) } + [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis)])
            // Leads read the counts stored with each class, not the sessions' pages.
            return try rows.map { r in
                let tally = LeadTally(pricing: Int(try r.int("lead_pricing")), checkout: Int(try r.int("lead_checkout")), support: Int(try r.int("lead_support")),
                                      forms: Int(try r.int("lead_forms")), chats: Int(try r.int("lead_chats")))
                var signals: [String: Int] = [:]
                if tally.forms > 0 { signals[SessionSignal.form] = tally.forms }
                if tally.chats > 0 { signals[SessionSignal.chat] = tally.chats }
                return StampedSession(session: try SQLAnalyticsReports.decodeRow(r), pages: [:], intent: try r.string("intent"), reason: try r.string("intent_reason"),
                                      signals: signals, tally: tally)
            }
        }
    }

    public func pages(_ workspace: WorkspaceID, sessions: [Int64]) async throws -> [Int64: (pages: [String: Int], signals: [String: Int])] {
        try await db.read { try await Self.pages($0, workspace, sessions) }
    }

    static func stamped(_ conn: any SQLConnection, _ workspace: WorkspaceID, _ rows: [SQLRow]) async throws -> [StampedSession] {
        let sessions = try rows.map { (try SQLAnalyticsReports.decodeRow($0), try $0.string("intent"), try $0.string("intent_reason")) }
        let pages = try await pages(conn, workspace, sessions.map(\.0.id))
        return sessions.map { StampedSession(session: $0.0, pages: pages[$0.0.id]?.pages ?? [:], intent: $0.1, reason: $0.2, signals: pages[$0.0.id]?.signals ?? [:]) }
    }

    /// The same as `pages` for sessions inside [from, to]: one range read of the window's events, each given to the
    /// session of its visitor whose span holds it.
    static func pagesInWindow(_ conn: any SQLConnection, _ workspace: WorkspaceID, _ sessions: [SessionRow], from: Date, to: Date) async throws
        -> [Int64: (pages: [String: Int], signals: [String: Int])] {
        var byVisitor: [String: [(id: Int64, start: Int64, last: Int64)]] = [:]
        for s in sessions { byVisitor[s.visitorKey, default: []].append((s.id, s.startedAt.epochMillis, s.lastAt.epochMillis)) }
        var out: [Int64: (pages: [String: Int], signals: [String: Int])] = [:]
        for r in try await conn.query("""
            SELECT visitor_key, ts, type, path, name FROM tracking_events WHERE workspace_id = ? AND ts >= ? AND ts <= ?
              AND (type = 'pageview' OR type = 'form' OR (type = 'custom' AND name IN (?, ?)))
            """, [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis), .text(PageRow.chatStartedEvent), .text(PageRow.ticketStartedEvent)]) {
            guard let list = byVisitor[try r.string("visitor_key")] else { continue }
            let ts = try r.int("ts")
            guard let sid = list.first(where: { $0.start <= ts && ts <= $0.last })?.id else { continue }
            switch try r.string("type") {
            case "pageview": out[sid, default: ([:], [:])].pages[try r.string("path"), default: 0] += 1
            case "form": out[sid, default: ([:], [:])].signals[SessionSignal.form, default: 0] += 1
            default: out[sid, default: ([:], [:])].signals[try r.string("name") == PageRow.chatStartedEvent ? SessionSignal.chat : SessionSignal.ticket, default: 0] += 1
            }
        }
        return out
    }

    /// (session, path) → views and (session, signal) → count for the given sessions, 1,000 sessions a query. A visitor's
    /// events within a session's time span are its events (one visitor's sessions never overlap), as in `sessionEvents`.
    static func pages(_ conn: any SQLConnection, _ workspace: WorkspaceID, _ ids: [Int64]) async throws -> [Int64: (pages: [String: Int], signals: [String: Int])] {
        var out: [Int64: (pages: [String: Int], signals: [String: Int])] = [:]
        for part in SQLTrackingStore.chunks(ids, 1000) {
            for r in try await conn.query("""
                SELECT s.id AS sid, e.type AS type, CASE WHEN e.type = 'pageview' THEN e.path ELSE e.name END AS v, COUNT(*) AS n FROM tracking_sessions s JOIN tracking_events e
                  ON e.workspace_id = s.workspace_id AND e.visitor_key = s.visitor_key AND e.ts >= s.started_at AND e.ts <= s.last_at
                WHERE s.workspace_id = ? AND s.id IN (\(SQLTrackingStore.marks(part.count)))
                  AND (e.type = 'pageview' OR e.type = 'form' OR (e.type = 'custom' AND e.name IN (?, ?)))
                GROUP BY s.id, e.type, CASE WHEN e.type = 'pageview' THEN e.path ELSE e.name END
                """, [.int(workspace.raw)] + part.map { .int($0) } + [.text(PageRow.chatStartedEvent), .text(PageRow.ticketStartedEvent)]) {
                let sid = try r.int("sid"), n = Int(try r.int("n")), v = try r.string("v")
                switch try r.string("type") {
                case "pageview": out[sid, default: ([:], [:])].pages[v] = n
                case "form": out[sid, default: ([:], [:])].signals[SessionSignal.form, default: 0] += n
                default: out[sid, default: ([:], [:])].signals[v == PageRow.chatStartedEvent ? SessionSignal.chat : SessionSignal.ticket, default: 0] += n
                }
            }
        }
        return out
    }
}
