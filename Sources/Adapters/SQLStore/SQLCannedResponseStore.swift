import Foundation
import Ports

/// Canned responses over either engine. Every statement is scoped by `workspace_id`.
public struct SQLCannedResponseStore: CannedResponseStore {
    public init() {}

    static let columns = "id, workspace_id, title, body, department_id, shortcut, created_by, created_at, updated_at"

    static func decode(_ r: SQLRow) throws -> CannedResponse {
        CannedResponse(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), title: try r.string("title"), body: try r.string("body"),
                       departmentID: try r.optionalInt("department_id"), shortcut: try r.string("shortcut"),
                       createdBy: try r.optionalInt("created_by").map(UserID.init), createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"))
    }

    public func list(_ workspace: WorkspaceID, departments: Set<Int64>?, in conn: any SQLConnection) async throws -> [CannedResponse] {
        var sql = "SELECT \(Self.columns) FROM canned_responses WHERE workspace_id = ?"
        var binds: [SQLValue] = [.int(workspace.raw)]
        if let departments {
            if departments.isEmpty {
                sql += " AND department_id IS NULL"
            } else {
                sql += " AND (department_id IS NULL OR department_id IN (\(Array(repeating: "?", count: departments.count).joined(separator: ", "))))"
                binds += departments.sorted().map { .int($0) }
            }
        }
        return try await conn.query(sql + " ORDER BY title, id", binds).map(Self.decode)
    }

    public func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> CannedResponse? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM canned_responses WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).map(Self.decode)
    }

    public func insert(_ workspace: WorkspaceID, _ f: CannedResponseFields, createdBy: UserID?, now: Date, in tx: any SQLConnection) async throws -> CannedResponse {
        let id = try await tx.execute("""
            INSERT INTO canned_responses (workspace_id, title, body, department_id, shortcut, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(workspace.raw), .text(f.title), .text(f.body), SQLValue(f.departmentID), .text(f.shortcut), SQLValue(createdBy?.raw),
                  .int(now.epochMillis), .int(now.epochMillis)]).lastInsertID
        let at = Date(epochMillis: now.epochMillis)
        return CannedResponse(id: id, workspaceID: workspace, title: f.title, body: f.body, departmentID: f.departmentID, shortcut: f.shortcut,
                              createdBy: createdBy, createdAt: at, updatedAt: at)
    }

    public func update(_ workspace: WorkspaceID, id: Int64, _ f: CannedResponseFields, now: Date, in tx: any SQLConnection) async throws -> Bool {
        // Existence is checked by a read: MariaDB counts only rows whose values changed.
        guard try await find(workspace, id: id, in: tx) != nil else { return false }
        try await tx.execute("UPDATE canned_responses SET title = ?, body = ?, department_id = ?, shortcut = ?, updated_at = ? WHERE workspace_id = ? AND id = ?",
                             [.text(f.title), .text(f.body), SQLValue(f.departmentID), .text(f.shortcut), .int(now.epochMillis), .int(workspace.raw), .int(id)])
        return true
    }

    public func delete(_ workspace: WorkspaceID, id: Int64, in tx: any SQLConnection) async throws -> Bool {
        try await tx.execute("DELETE FROM canned_responses WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).affectedRows == 1
    }
}
