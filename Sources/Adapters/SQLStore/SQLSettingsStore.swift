import Foundation
import Ports

public struct SQLSettingsStore: SettingsStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func values(workspace: Int64) async throws -> [String: String] {
        try await db.read { conn in
            var out: [String: String] = [:]
            for r in try await conn.query("SELECT name, value FROM settings WHERE workspace_id = ?", [.int(workspace)]) {
                out[try r.string("name")] = try r.string("value")
            }
            return out
        }
    }

    public func set(workspace: Int64, name: String, value: String?, by: UserID?, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("DELETE FROM settings WHERE workspace_id = ? AND name = ?", [.int(workspace), .text(name)])
        if let value {
            try await tx.execute("INSERT INTO settings (workspace_id, name, value, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)",
                                 [.int(workspace), .text(name), .text(value), SQLValue(by?.raw), .int(now.epochMillis)])
        }
    }
}
