import Foundation
import Ports

/// The figures that need distinct visitors, read from the daily rollups (migration 23) when a range is made of
/// whole local days of the zone they are kept in: a 30-day range reads about 30 day rows and a few hundred
/// (day, previous day) rows, however many sessions it holds.
extension SQLAnalyticsReports {
    /// The local day numbers of `instants` when the site's daily rollups are complete and every instant is a local
    /// midnight of their zone; nil otherwise (the caller counts raw sessions).
    static func localDays(_ conn: any SQLConnection, _ ws: Int64, _ instants: [Date]) async throws -> [Int64]? {
        guard let r = try await conn.queryFirst("SELECT zone FROM tracking_rollup_zones WHERE workspace_id = ?", [.int(ws)]),
              let tz = TimeZone(identifier: try r.string("zone")) else { return nil }
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
}
