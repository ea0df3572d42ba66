import Foundation
import Ports

/// `TicketMessageHTMLStore` on `ticket_messages.body_html` (migration 21).
public struct SQLTicketMessageHTMLStore: TicketMessageHTMLStore {
    public init() {}

    public func setHTML(_ workspace: WorkspaceID, messageID: Int64, html: String, in tx: any SQLConnection) async throws {
        _ = try await tx.execute("UPDATE ticket_messages SET body_html = ? WHERE workspace_id = ? AND id = ?", [.text(html), .int(workspace.raw), .int(messageID)])
    }

    public func html(_ workspace: WorkspaceID, messageID: Int64, in conn: any SQLConnection) async throws -> String? {
        try await conn.queryFirst("SELECT body_html FROM ticket_messages WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(messageID)])
            .flatMap { try $0.optionalString("body_html") }
    }

    public func messagesWithHTML(_ workspace: WorkspaceID, ticketID: Int64, in conn: any SQLConnection) async throws -> Set<Int64> {
        Set(try await conn.query("SELECT id FROM ticket_messages WHERE workspace_id = ? AND ticket_id = ? AND body_html IS NOT NULL",
                                 [.int(workspace.raw), .int(ticketID)]).map { try $0.int("id") })
    }
}
