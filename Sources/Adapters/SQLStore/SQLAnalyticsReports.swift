import Foundation
import Ports

/// Analytics reports. Figures that the hourly rollups hold (page views, events, engaged time, the breakdowns)
/// are read from them for the whole hours of a range, and from the raw rows only for the part hours at its
/// ends (ranges in a time zone with a half-hour offset), so a month costs a few hundred rollup rows per
/// dimension. Visitor and session figures count distinct visitors, which no hourly sum can give: they read
/// the sessions table through covering indexes (migration 11).
public struct SQLAnalyticsReports: AnalyticsReports {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static let hourMs: Int64 = 3_600_000

    /// The whole hours inside [from, to) and the raw pieces left at either end.
    static func split(from: Date, to: Date) -> (hours: (Int64, Int64)?, raw: [(Int64, Int64)]) {
        let a = from.epochMillis, b = to.epochMillis
        guard a < b else { return (nil, []) }
        let h0 = (a + hourMs - 1) / hourMs * hourMs, h1 = b / hourMs * hourMs
        guard h0 < h1 else { return (nil, [(a, b)]) }
        var raw: [(Int64, Int64)] = []
        if a < h0 { raw.append((a, h0)) }
        if h1 < b { raw.append((h1, b)) }
        return ((h0, h1), raw)
    }

    public func summary(_ workspace: WorkspaceID, from: Date, to: Date) async throws -> TrafficSummary {
        let ws = SQLValue.int(workspace.raw)
        return try await db.read { conn in
            var s = TrafficSummary()
            let (hours, raw) = Self.split(from: from, to: to)
            if case let (h0, h1)? = hours {
                // Every event has a source, so the source dimension sums to the totals.
                if let r = try await conn.queryFirst("SELECT SUM(pageviews) AS pv, SUM(events) AS ev, SUM(engaged_ms) AS en FROM tracking_rollups WHERE workspace_id = ? AND dim = 'source' AND hour >= ? AND hour < ?",
                                                     [ws, .int(h0), .int(h1)]) {
                    s.pageviews += try r.optionalInt("pv") ?? 0; s.events += try r.optionalInt("ev") ?? 0; s.engagedMs += try r.optionalInt("en") ?? 0
                }
            }
            for (a, b) in raw {
                if let r = try await conn.queryFirst("SELECT SUM(CASE WHEN type = 'pageview' THEN 1 ELSE 0 END) AS pv, COUNT(*) AS ev, SUM(engaged_ms) AS en FROM tracking_events WHERE workspace_id = ? AND ts >= ? AND ts < ? AND is_bot = 0",
                                                     [ws, .int(a), .int(b)]) {
                    s.pageviews += try r.optionalInt("pv") ?? 0; s.events += try r.optionalInt("ev") ?? 0; s.engagedMs += try r.optionalInt("en") ?? 0
                }
            }
            if let d = try await Self.localDays(conn, workspace.raw, [from, to]) {
                (s.sessions, s.bounces, s.visitors, s.newVisitors) = try await Self.dailySummary(conn, workspace.raw, d[0], d[1])
            } else if let r = try await conn.queryFirst("""
                SELECT COUNT(*) AS se, SUM(CASE WHEN s.pageviews <= 1 AND s.engaged_ms < 10000 THEN 1 ELSE 0 END) AS bo,
                       COUNT(DISTINCT s.visitor_key) AS uv,
                       COUNT(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 FROM tracking_sessions p WHERE p.workspace_id = s.workspace_id AND p.visitor_key = s.visitor_key
                                                            AND p.started_at < ? AND p.is_bot = 0) THEN s.visitor_key END) AS nv
                FROM tracking_sessions s
                WHERE s.workspace_id = ? AND s.started_at >= ? AND s.started_at < ? AND s.is_bot = 0
                """, [.int(from.epochMillis), ws, .int(from.epochMillis), .int(to.epochMillis)]) {
                // New: the visitor's first non-bot session is in the range (the same rule as the daily rollups').
                s.sessions = try r.optionalInt("se") ?? 0; s.bounces = try r.optionalInt("bo") ?? 0
                s.visitors = try r.optionalInt("uv") ?? 0; s.newVisitors = try r.optionalInt("nv") ?? 0
            }
            return s
        }
    }

