import Foundation

/// One ticket as the customer portal lists it: the ticket and who wrote its last public message
/// (internal notes are never looked at), for the "Awaiting you" highlight.
public struct PortalTicketRow: Sendable, Equatable {
    public var ticket: Ticket
    public var lastPublicAuthor: TicketAuthorKind?
    public init(ticket: Ticket, lastPublicAuthor: TicketAuthorKind?) { self.ticket = ticket; self.lastPublicAuthor = lastPublicAuthor }
}

/// Which of a customer's tickets the portal lists. Exactly one of `customerEmail` and `ticketIDs` says
/// whose tickets they are; nothing else is ever listed.
public struct PortalTicketQuery: Sendable, Equatable {
    public enum Owner: Sendable, Equatable {
        /// An identified customer (signed identity token): the tickets opened with this email.
        case email(String)
        /// An anonymous visitor: only the tickets whose access keys they hold (already checked).
        case tickets([Int64])
    }
    public var owner: Owner
    /// Matched against the subject and the ticket number (`T-12` or `12`).
    public var search: String
    public var statuses: [TicketStatus]
    public var limit: Int
    public init(owner: Owner, search: String = "", statuses: [TicketStatus] = [], limit: Int = 50) {
        self.owner = owner; self.search = search; self.statuses = statuses; self.limit = limit
    }
}

/// The portal's storage: per-ticket access keys of anonymous customers (only their SHA-256 is kept)
/// and the customer's ticket list. Every method takes the workspace first.
public protocol TicketPortalStore: Sendable {
    func insertKey(_ workspace: WorkspaceID, ticketID: Int64, keyHash: String, now: Date, in tx: any SQLConnection) async throws
    /// The hashes of every access key issued for the ticket.
    func keyHashes(_ workspace: WorkspaceID, ticketID: Int64, in conn: any SQLConnection) async throws -> [String]
    /// Newest activity first; merged tickets are left out (their messages live in the survivor).
    func list(_ workspace: WorkspaceID, _ q: PortalTicketQuery, in conn: any SQLConnection) async throws -> [PortalTicketRow]
}
