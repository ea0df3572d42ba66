import Foundation

/// Where one stored outgoing email stands.
public enum StoredMailStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for the mail job to hand it to SMTP (or retrying after a temporary failure).
    case queued
    /// Accepted by the SMTP server.
    case sent
    /// Given up: a permanent SMTP refusal or too many attempts.
    case failed
    /// No SMTP is configured (the embedded default): kept in the local Outbox page, never sent.
    case held
}

/// An email as the outbox keeps it: what was (or would have been) sent, with every header.
public struct StoredMail: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var ticketID: Int64?
    /// The template or purpose, e.g. `ticket_reply`, `ticket_received`.
    public var kind: String
    /// Sent without a person pressing a button (acknowledgements, notifications): rate-limited and loop-protected.
    public var automatic: Bool
    public var status: StoredMailStatus
    public var mail: OutgoingMail
    /// The Message-ID header value, angle brackets included.
    public var messageID: String
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?
    public init(id: Int64, workspaceID: WorkspaceID, ticketID: Int64?, kind: String, automatic: Bool, status: StoredMailStatus, mail: OutgoingMail,
                messageID: String, attempts: Int, lastError: String?, createdAt: Date, sentAt: Date?) {
        self.id = id; self.workspaceID = workspaceID; self.ticketID = ticketID; self.kind = kind; self.automatic = automatic; self.status = status
        self.mail = mail; self.messageID = messageID; self.attempts = attempts; self.lastError = lastError; self.createdAt = createdAt; self.sentAt = sentAt
    }
}

/// An email to store; `mail.headers` must carry its `Message-ID`.
public struct NewStoredMail: Sendable {
    public var ticketID: Int64?
    public var kind: String
    public var automatic: Bool
    public var status: StoredMailStatus
    public var mail: OutgoingMail
    public var messageID: String
    public var now: Date
    public init(ticketID: Int64?, kind: String, automatic: Bool, status: StoredMailStatus, mail: OutgoingMail, messageID: String, now: Date) {
        self.ticketID = ticketID; self.kind = kind; self.automatic = automatic; self.status = status; self.mail = mail; self.messageID = messageID; self.now = now
    }
}

/// The durable outgoing-mail store. Every method takes the workspace first.
public protocol MailOutboxStore: Sendable {
    func insert(_ workspace: WorkspaceID, _ m: NewStoredMail, in tx: any SQLConnection) async throws -> StoredMail
    func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> StoredMail?
    /// Newest first, and the total matching.
    func list(_ workspace: WorkspaceID, status: StoredMailStatus?, ticketID: Int64?, limit: Int, offset: Int, in conn: any SQLConnection) async throws -> (mails: [StoredMail], total: Int)
    /// Records one delivery attempt: `sent`, back to `queued` (temporary failure) or `failed`.
    func recordAttempt(_ workspace: WorkspaceID, id: Int64, status: StoredMailStatus, error: String?, now: Date, in tx: any SQLConnection) async throws
    /// Automatic mails created since `since` for this ticket (when given) or to this address (when given).
    func countAutomatic(_ workspace: WorkspaceID, ticketID: Int64?, toEmail: String?, since: Date, in conn: any SQLConnection) async throws -> Int
    /// The ticket the first of these Message-IDs that we know belongs to: a message stored on a
    /// ticket, or an email we sent about one (threading of replies by In-Reply-To and References).
    func ticketID(_ workspace: WorkspaceID, messageIDs: [String], in conn: any SQLConnection) async throws -> Int64?
    /// Whether a ticket message with this Message-ID is stored already (an email is imported once).
    func messageImported(_ workspace: WorkspaceID, messageID: String, in conn: any SQLConnection) async throws -> Bool
}

/// A site's edited email template; templates never edited use the built-in text.
public struct EmailTemplateOverride: Sendable, Equatable {
    public var key: String
    public var subject: String
    public var body: String
    public var updatedAt: Date
    public init(key: String, subject: String, body: String, updatedAt: Date) { self.key = key; self.subject = subject; self.body = body; self.updatedAt = updatedAt }
}

/// Edited email templates per site.
public protocol EmailTemplateStore: Sendable {
    func all(_ workspace: WorkspaceID, in conn: any SQLConnection) async throws -> [EmailTemplateOverride]
    func save(_ workspace: WorkspaceID, key: String, subject: String, body: String, by: UserID?, now: Date, in tx: any SQLConnection) async throws
    /// Back to the built-in text; false when it was not edited.
    func reset(_ workspace: WorkspaceID, key: String, in tx: any SQLConnection) async throws -> Bool
}