    public func buckets(_ workspace: WorkspaceID, boundaries: [Date]) async throws -> [TrafficBucket] {
        guard boundaries.count >= 2 else { return [] }
        let inner = boundaries.dropFirst().dropLast()
        let bucket = inner.isEmpty ? "0" : "CASE " + inner.enumerated().map { "WHEN started_at < ? THEN \($0.offset)" }.joined(separator: " ") + " ELSE \(inner.count) END"
        let daily = try await db.read { conn -> [TrafficBucket]? in
            guard let days = try await Self.localDays(conn, workspace.raw, boundaries), zip(days, days.dropFirst()).allSatisfy({ $1 == $0 + 1 }) else { return nil }
            let sums = try await Self.dailyBuckets(conn, workspace.raw, days[0], days[days.count - 1])
            return boundaries.dropLast().enumerated().map { i, start in
                TrafficBucket(start: start, visitors: sums[days[i]]?.visitors ?? 0, sessions: sums[days[i]]?.sessions ?? 0)
            }
        }
        if let daily { return daily }
        let rows = try await db.read { conn in
            try await conn.query("SELECT \(bucket) AS b, COUNT(DISTINCT visitor_key) AS uv, COUNT(*) AS se FROM tracking_sessions"
                                 + " WHERE workspace_id = ? AND started_at >= ? AND started_at < ? AND is_bot = 0" + (inner.isEmpty ? "" : " GROUP BY \(bucket)"),
                                 inner.map { .int($0.epochMillis) } + [.int(workspace.raw), .int(boundaries[0].epochMillis), .int(boundaries[boundaries.count - 1].epochMillis)]
                                 + (inner.isEmpty ? [] : inner.map { .int($0.epochMillis) }))
        }
        var out = (0..<(boundaries.count - 1)).map { TrafficBucket(start: boundaries[$0], visitors: 0, sessions: 0) }
        for r in rows {
            let b = Int(try r.int("b"))
            if out.indices.contains(b) { out[b].visitors = try r.int("uv"); out[b].sessions = try r.int("se") }
        }
        return out
    }

    public func sessionsByHour(_ workspace: WorkspaceID, from: Date, to: Date) async throws -> [(hour: Date, sessions: Int64)] {
        try await db.read { conn in
            try await conn.query("SELECT hour, SUM(sessions) AS se FROM tracking_rollups WHERE workspace_id = ? AND dim = 'source' AND hour >= ? AND hour < ? GROUP BY hour ORDER BY hour",
                                 [.int(workspace.raw), .int(from.epochMillis / Self.hourMs * Self.hourMs), .int(to.epochMillis)]).map {
                (Date(epochMillis: try $0.int("hour")), try $0.int("se"))
            }
        }
    }

    /// The event column and the session column a rollup dimension stands for.
    static func columns(_ d: RollupDimension) -> (event: String, session: String) {
        switch d {
        case .page: return ("path", "entry_path")
        case .source: return ("source", "source")
        case .country: return ("country", "country")
        case .device: return ("device", "device")
        case .browser: return ("browser", "browser")
        }
    }

