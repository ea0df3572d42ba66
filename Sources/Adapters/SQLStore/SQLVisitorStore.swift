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

    public func visitorKeys(_ workspace: WorkspaceID, email: String?, customerID: String?) async throws -> [String] {
        var clauses: [String] = [], binds: [SQLValue] = [.int(workspace.raw)]
        if let email, !email.isEmpty { clauses.append("email = ?"); binds.append(.text(email.lowercased())) }
        if let customerID, !customerID.isEmpty { clauses.append("customer_id = ?"); binds.append(.text(customerID)) }
        guard !clauses.isEmpty else { return [] }
        return try await db.read { conn in
            try await conn.query("SELECT visitor_key FROM visitors WHERE workspace_id = ? AND (\(clauses.joined(separator: " OR "))) ORDER BY first_seen_at, id LIMIT 1000", binds)
                .map { try $0.string("visitor_key") }
        }
    }

    public func timeline(_ workspace: WorkspaceID, email: String?, customerID: String?, limit: Int) async throws -> [TrackedEvent] {
        let keys = try await visitorKeys(workspace, email: email, customerID: customerID)
        guard !keys.isEmpty else { return [] }
        return try await db.read { conn in
            try await conn.query("SELECT * FROM tracking_events WHERE workspace_id = ? AND visitor_key IN (\(Array(repeating: "?", count: keys.count).joined(separator: ", "))) ORDER BY ts, id LIMIT ?",
                                 [.int(workspace.raw)] + keys.map { .text($0) } + [.int(Int64(limit))]).map(SQLTrackingStore.decodeEvent)
        }
    }
}
