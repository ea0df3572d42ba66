import Foundation

/// A file attached to a ticket (and usually to one of its messages). The bytes live in `FileStorage`
/// under `storageKey`; the row holds what is shown and checked.
public struct TicketAttachment: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var ticketID: Int64
    /// The message it came with; nil for a file attached to the ticket itself.
    public var messageID: Int64?
    /// Sanitised for display; never used as a path.
    public var fileName: String
    /// Chosen by us from the checked type, never taken from the uploader.
    public var contentType: String
    public var size: Int64
    public var storageKey: String
    /// Lowercase hex SHA-256 of the bytes, checked again when they are read back.
    public var sha256: String
    /// True when the message it belongs to is an internal note (staff only).
    public var internalNote: Bool
    public var createdAt: Date
    public init(id: Int64, workspaceID: WorkspaceID, ticketID: Int64, messageID: Int64?, fileName: String, contentType: String, size: Int64,
                storageKey: String, sha256: String, internalNote: Bool, createdAt: Date) {
        self.id = id; self.workspaceID = workspaceID; self.ticketID = ticketID; self.messageID = messageID; self.fileName = fileName
        self.contentType = contentType; self.size = size; self.storageKey = storageKey; self.sha256 = sha256; self.internalNote = internalNote
        self.createdAt = createdAt
    }
}

public struct NewTicketAttachment: Sendable, Equatable {
    public var ticketID: Int64
    public var messageID: Int64?
    public var fileName: String
    public var contentType: String
    public var size: Int64
    public var storageKey: String
    public var sha256: String
    public var now: Date
    public init(ticketID: Int64, messageID: Int64?, fileName: String, contentType: String, size: Int64, storageKey: String, sha256: String, now: Date) {
        self.ticketID = ticketID; self.messageID = messageID; self.fileName = fileName; self.contentType = contentType; self.size = size
        self.storageKey = storageKey; self.sha256 = sha256; self.now = now
    }
}

/// Attachment rows. Every method takes the workspace first. `internalNote` is read from the message.
public protocol TicketAttachmentStore: Sendable {
    func insert(_ workspace: WorkspaceID, _ a: NewTicketAttachment, in tx: any SQLConnection) async throws -> TicketAttachment
    /// Oldest first. Attachments of internal notes only when `includeInternal`.
    func list(_ workspace: WorkspaceID, ticketID: Int64, includeInternal: Bool, in conn: any SQLConnection) async throws -> [TicketAttachment]
    func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> TicketAttachment?
    /// One message of the ticket (to attach to it), or nil when the ticket has no such message.
    func message(_ workspace: WorkspaceID, ticketID: Int64, messageID: Int64, in conn: any SQLConnection) async throws -> TicketMessage?
}