    public func breakdown(_ workspace: WorkspaceID, _ dimension: RollupDimension, from: Date, to: Date, limit: Int) async throws -> [RollupRow] {
        let ws = SQLValue.int(workspace.raw)
        let (hours, raw) = Self.split(from: from, to: to)
        let (ecol, scol) = Self.columns(dimension)
        return try await db.read { conn in
            var sums: [String: RollupRow] = [:]
            func add(_ value: String, pv: Int64 = 0, ev: Int64 = 0, se: Int64 = 0, en: Int64 = 0) {
                let v = String(value.prefix(255))
                var row = sums[v] ?? RollupRow(value: v, pageviews: 0, events: 0, sessions: 0, engagedMs: 0)
                row.pageviews += pv; row.events += ev; row.sessions += se; row.engagedMs += en
                sums[v] = row
            }
            if case let (h0, h1)? = hours {
                for r in try await conn.query("SELECT value, SUM(pageviews) AS pv, SUM(events) AS ev, SUM(sessions) AS se, SUM(engaged_ms) AS en FROM tracking_rollups"
                                              + " WHERE workspace_id = ? AND dim = ? AND hour >= ? AND hour < ? GROUP BY value",
                                              [ws, .text(dimension.rawValue), .int(h0), .int(h1)]) {
                    add(try r.string("value"), pv: try r.int("pv"), ev: try r.int("ev"), se: try r.int("se"), en: try r.int("en"))
                }
            }
            for (a, b) in raw {
                for r in try await conn.query("SELECT \(ecol) AS value, SUM(CASE WHEN type = 'pageview' THEN 1 ELSE 0 END) AS pv, COUNT(*) AS ev, SUM(engaged_ms) AS en"
                                              + " FROM tracking_events WHERE workspace_id = ? AND ts >= ? AND ts < ? AND is_bot = 0 GROUP BY \(ecol)", [ws, .int(a), .int(b)]) {
                    add(try r.string("value"), pv: try r.int("pv"), ev: try r.int("ev"), en: try r.int("en"))
                }
                for r in try await conn.query("SELECT \(scol) AS value, COUNT(*) AS se FROM tracking_sessions WHERE workspace_id = ? AND started_at >= ? AND started_at < ? AND is_bot = 0 GROUP BY \(scol)",
                                              [ws, .int(a), .int(b)]) {
                    add(try r.string("value"), se: try r.int("se"))
                }
            }
            let sorted = sums.values.sorted { ($0.pageviews, $0.sessions) != ($1.pageviews, $1.sessions) ? ($0.pageviews, $0.sessions) > ($1.pageviews, $1.sessions) : $0.value < $1.value }
            return Array(sorted.prefix(limit))
        }
    }

    static func decodeRow(_ r: SQLRow) throws -> SessionRow {
        SessionRow(id: try r.int("id"), visitorKey: try r.string("visitor_key"), startedAt: try r.date("started_at"), lastAt: try r.date("last_at"),
                   entryPath: try r.string("entry_path"), exitPath: try r.string("exit_path"), pageviews: Int(try r.int("pageviews")), engagedMs: try r.int("engaged_ms"),
                   source: try r.string("source"), referrerDomain: try r.string("referrer_domain"), country: try r.string("country"), city: try r.string("city"),
                   device: try r.string("device"), browser: try r.string("browser"), converted: try r.bool("converted"), isBot: try r.bool("is_bot"),
                   email: try r.optionalString("email"), name: try r.optionalString("name"))
    }

    public func recentSessions(_ workspace: WorkspaceID, since: Date?, limit: Int) async throws -> [SessionRow] {
        try await db.read { conn in
            try await conn.query("""
                SELECT s.id, s.visitor_key, s.started_at, s.last_at, s.entry_path, s.exit_path, s.pageviews, s.engaged_ms, s.source, s.referrer_domain, s.country,
                       s.city, s.device, s.browser, s.converted, s.is_bot, v.email, v.name
                FROM tracking_sessions s LEFT JOIN visitors v ON v.workspace_id = s.workspace_id AND v.visitor_key = s.visitor_key
                WHERE s.workspace_id = ? AND s.last_at >= ? AND s.is_bot = 0 ORDER BY s.last_at DESC, s.id DESC LIMIT ?
                """, [.int(workspace.raw), .int(since?.epochMillis ?? 0), .int(Int64(limit))]).map(Self.decodeRow)
        }
    }

