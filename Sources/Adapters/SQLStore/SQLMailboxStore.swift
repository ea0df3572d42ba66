import Foundation
import Ports

/// Mailboxes over either engine. Every statement is scoped by `workspace_id`.
public struct SQLMailboxStore: MailboxStore {
    public init() {}

    static let columns = """
        id, workspace_id, name, address, host, port, security, username, password_sealed, folder, department_id, poll_minutes, enabled, uid_validity,
        last_uid, last_polled_at, last_error, created_at, updated_at
        """

    static func decode(_ r: SQLRow) throws -> Mailbox {
        Mailbox(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), name: try r.string("name"), address: try r.string("address"),
                host: try r.string("host"), port: Int(try r.int("port")), security: IMAPAccount.Security(rawValue: try r.string("security")) ?? .tls,
                username: try r.string("username"), passwordSealed: try r.string("password_sealed"), folder: try r.string("folder"),
                departmentID: try r.optionalInt("department_id"), pollMinutes: Int(try r.int("poll_minutes")), enabled: try r.bool("enabled"),
                uidValidity: try r.optionalInt("uid_validity"), lastUID: try r.int("last_uid"), lastPolledAt: try r.optionalDate("last_polled_at"),
                lastError: try r.optionalString("last_error"), createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"))
    }

    public func list(_ workspace: WorkspaceID, in conn: any SQLConnection) async throws -> [Mailbox] {
        try await conn.query("SELECT \(Self.columns) FROM mailboxes WHERE workspace_id = ? ORDER BY name, id", [.int(workspace.raw)]).map(Self.decode)
    }

    public func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> Mailbox? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM mailboxes WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).map(Self.decode)
    }

    public func save(_ workspace: WorkspaceID, _ m: Mailbox, in tx: any SQLConnection) async throws -> Int64 {
        let fields: [SQLValue] = [.text(m.name), .text(m.address.lowercased()), .text(m.host), .int(Int64(m.port)), .text(m.security.rawValue), .text(m.username),
                                  .text(m.passwordSealed), .text(m.folder), SQLValue(m.departmentID), .int(Int64(m.pollMinutes)), SQLValue(m.enabled),
                                  .int(m.updatedAt.epochMillis)]
        if m.id == 0 {
            return try await tx.execute("""
                INSERT INTO mailboxes (name, address, host, port, security, username, password_sealed, folder, department_id, poll_minutes, enabled, updated_at,
                  workspace_id, last_uid, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
                """, fields + [.int(workspace.raw), .int(m.createdAt.epochMillis)]).lastInsertID
        }
        try await tx.execute("""
            UPDATE mailboxes SET name = ?, address = ?, host = ?, port = ?, security = ?, username = ?, password_sealed = ?, folder = ?, department_id = ?,
              poll_minutes = ?, enabled = ?, updated_at = ? WHERE workspace_id = ? AND id = ?
            """, fields + [.int(workspace.raw), .int(m.id)])
        return m.id
    }

    public func delete(_ workspace: WorkspaceID, id: Int64, in tx: any SQLConnection) async throws -> Bool {
        try await tx.execute("DELETE FROM mailboxes WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).affectedRows == 1
    }

    public func recordPoll(_ workspace: WorkspaceID, id: Int64, uidValidity: Int64?, lastUID: Int64, error: String?, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE mailboxes SET uid_validity = ?, last_uid = ?, last_error = ?, last_polled_at = ? WHERE workspace_id = ? AND id = ?",
                             [SQLValue(uidValidity), .int(lastUID), SQLValue(error), .int(now.epochMillis), .int(workspace.raw), .int(id)])
    }
}
