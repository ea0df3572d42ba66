import Foundation
import Ports

public struct SQLDepartmentStore: DepartmentStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static let columns = "id, workspace_id, name, archived_at, signature, sla_json"

    static func decode(_ r: SQLRow) throws -> Department {
        // Targets that no longer decode fall back to the defaults rather than hiding the department.
        let sla = try r.optionalString("sla_json").flatMap { try? JSONDecoder().decode(SLATargets.self, from: Data($0.utf8)) }
        return Department(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), name: try r.string("name"),
                          archived: try r.optionalInt("archived_at") != nil, signature: try r.string("signature"), sla: sla)
    }

    public func list(_ workspace: WorkspaceID, includeArchived: Bool) async throws -> [Department] {
        try await db.read { conn in
            try await conn.query("SELECT \(Self.columns) FROM departments WHERE workspace_id = ?\(includeArchived ? "" : " AND archived_at IS NULL") ORDER BY name",
                                 [.int(workspace.raw)]).map(Self.decode)
        }
    }

    public func all() async throws -> [Department] {
        try await db.read { conn in try await conn.query("SELECT \(Self.columns) FROM departments WHERE archived_at IS NULL ORDER BY workspace_id, name").map(Self.decode) }
    }

    public func insert(_ workspace: WorkspaceID, name: String, now: Date, in tx: any SQLConnection) async throws -> Department {
        let id = try await tx.execute("INSERT INTO departments (workspace_id, name, created_at) VALUES (?, ?, ?)", [.int(workspace.raw), .text(name), .int(now.epochMillis)]).lastInsertID
        return Department(id: id, workspaceID: workspace, name: name, archived: false)
    }

    public func setArchived(_ workspace: WorkspaceID, id: Int64, archived: Bool, now: Date, in tx: any SQLConnection) async throws -> Bool {
        try await tx.execute("UPDATE departments SET archived_at = ? WHERE id = ? AND workspace_id = ?", [archived ? .int(now.epochMillis) : .null, .int(id), .int(workspace.raw)]).affectedRows == 1
    }

    public func setSignature(_ workspace: WorkspaceID, id: Int64, signature: String, in tx: any SQLConnection) async throws -> Bool {
        // Compared by the row found, not by affected rows: MariaDB reports 0 when the value is unchanged.
        guard try await tx.queryFirst("SELECT id FROM departments WHERE id = ? AND workspace_id = ?", [.int(id), .int(workspace.raw)]) != nil else { return false }
        try await tx.execute("UPDATE departments SET signature = ? WHERE id = ? AND workspace_id = ?", [.text(signature), .int(id), .int(workspace.raw)])
        return true
    }

    public func rename(_ workspace: WorkspaceID, id: Int64, name: String, in tx: any SQLConnection) async throws -> Bool {
        guard try await tx.queryFirst("SELECT id FROM departments WHERE id = ? AND workspace_id = ?", [.int(id), .int(workspace.raw)]) != nil else { return false }
        try await tx.execute("UPDATE departments SET name = ? WHERE id = ? AND workspace_id = ?", [.text(name), .int(id), .int(workspace.raw)])
        return true
    }

    public func setSLA(_ workspace: WorkspaceID, id: Int64, sla: SLATargets?, in tx: any SQLConnection) async throws -> Bool {
        guard try await tx.queryFirst("SELECT id FROM departments WHERE id = ? AND workspace_id = ?", [.int(id), .int(workspace.raw)]) != nil else { return false }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let text = try sla.map { String(decoding: try enc.encode($0), as: UTF8.self) }
        try await tx.execute("UPDATE departments SET sla_json = ? WHERE id = ? AND workspace_id = ?", [SQLValue(text), .int(id), .int(workspace.raw)])
        return true
    }

    public func assignments(user: UserID) async throws -> [Int64] {
        try await db.read { conn in try await conn.query("SELECT department_id FROM user_departments WHERE user_id = ? ORDER BY department_id", [.int(user.raw)]).map { try $0.int("department_id") } }
    }

    public func setAssignments(user: UserID, departments: [Department], in tx: any SQLConnection) async throws {
        try await tx.execute("DELETE FROM user_departments WHERE user_id = ?", [.int(user.raw)])
        for d in departments {
            try await tx.execute("INSERT INTO user_departments (user_id, department_id, workspace_id) VALUES (?, ?, ?)", [.int(user.raw), .int(d.id), .int(d.workspaceID.raw)])
        }
    }
}