    public func liveSessions(_ workspace: WorkspaceID, since: Date, filter: LiveFilter, limit: Int) async throws -> [SessionRow] {
        var conds = ["s.workspace_id = ?", "s.last_at >= ?", "s.is_bot = 0"]
        var binds: [SQLValue] = [.int(workspace.raw), .int(since.epochMillis)]
        if !filter.country.isEmpty { conds.append("s.country = ?"); binds.append(.text(filter.country)) }
        if !filter.device.isEmpty { conds.append("s.device = ?"); binds.append(.text(filter.device)) }
        if !filter.referrer.isEmpty { conds.append("s.referrer_domain LIKE ? ESCAPE '!'"); binds.append(SQLAnalyticsLists.like(filter.referrer.lowercased())) }
        return try await db.read { conn in
            try await conn.query("""
                SELECT s.id, s.visitor_key, s.started_at, s.last_at, s.entry_path, s.exit_path, s.pageviews, s.engaged_ms, s.source, s.referrer_domain, s.country,
                       s.city, s.device, s.browser, s.converted, s.is_bot, v.email, v.name
                FROM tracking_sessions s LEFT JOIN visitors v ON v.workspace_id = s.workspace_id AND v.visitor_key = s.visitor_key
                WHERE \(conds.joined(separator: " AND ")) ORDER BY s.last_at DESC, s.id DESC LIMIT ?
                """, binds + [.int(Int64(limit))]).map(Self.decodeRow)
        }
    }

