import Foundation
import Ports

/// Ticket attachment rows over either engine. Every statement is scoped by `workspace_id`; whether an
/// attachment is staff-only comes from its message, so it can never disagree with the note itself.
public struct SQLTicketAttachmentStore: TicketAttachmentStore {
    public init() {}

    static let select = """
        SELECT a.id, a.workspace_id, a.ticket_id, a.message_id, a.file_name, a.content_type, a.size, a.storage_key, a.sha256, a.created_at,
               COALESCE(m.internal, 0) AS internal
        FROM ticket_attachments a
        LEFT JOIN ticket_messages m ON m.id = a.message_id AND m.workspace_id = a.workspace_id
        """

    static func decode(_ r: SQLRow) throws -> TicketAttachment {
        TicketAttachment(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), ticketID: try r.int("ticket_id"),
                         messageID: try r.optionalInt("message_id"), fileName: try r.string("file_name"), contentType: try r.string("content_type"),
                         size: try r.int("size"), storageKey: try r.string("storage_key"), sha256: try r.string("sha256"),
                         internalNote: try r.bool("internal"), createdAt: try r.date("created_at"))
    }

    public func insert(_ workspace: WorkspaceID, _ a: NewTicketAttachment, in tx: any SQLConnection) async throws -> TicketAttachment {
        let id = try await tx.execute("""
            INSERT INTO ticket_attachments (workspace_id, ticket_id, message_id, file_name, content_type, size, storage_key, sha256, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(workspace.raw), .int(a.ticketID), SQLValue(a.messageID), .text(a.fileName), .text(a.contentType), .int(a.size),
                  .text(a.storageKey), .text(a.sha256), .int(a.now.epochMillis)]).lastInsertID
        guard let row = try await find(workspace, id: id, in: tx) else {
            throw SQLError.engine(code: 0, message: "attachment \(id) vanished right after its insert")
        }
        return row
    }

    public func list(_ workspace: WorkspaceID, ticketID: Int64, includeInternal: Bool, in conn: any SQLConnection) async throws -> [TicketAttachment] {
        try await conn.query(Self.select + " WHERE a.workspace_id = ? AND a.ticket_id = ?\(includeInternal ? "" : " AND COALESCE(m.internal, 0) = 0") ORDER BY a.created_at, a.id",
                             [.int(workspace.raw), .int(ticketID)]).map(Self.decode)
    }

    public func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> TicketAttachment? {
        try await conn.queryFirst(Self.select + " WHERE a.workspace_id = ? AND a.id = ?", [.int(workspace.raw), .int(id)]).map(Self.decode)
    }

    public func message(_ workspace: WorkspaceID, ticketID: Int64, messageID: Int64, in conn: any SQLConnection) async throws -> TicketMessage? {
        try await conn.queryFirst("""
            SELECT id, ticket_id, workspace_id, author_kind, author_user_id, author_email, body, internal, created_at, message_id
            FROM ticket_messages WHERE workspace_id = ? AND ticket_id = ? AND id = ?
            """, [.int(workspace.raw), .int(ticketID), .int(messageID)]).map(SQLTicketStore.decodeMessage)
    }
}
