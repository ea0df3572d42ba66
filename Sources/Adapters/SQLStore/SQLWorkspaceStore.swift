import Foundation
import Ports

/// Workspaces. The site secret is sealed with the master key before it is stored.
public struct SQLWorkspaceStore: WorkspaceStore {
    public let secrets: any SecretBox
    public init(secrets: any SecretBox) { self.secrets = secrets }

    static let columns = "id, name, domain, description, site_key, site_secret_enc, created_at"

    func decode(_ r: SQLRow) throws -> Workspace {
        Workspace(id: WorkspaceID(try r.int("id")), name: try r.string("name"), domain: try r.string("domain"),
                  description: try r.string("description"), siteKey: try r.string("site_key"),
                  siteSecret: try secrets.open(try r.string("site_secret_enc")), createdAt: try r.date("created_at"))
    }

    public func insert(_ ws: NewWorkspace, now: Date, in tx: any SQLConnection) async throws -> Workspace {
        let sealed = try secrets.seal(ws.siteSecret)
        let r = try await tx.execute(
            "INSERT INTO workspaces (name, domain, description, site_key, site_secret_enc, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(ws.name), .text(ws.domain), .text(ws.description), .text(ws.siteKey), .text(sealed), .int(now.epochMillis)])
        return Workspace(id: WorkspaceID(r.lastInsertID), name: ws.name, domain: ws.domain, description: ws.description,
                         siteKey: ws.siteKey, siteSecret: ws.siteSecret, createdAt: Date(epochMillis: now.epochMillis))
    }

    public func find(_ id: WorkspaceID, in conn: any SQLConnection) async throws -> Workspace? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM workspaces WHERE id = ? AND archived_at IS NULL", [.int(id.raw)]).map(decode)
    }

    public func find(siteKey: String, in conn: any SQLConnection) async throws -> Workspace? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM workspaces WHERE site_key = ? AND archived_at IS NULL", [.text(siteKey)]).map(decode)
    }

    public func all(in conn: any SQLConnection) async throws -> [Workspace] {
        try await conn.query("SELECT \(Self.columns) FROM workspaces WHERE archived_at IS NULL ORDER BY id").map(decode)
    }

    public func update(_ ws: Workspace, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE workspaces SET name = ?, domain = ?, description = ? WHERE id = ?",
                             [.text(ws.name), .text(ws.domain), .text(ws.description), .int(ws.id.raw)])
    }

    public func setSecret(_ id: WorkspaceID, sealed: String, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE workspaces SET site_secret_enc = ? WHERE id = ?", [.text(sealed), .int(id.raw)])
    }

    public func count(in conn: any SQLConnection) async throws -> Int {
        Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM workspaces WHERE archived_at IS NULL")?.int("n") ?? 0)
    }
}
