import Foundation
import Ports

public struct SQLVisitorLookup: VisitorLookup {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func visitorKey(_ workspace: WorkspaceID, email: String) async throws -> String? {
        try await db.read { conn in
            try await conn.queryFirst("SELECT visitor_key FROM visitors WHERE workspace_id = ? AND email = ? ORDER BY last_seen_at DESC LIMIT 1",
                                      [.int(workspace.raw), .text(email)])?.string("visitor_key")
        }
    }

    public func attachIdentity(_ workspace: WorkspaceID, visitorKey: String, email: String?, customerID: String?, name: String?) async throws {
        try await db.write { conn in
            try await conn.execute("UPDATE visitors SET email = COALESCE(?, email), customer_id = COALESCE(?, customer_id), name = COALESCE(?, name) WHERE workspace_id = ? AND visitor_key = ?",
                                   [SQLValue(email), SQLValue(customerID), SQLValue(name), .int(workspace.raw), .text(visitorKey)])
        }
    }
}