    public func topPages(_ workspace: WorkspaceID, from: Date, to: Date, limit: Int, group: @Sendable (String) -> String?) async throws -> [PageRow] {
        // Every page of the range from the hourly rollups, each under its row's key (its group's name or itself).
        let all = try await breakdown(workspace, .page, from: from, to: to, limit: 1_000_000).filter { $0.pageviews > 0 }
        var keyOf: [String: String] = [:], members: [String: [String]] = [:], views: [String: (pv: Int64, en: Int64)] = [:]
        for r in all {
            let key = group(r.value).map { String($0.prefix(255)) } ?? r.value
            keyOf[r.value] = key
            members[key, default: []].append(r.value)
            views[key, default: (0, 0)].pv += r.pageviews
            views[key, default: (0, 0)].en += r.engagedMs
        }
        let grouped = Set(all.compactMap { r in group(r.value) != nil ? keyOf[r.value] : nil })
        let top = views.sorted { $0.value.pv != $1.value.pv ? $0.value.pv > $1.value.pv : $0.key < $1.key }.prefix(limit).map(\.key)
        guard !top.isEmpty else { return [] }
        let topSet = Set(top)
        let paths = all.map(\.value).filter { topSet.contains(keyOf[$0]!) }
        let span = to.timeIntervalSince(from)
        var previous: [String: Int64] = [:]
        for r in try await breakdown(workspace, .page, from: from.addingTimeInterval(-span), to: from, limit: 1_000_000) {
            let key = group(r.value).map { String($0.prefix(255)) } ?? r.value
            if topSet.contains(key) { previous[key, default: 0] += r.pageviews }
        }
        let ws = SQLValue.int(workspace.raw)
        let range: [SQLValue] = [ws, .int(from.epochMillis), .int(to.epochMillis)]
        // Bind lists stay well under both engines' limits: the pages are asked for in chunks.
        let chunks = stride(from: 0, to: paths.count, by: 2000).map { Array(paths[$0..<min($0 + 2000, paths.count)]) }
        let (visitors, entries, starts) = try await db.read { conn -> ([String: Int64], [String: (Int64, Int64)], [String: (chats: Int64, tickets: Int64)]) in
            var v: [String: Int64] = [:], e: [String: (Int64, Int64)] = [:], c: [String: (chats: Int64, tickets: Int64)] = [:]
            var groupVisitors: [String: Set<String>] = [:]
            // Whole local days of the site's zone: visitors, entries and bounces from the daily page rollups.
            let days = try await Self.localDays(conn, workspace.raw, [from, to], pages: true)
            if let days {
                for (path, uv) in try await Self.pageVisitors(conn, workspace.raw, days[0], days[1], paths: paths.filter { !grouped.contains(keyOf[$0]!) }) {
                    v[path, default: 0] += uv
                }
                for (path, n) in try await Self.dayEntries(conn, workspace.raw, days[0], days[1], paths: paths) {
                    guard let key = keyOf[path] else { continue }
                    let old = e[key] ?? (0, 0)
                    e[key] = (old.0 + n.sessions, old.1 + n.bounces)
                }
            }
            for chunk in chunks {
                let marks = SQLTrackingStore.marks(chunk.count)
                let single = chunk.filter { !grouped.contains(keyOf[$0]!) }, inGroups = chunk.filter { grouped.contains(keyOf[$0]!) }
                if !single.isEmpty && days == nil {
                    for r in try await conn.query("SELECT path, COUNT(DISTINCT visitor_key) AS uv FROM tracking_events WHERE workspace_id = ? AND ts >= ? AND ts < ? AND type = 'pageview'"
                                                  + " AND is_bot = 0 AND path IN (\(SQLTrackingStore.marks(single.count))) GROUP BY path", range + single.map { .text($0) }) {
                        v[String(try r.string("path").prefix(255)), default: 0] += try r.int("uv")
                    }
                }
                // A group's visitors are counted once however many of its pages they saw.
                if !inGroups.isEmpty {
                    for r in try await conn.query("SELECT DISTINCT path, visitor_key FROM tracking_events WHERE workspace_id = ? AND ts >= ? AND ts < ? AND type = 'pageview'"
                                                  + " AND is_bot = 0 AND path IN (\(SQLTrackingStore.marks(inGroups.count)))", range + inGroups.map { .text($0) }) {
                        if let key = keyOf[String(try r.string("path").prefix(255))] { groupVisitors[key, default: []].insert(try r.string("visitor_key")) }
                    }
                }
                if days == nil {
                    for r in try await conn.query("SELECT entry_path, COUNT(*) AS se, SUM(CASE WHEN pageviews <= 1 AND engaged_ms < 10000 THEN 1 ELSE 0 END) AS bo FROM tracking_sessions"
                                                  + " WHERE workspace_id = ? AND started_at >= ? AND started_at < ? AND is_bot = 0 AND entry_path IN (\(marks)) GROUP BY entry_path",
                                                  range + chunk.map { .text($0) }) {
                        guard let key = keyOf[try r.string("entry_path")] else { continue }
                        let old = e[key] ?? (0, 0)
                        e[key] = (old.0 + (try r.int("se")), old.1 + (try r.optionalInt("bo") ?? 0))
                    }
                }
                // Chats and tickets started on each page: the widget's custom events (bots left out).
                for r in try await conn.query("SELECT path, name, COUNT(*) AS n FROM tracking_events WHERE workspace_id = ? AND type = 'custom' AND ts >= ? AND ts < ?"
                                              + " AND is_bot = 0 AND name IN (?, ?) AND path IN (\(marks)) GROUP BY path, name",
                                              range + [.text(PageRow.chatStartedEvent), .text(PageRow.ticketStartedEvent)] + chunk.map { .text($0) }) {
                    guard let key = keyOf[String(try r.string("path").prefix(255))] else { continue }
                    let n = try r.int("n")
                    if try r.string("name") == PageRow.chatStartedEvent { c[key, default: (0, 0)].chats += n } else { c[key, default: (0, 0)].tickets += n }
                }
            }
            for (key, set) in groupVisitors { v[key] = Int64(set.count) }
            return (v, e, c)
        }
        return top.map { key in
            PageRow(path: key, views: views[key]!.pv, visitors: visitors[key] ?? 0, engagedMs: views[key]!.en, entries: entries[key]?.0 ?? 0,
                    bounces: entries[key]?.1 ?? 0, previousViews: previous[key] ?? 0,
                    chatStarts: starts[key]?.chats ?? 0, tickets: starts[key]?.tickets ?? 0,
                    groupedPages: grouped.contains(key) ? members[key]!.count : 0)
        }
    }

