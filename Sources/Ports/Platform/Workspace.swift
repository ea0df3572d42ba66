import Foundation

/// The id of a workspace (a "site"). Every customer-data query takes one.
public struct WorkspaceID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let raw: Int64
    public init(_ raw: Int64) { self.raw = raw }
    public var description: String { String(raw) }
}

/// A workspace as stored.
public struct Workspace: Sendable, Equatable {
    public var id: WorkspaceID
    public var name: String
    public var domain: String
    public var description: String
    public var siteKey: String
    public var siteSecret: String
    public var createdAt: Date

    public init(id: WorkspaceID, name: String, domain: String, description: String, siteKey: String, siteSecret: String, createdAt: Date) {
        self.id = id; self.name = name; self.domain = domain; self.description = description
        self.siteKey = siteKey; self.siteSecret = siteSecret; self.createdAt = createdAt
    }
}

public struct NewWorkspace: Sendable {
    public var name: String
    public var domain: String
    public var description: String
    public var siteKey: String
    public var siteSecret: String
    public init(name: String, domain: String, description: String = "", siteKey: String, siteSecret: String) {
        self.name = name; self.domain = domain; self.description = description; self.siteKey = siteKey; self.siteSecret = siteSecret
    }
}

/// Stores workspaces. The workspace table is the root of scoping, so its lookups are by id or key.
public protocol WorkspaceStore: Sendable {
    func insert(_ ws: NewWorkspace, now: Date, in tx: any SQLConnection) async throws -> Workspace
    func find(_ id: WorkspaceID, in conn: any SQLConnection) async throws -> Workspace?
    func find(siteKey: String, in conn: any SQLConnection) async throws -> Workspace?
    func all(in conn: any SQLConnection) async throws -> [Workspace]
    func count(in conn: any SQLConnection) async throws -> Int
    func update(_ ws: Workspace, in tx: any SQLConnection) async throws
    func setSecret(_ id: WorkspaceID, sealed: String, in tx: any SQLConnection) async throws
}
