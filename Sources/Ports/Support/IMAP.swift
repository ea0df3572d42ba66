import Foundation

/// How to reach one IMAP mailbox.
public struct IMAPAccount: Sendable, Equatable {
    public enum Security: String, Sendable, CaseIterable {
        /// Implicit TLS (`imaps://`, usually port 993).
        case tls
        /// STARTTLS required (`imap://`, usually port 143).
        case startTLS = "starttls"
        /// No encryption: only for a server on localhost.
        case none
    }
    public var host: String
    public var port: Int
    public var security: Security
    public var username: String
    /// Never logged nor part of an error message.
    public var password: String
    public var folder: String
    /// Off only for test servers with a self-signed certificate.
    public var verifyPeer: Bool
    public var timeoutSeconds: Int
    public init(host: String, port: Int, security: Security, username: String, password: String, folder: String = "INBOX", verifyPeer: Bool = true, timeoutSeconds: Int = 30) {
        self.host = host; self.port = port; self.security = security; self.username = username; self.password = password; self.folder = folder
        self.verifyPeer = verifyPeer; self.timeoutSeconds = timeoutSeconds
    }
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// What went wrong talking to a mailbox, in words an admin can act on.
public struct IMAPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case login, tls, folder, connect, timeout, protocolError = "protocol" }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }
    public var description: String { message }
}

/// One fetched message: its UID and raw RFC 5322 bytes.
public struct IMAPMessage: Sendable, Equatable {
    public var uid: Int64
    public var raw: [UInt8]
    /// Whether it carried `\Seen` before this fetch (someone read it, or OpsIQ took it before).
    public var seen: Bool
    public init(uid: Int64, raw: [UInt8], seen: Bool = false) { self.uid = uid; self.raw = raw; self.seen = seen }
}

/// Reads mail from an IMAP folder by UID (the live adapter speaks IMAP through libcurl).
public protocol IMAPClient: Sendable {
    /// The folder's UIDVALIDITY and the UIDs greater than `after`, ascending.
    func newUIDs(_ account: IMAPAccount, after: Int64) async throws -> (uidValidity: Int64, uids: [Int64])
    /// The raw message (RFC 5322 bytes) with this UID.
    func fetch(_ account: IMAPAccount, uid: Int64) async throws -> [UInt8]
    /// The raw messages with these UIDs, in the order given, over one session where the client can
    /// (one login and folder selection for the lot, not one per message).
    func fetch(_ account: IMAPAccount, uids: [Int64]) async throws -> [IMAPMessage]
    /// Logs in and opens the folder; throws an `IMAPError` saying what failed.
    func test(_ account: IMAPAccount) async throws
    /// Sets (`seen: true`) or clears the `\Seen` flag of these messages, over one session: a mailbox
    /// shared with people shows what OpsIQ took.
    func setSeen(_ account: IMAPAccount, uids: [Int64], seen: Bool) async throws
}

extension IMAPClient {
    /// One fetch per message (clients without a session of their own).
    public func fetch(_ account: IMAPAccount, uids: [Int64]) async throws -> [IMAPMessage] {
        var out: [IMAPMessage] = []
        for uid in uids { out.append(IMAPMessage(uid: uid, raw: try await fetch(account, uid: uid))) }
        return out
    }
}