    public func geoTotal(_ workspace: WorkspaceID, from: Date, to: Date, countries: [String]?) async throws -> GeoRow {
        var binds: [SQLValue] = [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis)]
        var inList = ""
        if let countries {
            guard !countries.isEmpty else { return GeoRow(value: "", visitors: 0, sessions: 0, bounces: 0, conversions: 0) }
            inList = " AND country IN (\(SQLTrackingStore.marks(countries.count)))"
            binds += countries.map { .text($0) }
        }
        // All sessions, or a country group's (by its exact list): from the daily Geo rollups for whole local days.
        let group = countries.flatMap { list in CountryGroupList.all.first { Set($0.countries) == Set(list) && $0.countries.count == list.count }?.key }
        return try await db.read { conn in
            if countries == nil || group != nil, let days = try await Self.localDays(conn, workspace.raw, [from, to], pages: true) {
                let value = group.map { "g:" + $0 } ?? ""
                var row = try await Self.dayGeo(conn, workspace.raw, days[0], days[1], .exact(value))[value]
                    ?? GeoRow(value: "", visitors: 0, sessions: 0, bounces: 0, conversions: 0)
                row.value = ""
                if group != nil {
                    row.visitors = try await Self.geoVisitors(conn, workspace.raw, days[0], days[1], .exact(value))[value] ?? 0
                } else {
                    row.visitors = try await Self.dailySummary(conn, workspace.raw, days[0], days[1]).visitors
                }
                return row
            }
            let r = try await conn.queryFirst("SELECT COUNT(DISTINCT visitor_key) AS uv, COUNT(*) AS se, SUM(CASE WHEN pageviews <= 1 AND engaged_ms < 10000 THEN 1 ELSE 0 END) AS bo,"
                                              + " SUM(converted) AS cv FROM tracking_sessions WHERE workspace_id = ? AND started_at >= ? AND started_at < ? AND is_bot = 0" + inList, binds)
            return GeoRow(value: "", visitors: try r?.optionalInt("uv") ?? 0, sessions: try r?.optionalInt("se") ?? 0, bounces: try r?.optionalInt("bo") ?? 0,
                          conversions: try r?.optionalInt("cv") ?? 0)
        }
    }

    public func geo(_ workspace: WorkspaceID, from: Date, to: Date, country: String?) async throws -> [GeoRow] {
        let column = country == nil ? "country" : "city"
        var binds: [SQLValue] = [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis)]
        if let country { binds.append(.text(country)) }
        return try await db.read { conn in
            // Whole local days: each country's (or each city's of one country) figures from the daily Geo rollups.
            if let days = try await Self.localDays(conn, workspace.raw, [from, to], pages: true) {
                let prefix = country.map { "t:" + $0 + "|" } ?? "c:"
                let visitors = try await Self.geoVisitors(conn, workspace.raw, days[0], days[1], .prefix(prefix))
                return try await Self.dayGeo(conn, workspace.raw, days[0], days[1], .prefix(prefix)).map { value, row in
                    var row = row
                    row.value = String(value.dropFirst(prefix.count))
                    row.visitors = visitors[value] ?? 0
                    return row
                }.sorted { ($0.visitors, $0.sessions) != ($1.visitors, $1.sessions) ? ($0.visitors, $0.sessions) > ($1.visitors, $1.sessions) : $0.value < $1.value }
            }
            return try await conn.query("SELECT \(column) AS value, COUNT(DISTINCT visitor_key) AS uv, COUNT(*) AS se,"
                                 + " SUM(CASE WHEN pageviews <= 1 AND engaged_ms < 10000 THEN 1 ELSE 0 END) AS bo, SUM(converted) AS cv FROM tracking_sessions"
                                 + " WHERE workspace_id = ? AND started_at >= ? AND started_at < ? AND is_bot = 0" + (country == nil ? "" : " AND country = ?")
                                 + " GROUP BY \(column)", binds).map {
                GeoRow(value: try $0.string("value"), visitors: try $0.int("uv"), sessions: try $0.int("se"), bounces: try $0.optionalInt("bo") ?? 0,
                       conversions: try $0.optionalInt("cv") ?? 0)
            }.sorted { ($0.visitors, $0.sessions) != ($1.visitors, $1.sessions) ? ($0.visitors, $0.sessions) > ($1.visitors, $1.sessions) : $0.value < $1.value }
        }
    }
}
