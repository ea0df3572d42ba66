import Foundation

/// A reusable reply of a site: its body may use template variables (`{{customer_name}}`).
/// `departmentID` nil means every department may use it.
public struct CannedResponse: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var title: String
    public var body: String
    public var departmentID: Int64?
    /// Typed in the reply box to insert it, like `/refund`; unique per site.
    public var shortcut: String
    public var createdBy: UserID?
    public var createdAt: Date
    public var updatedAt: Date
    public init(id: Int64, workspaceID: WorkspaceID, title: String, body: String, departmentID: Int64?, shortcut: String, createdBy: UserID?,
                createdAt: Date, updatedAt: Date) {
        self.id = id; self.workspaceID = workspaceID; self.title = title; self.body = body; self.departmentID = departmentID
        self.shortcut = shortcut; self.createdBy = createdBy; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

/// The fields a person edits.
public struct CannedResponseFields: Sendable, Equatable {
    public var title: String
    public var body: String
    public var departmentID: Int64?
    public var shortcut: String
    public init(title: String, body: String, departmentID: Int64?, shortcut: String) {
        self.title = title; self.body = body; self.departmentID = departmentID; self.shortcut = shortcut
    }
}

/// Canned responses. Every method takes the workspace first. A duplicate shortcut raises `SQLError.uniqueViolation`.
public protocol CannedResponseStore: Sendable {
    /// By title. `departments` nil: all; else those of these departments and those for every department.
    func list(_ workspace: WorkspaceID, departments: Set<Int64>?, in conn: any SQLConnection) async throws -> [CannedResponse]
    func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> CannedResponse?
    func insert(_ workspace: WorkspaceID, _ f: CannedResponseFields, createdBy: UserID?, now: Date, in tx: any SQLConnection) async throws -> CannedResponse
    /// False when there is no such response in the workspace.
    func update(_ workspace: WorkspaceID, id: Int64, _ f: CannedResponseFields, now: Date, in tx: any SQLConnection) async throws -> Bool
    func delete(_ workspace: WorkspaceID, id: Int64, in tx: any SQLConnection) async throws -> Bool
}
