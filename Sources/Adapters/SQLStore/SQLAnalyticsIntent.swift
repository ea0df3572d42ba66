import Foundation
import Ports

extension SQLAnalyticsLists {
    /// Two queries: the sessions, then (session, path, views) for them. A visitor's page views within a session's
    /// time span are its page views (one visitor's sessions never overlap), as in `sessionEvents`.
    public func sessionPages(_ workspace: WorkspaceID, from: Date, to: Date, limit: Int) async throws -> [SessionPages] {
        let binds: [SQLValue] = [.int(workspace.raw), .int(from.epochMillis), .int(to.epochMillis)]
        let scope = "s.workspace_id = ? AND s.started_at >= ? AND s.started_at < ? AND s.is_bot = 0"
        return try await db.read { conn in
            let rows = try await conn.query("SELECT \(Self.sessionColumns) FROM tracking_sessions s LEFT JOIN visitors v ON v.workspace_id = s.workspace_id"
                                            + " AND v.visitor_key = s.visitor_key WHERE \(scope) ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
                                            binds + [.int(Int64(limit))]).map(SQLAnalyticsReports.decodeRow)
            guard let oldest = rows.last?.startedAt else { return [] }
            var pages: [Int64: [String: Int]] = [:]
            for r in try await conn.query("""
                SELECT s.id AS sid, e.path AS path, COUNT(*) AS n FROM tracking_sessions s JOIN tracking_events e
                  ON e.workspace_id = s.workspace_id AND e.visitor_key = s.visitor_key AND e.ts >= s.started_at AND e.ts <= s.last_at
                WHERE \(scope) AND e.type = 'pageview' GROUP BY s.id, e.path
                """, [.int(workspace.raw), .int(oldest.epochMillis), .int(to.epochMillis)]) {
                pages[try r.int("sid"), default: [:]][try r.string("path")] = Int(try r.int("n"))
            }
            return rows.map { SessionPages(session: $0, pages: pages[$0.id] ?? [:]) }
        }
    }
}
