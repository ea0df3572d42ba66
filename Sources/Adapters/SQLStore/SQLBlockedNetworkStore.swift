import Foundation
import Ports

public struct SQLBlockedNetworkStore: BlockedNetworkStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func all() async throws -> [BlockedNetwork] {
        try await db.read { conn in
            try await conn.query("SELECT id, cidr, reason, workspace_id, created_by, created_at, expires_at FROM blocked_ips ORDER BY id DESC").map {
                BlockedNetwork(id: try $0.int("id"), cidr: try $0.string("cidr"), reason: try $0.string("reason"),
                               workspaceID: try $0.optionalInt("workspace_id").map(WorkspaceID.init), createdBy: try $0.optionalInt("created_by").map(UserID.init),
                               createdAt: try $0.date("created_at"), expiresAt: try $0.optionalDate("expires_at"))
            }
        }
    }

    public func insert(cidr: String, reason: String, workspace: WorkspaceID?, by: UserID?, now: Date, expiresAt: Date?, in tx: any SQLConnection) async throws -> Int64 {
        try await tx.execute("INSERT INTO blocked_ips (cidr, reason, workspace_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                             [.text(cidr), .text(reason), SQLValue(workspace?.raw), SQLValue(by?.raw), .int(now.epochMillis), SQLValue(expiresAt)]).lastInsertID
    }

    public func delete(id: Int64, in tx: any SQLConnection) async throws -> Bool {
        try await tx.execute("DELETE FROM blocked_ips WHERE id = ?", [.int(id)]).affectedRows == 1
    }
}
