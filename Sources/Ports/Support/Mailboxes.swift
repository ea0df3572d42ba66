import Foundation

/// An IMAP mailbox of a site: mail arriving in `folder` becomes tickets in `departmentID`.
public struct Mailbox: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var name: String
    /// The address customers write to (support@…): replies' Reply-To, and never a ticket's customer.
    public var address: String
    public var host: String
    public var port: Int
    public var security: IMAPAccount.Security
    public var username: String
    /// Sealed with the master key (`SecretBox`); opened only to log in.
    public var passwordSealed: String
    public var folder: String
    public var departmentID: Int64?
    public var pollMinutes: Int
    public var enabled: Bool
    public var uidValidity: Int64?
    public var lastUID: Int64
    public var lastPolledAt: Date?
    /// The last poll's error (nil: healthy).
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    public init(id: Int64, workspaceID: WorkspaceID, name: String, address: String, host: String, port: Int, security: IMAPAccount.Security, username: String,
                passwordSealed: String, folder: String, departmentID: Int64?, pollMinutes: Int, enabled: Bool, uidValidity: Int64?, lastUID: Int64,
                lastPolledAt: Date?, lastError: String?, createdAt: Date, updatedAt: Date) {
        self.id = id; self.workspaceID = workspaceID; self.name = name; self.address = address; self.host = host; self.port = port; self.security = security
        self.username = username; self.passwordSealed = passwordSealed; self.folder = folder; self.departmentID = departmentID; self.pollMinutes = pollMinutes
        self.enabled = enabled; self.uidValidity = uidValidity; self.lastUID = lastUID; self.lastPolledAt = lastPolledAt; self.lastError = lastError
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

/// Mailboxes. Every method takes the workspace first.
public protocol MailboxStore: Sendable {
    func list(_ workspace: WorkspaceID, in conn: any SQLConnection) async throws -> [Mailbox]
    func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> Mailbox?
    /// Inserts (`id` 0) or writes the settings of an existing mailbox (not its poll state).
    func save(_ workspace: WorkspaceID, _ m: Mailbox, in tx: any SQLConnection) async throws -> Int64
    func delete(_ workspace: WorkspaceID, id: Int64, in tx: any SQLConnection) async throws -> Bool
    /// Records a poll: where it got to and its error (nil: fine).
    func recordPoll(_ workspace: WorkspaceID, id: Int64, uidValidity: Int64?, lastUID: Int64, error: String?, now: Date, in tx: any SQLConnection) async throws
}
