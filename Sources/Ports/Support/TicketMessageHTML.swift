import Foundation

/// The sanitised HTML of email messages, kept beside their text (`ticket_messages.body_html`). Only
/// `HTMLSanitizer` output is ever written here. Every method takes the workspace first.
public protocol TicketMessageHTMLStore: Sendable {
    func setHTML(_ workspace: WorkspaceID, messageID: Int64, html: String, in tx: any SQLConnection) async throws
    /// The message's HTML (nil when it has none, or the message is not in the workspace).
    func html(_ workspace: WorkspaceID, messageID: Int64, in conn: any SQLConnection) async throws -> String?
    /// Which messages of the ticket have an HTML version.
    func messagesWithHTML(_ workspace: WorkspaceID, ticketID: Int64, in conn: any SQLConnection) async throws -> Set<Int64>
}
