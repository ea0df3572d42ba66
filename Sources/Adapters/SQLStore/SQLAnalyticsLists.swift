import Foundation
import Ports

/// The Visitor log, Sessions and session detail queries. Every filter value is bound; searches use LIKE with
/// the wildcards in the user's text escaped (`!` is the escape character on both engines).
public struct SQLAnalyticsLists: AnalyticsLists {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static func like(_ s: String, prefix: Bool = false) -> SQLValue {
        let escaped = s.replacingOccurrences(of: "!", with: "!!").replacingOccurrences(of: "%", with: "!%").replacingOccurrences(of: "_", with: "!_")
        return .text(prefix ? escaped + "%" : "%" + escaped + "%")
    }

    public func visits(_ workspace: WorkspaceID, from: Date, to: Date, filter: VisitFilter, limit: Int, offset: Int) async throws -> (rows: [VisitRow], total: Int) {
        var conds = ["e.workspace_id = ?", "e.type = 'pageview'", "e.ts >= ?", "e.ts < ?"]
        var binds: [SQLValue] = [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis)]
        if !filter.ip.isEmpty { conds.append("e.ip = ?"); binds.append(.text(filter.ip)) }
        if !filter.source.isEmpty { conds.append("e.source = ?"); binds.append(.text(filter.source)) }
        if !filter.device.isEmpty { conds.append("e.device = ?"); binds.append(.text(filter.device)) }
        if filter.newOnly { conds.append("v.first_seen_at >= ?"); binds.append(.int(from.epochMillis)) }
        let q = filter.search.trimmingCharacters(in: .whitespaces)
        let unfiltered = filter.ip.isEmpty && filter.source.isEmpty && filter.device.isEmpty && !filter.newOnly && q.isEmpty
        let (fixedConds, fixedBinds) = (conds, binds)
        return try await db.read { conn in
            var conds = fixedConds, binds = fixedBinds
            var readsVisitors = filter.newOnly
            if !q.isEmpty {
                // Each part of the search only where it can match: an IP prefix only for text made of address characters,
                // a country only for two letters, and the email through the visitors it names (looked up first, so the
                // range's rows are not joined to visitors one by one) unless more than 1,000 visitors match it.
                var any = ["e.url LIKE ? ESCAPE '!'", "e.referrer LIKE ? ESCAPE '!'"]
                var more: [SQLValue] = [Self.like(q), Self.like(q)]
                if q.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) { any.append("e.ip LIKE ? ESCAPE '!'"); more.append(Self.like(q, prefix: true)) }
                if q.count == 2 && q.allSatisfy({ $0.isASCII && $0.isLetter }) { any.append("e.country = ?"); more.append(.text(q.uppercased())) }
                let keys = try await conn.query("SELECT visitor_key FROM visitors WHERE workspace_id = ? AND email IS NOT NULL AND email LIKE ? ESCAPE '!' LIMIT 1001",
                                                [.int(workspace.raw), Self.like(q.lowercased())]).map { try $0.string("visitor_key") }
                if keys.count > 1000 {
                    any.append("v.email LIKE ? ESCAPE '!'"); more.append(Self.like(q.lowercased())); readsVisitors = true
                } else if !keys.isEmpty {
                    any.append("e.visitor_key IN (\(SQLTrackingStore.marks(keys.count)))"); more += keys.map { .text($0) }
                }
                conds.append("(" + any.joined(separator: " OR ") + ")")
                binds += more
            }
            let base = "FROM tracking_events e LEFT JOIN visitors v ON v.workspace_id = e.workspace_id AND v.visitor_key = e.visitor_key WHERE " + conds.joined(separator: " AND ")
            // The count joins visitors only when a condition reads them (one page view has at most one visitor row).
            let countBase = readsVisitors ? base : "FROM tracking_events e WHERE " + conds.joined(separator: " AND ")
            let total: Int
            if unfiltered, let n = try await Self.visitCountFromRollups(conn, workspace.raw, from: from, to: to) {
                total = n
            } else if !q.isEmpty {
                // At most searchCountLimit + 1 matches are counted: one more than the limit means "more than the limit".
                total = Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM (SELECT 1 AS one " + countBase + " LIMIT ?) t",
                                                      binds + [.int(Int64(max(1, filter.searchCountLimit) + 1))])?.int("n") ?? 0)
            } else {
                total = Int(try await conn.queryFirst("SELECT COUNT(*) AS n " + countBase, binds)?.int("n") ?? 0)
            }
            let rows = try await conn.query("SELECT e.id, e.session_id, e.visitor_key, e.ts, e.ip, e.country, e.city, e.url, e.path, e.referrer, e.source, e.device, e.browser, e.is_bot, v.email, v.name "
                                            + base + " ORDER BY e.ts DESC, e.id DESC LIMIT ? OFFSET ?", binds + [.int(Int64(limit)), .int(Int64(offset))]).map {
                VisitRow(id: try $0.int("id"), sessionID: try $0.optionalInt("session_id"), visitorKey: try $0.string("visitor_key"), at: try $0.date("ts"), ip: try $0.string("ip"),
                         country: try $0.string("country"), city: try $0.string("city"), url: try $0.string("url"), path: try $0.string("path"),
                         referrer: try $0.string("referrer"), source: try $0.string("source"), device: try $0.string("device"), browser: try $0.string("browser"),
                         isBot: try $0.bool("is_bot"), email: try $0.optionalString("email"), name: try $0.optionalString("name"))
            }
            return (rows, total)
        }
    }

    /// Page views in [from, to) without a filter: the hourly `log` rollups for the whole hours, an index count
    /// for the rest (see `countFromRollups`).
    static func visitCountFromRollups(_ conn: any SQLConnection, _ ws: Int64, from: Date, to: Date) async throws -> Int? {
        try await countFromRollups(conn, ws, from: from, to: to, column: "pageviews", rollups: [(SQLTrackingStore.visitLogDimension, "")], events: "type = 'pageview'", binds: [])
    }

    /// Events in [from, to), bots included, of one type or name or of every kind: the hourly `etype` and `ename`
    /// rollups (migration 28) for the whole hours, an index count for the rest.
    static func eventCountFromRollups(_ conn: any SQLConnection, _ ws: Int64, from: Date, to: Date, type: String) async throws -> Int? {
        if type.isEmpty { return try await countFromRollups(conn, ws, from: from, to: to, column: "events", rollups: [(SQLTrackingStore.eventTypeDimension, nil)], events: "1 = 1", binds: []) }
        return try await countFromRollups(conn, ws, from: from, to: to, column: "events",
                                          rollups: [(SQLTrackingStore.eventTypeDimension, type), (SQLTrackingStore.eventNameDimension, type)],
                                          events: "(type = ? OR name = ?)", binds: [.text(type), .text(type)])
    }

    /// A count of events in [from, to) from hourly rollups (`column` of the rows under each (dim, value), every value
    /// when nil) for the whole hours, and an index count of the events matching `events` for the rest. Retention
    /// deletes old events but not their rollups, so the rollups are read only from the hour after the oldest event
    /// still stored that matches; the hour before that, if in the range, is counted from the index too (it holds at
    /// most an hour of rows). Nil when the range has no whole hour to sum.
    static func countFromRollups(_ conn: any SQLConnection, _ ws: Int64, from: Date, to: Date, column: String, rollups: [(dim: String, value: String?)],
                                 events: String, binds: [SQLValue]) async throws -> Int? {
        let hourMs: Int64 = 3_600_000
        let f = from.epochMillis, t = to.epochMillis
        guard let oldest = try await conn.queryFirst("SELECT MIN(ts) AS m FROM tracking_events WHERE workspace_id = ? AND \(events)",
                                                     [.int(ws)] + binds)?.optionalInt("m") else { return 0 }
        let h0 = max((f + hourMs - 1) / hourMs * hourMs, oldest / hourMs * hourMs + hourMs)  // first whole, intact hour
        let h1 = t / hourMs * hourMs                                                        // end of the last whole hour
        guard h1 > h0 else { return nil }
        var whole: Int64 = 0
        for (dim, value) in rollups {
            whole += try await conn.queryFirst("SELECT SUM(\(column)) AS n FROM tracking_rollups WHERE workspace_id = ? AND dim = ?\(value == nil ? "" : " AND value = ?") AND hour >= ? AND hour < ?",
                                               [.int(ws), .text(dim)] + (value.map { [.text($0)] } ?? []) + [.int(h0), .int(h1)])?.optionalInt("n") ?? 0
        }
        // Two plain ranges of the index (SQLite does not use the index for an OR of two ranges: it would read every row).
        var edges: Int64 = 0
        for (a, b) in [(f, h0), (h1, t)] where b > a {
            edges += try await conn.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE workspace_id = ? AND \(events) AND ts >= ? AND ts < ?",
                                               [.int(ws)] + binds + [.int(a), .int(b)])?.int("n") ?? 0
        }
        return Int(whole + edges)
    }

    static let sessionColumns = """
        s.id, s.visitor_key, s.started_at, s.last_at, s.entry_path, s.exit_path, s.pageviews, s.engaged_ms, s.source, s.referrer_domain, s.country,
        s.city, s.device, s.browser, s.converted, s.is_bot, v.email, v.name
        """

    public func sessions(_ workspace: WorkspaceID, from: Date, to: Date, filter: SessionFilter, limit: Int, offset: Int) async throws -> (rows: [SessionRow], total: Int) {
        var conds = ["s.workspace_id = ?", "s.started_at >= ?", "s.started_at < ?"]
        var binds: [SQLValue] = [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis)]
        conds.append(filter.flag == .threats ? "s.is_bot = 1" : "s.is_bot = 0")
        if filter.flag == .bounced { conds.append("s.pageviews <= 1 AND s.engaged_ms < 10000") }
        switch filter.kind {
        case .new: conds.append("v.first_seen_at >= s.started_at")
        case .returning: conds.append("v.first_seen_at < s.started_at")
        case .all: break
        }
        if !filter.source.isEmpty { conds.append("s.source = ?"); binds.append(.text(filter.source)) }
        if !filter.country.isEmpty { conds.append("s.country = ?"); binds.append(.text(filter.country.uppercased())) }
        let q = filter.search.trimmingCharacters(in: .whitespaces)
        if !q.isEmpty {
            conds.append("""
                (v.email LIKE ? ESCAPE '!' OR s.entry_path LIKE ? ESCAPE '!' OR s.exit_path LIKE ? ESCAPE '!' OR s.referrer_domain LIKE ? ESCAPE '!'
                 OR EXISTS (SELECT 1 FROM tracking_events e WHERE e.workspace_id = s.workspace_id AND e.visitor_key = s.visitor_key AND e.ts >= s.started_at
                            AND e.ts <= s.last_at AND (e.ip LIKE ? ESCAPE '!' OR e.url LIKE ? ESCAPE '!' OR e.referrer LIKE ? ESCAPE '!')))
                """)
            binds += [Self.like(q.lowercased()), Self.like(q), Self.like(q), Self.like(q), Self.like(q, prefix: true), Self.like(q), Self.like(q)]
        }
        let base = "FROM tracking_sessions s LEFT JOIN visitors v ON v.workspace_id = s.workspace_id AND v.visitor_key = s.visitor_key WHERE " + conds.joined(separator: " AND ")
        let readsVisitors = filter.kind != .all || !q.isEmpty
        let unfiltered = !readsVisitors && filter.flag == SessionFilter.Flag.none && filter.source.isEmpty && filter.country.isEmpty
        return try await db.read { conn in
            // Every non-bot session of whole local days: the daily rollups have the count; otherwise the range index
            // (joined to visitors only when a condition reads them).
            let total: Int
            if unfiltered, let d = try await SQLAnalyticsReports.localDays(conn, workspace.raw, [from, to]) {
                total = Int(try await SQLAnalyticsReports.dailySummary(conn, workspace.raw, d[0], d[1]).sessions)
            } else {
                let countBase = readsVisitors ? base : "FROM tracking_sessions s WHERE " + conds.joined(separator: " AND ")
                total = Int(try await conn.queryFirst("SELECT COUNT(*) AS n " + countBase, binds)?.int("n") ?? 0)
            }
            let rows = try await conn.query("SELECT \(Self.sessionColumns) " + base + " ORDER BY s.started_at DESC, s.id DESC LIMIT ? OFFSET ?",
                                            binds + [.int(Int64(limit)), .int(Int64(offset))]).map(SQLAnalyticsReports.decodeRow)
            return (rows, total)
        }
    }

    public func session(_ workspace: WorkspaceID, id: Int64) async throws -> SessionRow? {
        try await db.read { conn in
            try await conn.queryFirst("SELECT \(Self.sessionColumns) FROM tracking_sessions s LEFT JOIN visitors v ON v.workspace_id = s.workspace_id AND v.visitor_key = s.visitor_key"
                                      + " WHERE s.workspace_id = ? AND s.id = ?", [.int(workspace.raw), .int(id)]).map(SQLAnalyticsReports.decodeRow)
        }
    }

    public func sessionEvents(_ workspace: WorkspaceID, session: Int64, limit: Int) async throws -> [TrackedEvent] {
        try await db.read { conn in
            // The visitor's events within the session's time span are exactly its events (one visitor's sessions never overlap);
            // session_id narrows it for the rare event stored out of order.
            try await conn.query("""
                SELECT e.* FROM tracking_events e JOIN tracking_sessions s ON s.workspace_id = e.workspace_id AND s.visitor_key = e.visitor_key
                WHERE s.workspace_id = ? AND s.id = ? AND e.ts >= s.started_at AND e.ts <= s.last_at AND (e.session_id = s.id OR e.session_id IS NULL)
                ORDER BY e.ts, e.id LIMIT ?
                """, [.int(workspace.raw), .int(session), .int(Int64(limit))]).map(SQLTrackingStore.decodeEvent)
        }
    }

    public func events(_ workspace: WorkspaceID, from: Date, to: Date, type: String, search: String, limit: Int, offset: Int) async throws
        -> (rows: [(event: TrackedEvent, email: String?)], total: Int) {
        var conds = ["e.workspace_id = ?", "e.ts >= ?", "e.ts < ?"]
        var binds: [SQLValue] = [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis)]
        if !type.isEmpty { conds.append("(e.type = ? OR e.name = ?)"); binds += [.text(type), .text(type)] }
        let q = search.trimmingCharacters(in: .whitespaces)
        if !q.isEmpty {
            conds.append("(e.url LIKE ? ESCAPE '!' OR e.name LIKE ? ESCAPE '!' OR e.props LIKE ? ESCAPE '!' OR v.email LIKE ? ESCAPE '!')")
            binds += [Self.like(q), Self.like(q), Self.like(q), Self.like(q.lowercased())]
        }
        let base = "FROM tracking_events e LEFT JOIN visitors v ON v.workspace_id = e.workspace_id AND v.visitor_key = e.visitor_key WHERE " + conds.joined(separator: " AND ")
        return try await db.read { conn in
            // Without a search: hourly counts (by type and by name) for the whole hours of the range.
            var total: Int
            if q.isEmpty, let n = try await Self.eventCountFromRollups(conn, workspace.raw, from: from, to: to, type: type) {
                total = n
            } else {
                total = Int(try await conn.queryFirst("SELECT COUNT(*) AS n " + base, binds)?.int("n") ?? 0)
            }
            let rows = try await conn.query("SELECT e.*, v.email AS customer_email " + base + " ORDER BY e.ts DESC, e.id DESC LIMIT ? OFFSET ?",
                                            binds + [.int(Int64(limit)), .int(Int64(offset))]).map { (try SQLTrackingStore.decodeEvent($0), try $0.optionalString("customer_email")) }
            return (rows, total)
        }
    }
}
