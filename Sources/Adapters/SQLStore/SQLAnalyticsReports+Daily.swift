import Foundation
import Ports

/// The figures that need distinct visitors, read from the daily rollups (migration 23) when a range is made of
/// whole local days of the zone they are kept in: a 30-day range reads about 30 day rows and a few hundred
/// (day, previous day) rows, however many sessions it holds.
extension SQLAnalyticsReports {
    /// The local day numbers of `instants` when the site's daily rollups (with `pages`: its page tables too) are
    /// complete and every instant is a local midnight of their zone; nil otherwise (the caller counts raw rows).
    static func localDays(_ conn: any SQLConnection, _ ws: Int64, _ instants: [Date], pages: Bool = false) async throws -> [Int64]? {
        guard let r = try await conn.queryFirst("SELECT zone, pages FROM tracking_rollup_zones WHERE workspace_id = ?", [.int(ws)]),
              let tz = TimeZone(identifier: try r.string("zone")) else { return nil }
        if pages, try r.int("pages") != 1 { return nil }
        let local = LocalDays(tz)
        var out: [Int64] = []
        for i in instants {
            guard let d = local.day(startingAt: i) else { return nil }
            out.append(d)
        }
        return out
    }

    /// Sessions, bounces, unique and new visitors of local days [d0, d1).
    static func dailySummary(_ conn: any SQLConnection, _ ws: Int64, _ d0: Int64, _ d1: Int64) async throws -> (sessions: Int64, bounces: Int64, visitors: Int64, new: Int64) {
        let s = try await conn.queryFirst("SELECT SUM(sessions) AS se, SUM(bounces) AS bo FROM tracking_day_sessions WHERE workspace_id = ? AND day >= ? AND day < ?",
                                          [.int(ws), .int(d0), .int(d1)])
        // A visitor is counted once: on the first day of the range it was present (its previous day is before the range).
        let v = try await conn.queryFirst("""
            SELECT SUM(visitors) AS uv, SUM(CASE WHEN prev_day = -1 THEN visitors ELSE 0 END) AS nv FROM tracking_day_visitors
            WHERE workspace_id = ? AND day >= ? AND day < ? AND prev_day < ?
            """, [.int(ws), .int(d0), .int(d1), .int(d0)])
        return (try s?.optionalInt("se") ?? 0, try s?.optionalInt("bo") ?? 0, try v?.optionalInt("uv") ?? 0, try v?.optionalInt("nv") ?? 0)
    }

    /// Unique visitors and sessions of each local day in [d0, d1).
    static func dailyBuckets(_ conn: any SQLConnection, _ ws: Int64, _ d0: Int64, _ d1: Int64) async throws -> [Int64: (visitors: Int64, sessions: Int64)] {
        var out: [Int64: (visitors: Int64, sessions: Int64)] = [:]
        for r in try await conn.query("SELECT day, SUM(visitors) AS uv FROM tracking_day_visitors WHERE workspace_id = ? AND day >= ? AND day < ? GROUP BY day",
                                      [.int(ws), .int(d0), .int(d1)]) {
            out[try r.int("day"), default: (0, 0)].visitors = try r.int("uv")
        }
        for r in try await conn.query("SELECT day, sessions FROM tracking_day_sessions WHERE workspace_id = ? AND day >= ? AND day < ?", [.int(ws), .int(d0), .int(d1)]) {
            out[try r.int("day"), default: (0, 0)].sessions = try r.int("sessions")
        }
        return out
    }

    /// Each page's unique visitors over local days [d0, d1) (migration 27): a visitor is counted on the first day of
    /// the range it viewed the page.
    static func pageVisitors(_ conn: any SQLConnection, _ ws: Int64, _ d0: Int64, _ d1: Int64, paths: [String]) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for part in SQLTrackingStore.chunks(paths, 2000) {
            for r in try await conn.query("SELECT path, SUM(visitors) AS uv FROM tracking_page_day_visitors WHERE workspace_id = ? AND day >= ? AND day < ? AND prev_day < ?"
                                          + " AND path IN (\(SQLTrackingStore.marks(part.count))) GROUP BY path", [.int(ws), .int(d0), .int(d1), .int(d0)] + part.map { .text($0) }) {
                out[try r.string("path")] = try r.optionalInt("uv") ?? 0
            }
        }
        return out
    }

    /// Sessions and bounces that started on each of `paths` over local days [d0, d1).
    static func dayEntries(_ conn: any SQLConnection, _ ws: Int64, _ d0: Int64, _ d1: Int64, paths: [String]) async throws -> [String: (sessions: Int64, bounces: Int64)] {
        var out: [String: (sessions: Int64, bounces: Int64)] = [:]
        for part in SQLTrackingStore.chunks(paths, 2000) {
            for r in try await conn.query("SELECT path, SUM(sessions) AS se, SUM(bounces) AS bo FROM tracking_day_entries WHERE workspace_id = ? AND day >= ? AND day < ?"
                                          + " AND path IN (\(SQLTrackingStore.marks(part.count))) GROUP BY path", [.int(ws), .int(d0), .int(d1)] + part.map { .text($0) }) {
                out[try r.string("path")] = (try r.optionalInt("se") ?? 0, try r.optionalInt("bo") ?? 0)
            }
        }
        return out
    }

    /// Which Geo values a query reads: one, or every value that starts with a prefix.
    enum GeoValues {
        case exact(String)
        case prefix(String)

        var condition: String {
            switch self {
            case .exact: return " AND value = ?"
            // A range, not LIKE, so the primary key serves it. (MariaDB compares with trailing spaces padded, so the upper
            // bound is the prefix with its last character raised by one, never the prefix with something appended.)
            case .prefix: return " AND value >= ? AND value < ?"
            }
        }

        var binds: [SQLValue] {
            switch self {
            case .exact(let v): return [.text(v)]
            case .prefix(let p): return [.text(p), .text(String(p.dropLast()) + String(UnicodeScalar(p.unicodeScalars.last!.value + 1)!))]
            }
        }
    }

    /// Unique visitors of the Geo values over local days [d0, d1) (migration 27).
    static func geoVisitors(_ conn: any SQLConnection, _ ws: Int64, _ d0: Int64, _ d1: Int64, _ values: GeoValues) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for r in try await conn.query("SELECT value, SUM(visitors) AS uv FROM tracking_geo_day_visitors WHERE workspace_id = ? AND day >= ? AND day < ? AND prev_day < ?"
                                      + values.condition + " GROUP BY value", [.int(ws), .int(d0), .int(d1), .int(d0)] + values.binds) {
            out[try r.string("value")] = try r.optionalInt("uv") ?? 0
        }
        return out
    }

    /// Sessions, bounces and conversions of the Geo values over local days [d0, d1), by value (visitors left at 0).
    static func dayGeo(_ conn: any SQLConnection, _ ws: Int64, _ d0: Int64, _ d1: Int64, _ values: GeoValues) async throws -> [String: GeoRow] {
        var out: [String: GeoRow] = [:]
        for r in try await conn.query("SELECT value, SUM(sessions) AS se, SUM(bounces) AS bo, SUM(conversions) AS cv FROM tracking_day_geo WHERE workspace_id = ? AND day >= ? AND day < ?"
                                      + values.condition + " GROUP BY value", [.int(ws), .int(d0), .int(d1)] + values.binds) {
            let value = try r.string("value")
            let row = GeoRow(value: value, visitors: 0, sessions: try r.optionalInt("se") ?? 0, bounces: try r.optionalInt("bo") ?? 0, conversions: try r.optionalInt("cv") ?? 0)
            // A value whose sessions all went (bots after all) has a row of zeros: it is not shown, as the raw count would not show it.
            if row.sessions != 0 { out[value] = row }
        }
        return out
    }
}
