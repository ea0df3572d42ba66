import Foundation
import Ports

/// The fields an admin sets on a mailbox; `password` nil on update keeps the stored one.
public struct MailboxFields: Sendable, Equatable {
    public var name: String
    public var address: String
    public var host: String
    public var port: Int
    public var security: IMAPAccount.Security
    public var username: String
    public var password: String?
    public var folder: String
    public var departmentID: Int64?
    public var pollMinutes: Int
    public var enabled: Bool
    public init(name: String, address: String, host: String, port: Int, security: IMAPAccount.Security, username: String, password: String?, folder: String,
                departmentID: Int64?, pollMinutes: Int, enabled: Bool) {
        self.name = name; self.address = address; self.host = host; self.port = port; self.security = security; self.username = username
        self.password = password; self.folder = folder; self.departmentID = departmentID; self.pollMinutes = pollMinutes; self.enabled = enabled
    }
}

/// Mailboxes in: settings per site (password sealed at rest), the test-connection check, and the
/// poll that imports new mail by UID (UIDVALIDITY and the last UID are remembered; a changed
/// UIDVALIDITY starts over, and the Message-ID check keeps already imported mail out).
public struct Mailboxes: Sendable {
    public let db: any SQLDatabase
    public let store: any MailboxStore
    public let imap: any IMAPClient
    public let parser: any InboundMailParser
    public let importer: MailImport
    public let secrets: any SecretBox
    public let workspaces: any WorkspaceStore
    public let outbox: Outbox
    public let clock: any TimeSource
    /// Accepted self-signed certificates (tests only; the admin has no switch for it).
    public var verifyPeer = true
    /// Messages imported per mailbox per poll; the rest wait for the next poll.
    public var batch = 200
    /// Messages fetched over one IMAP session (one login and folder selection) before they are imported
    /// (bounds the memory a poll holds: a chunk of messages is in memory at once).
    public var fetchChunk = 25

    public static let pollJobKind = "mail.poll"
    public static let dispatchJobKind = "mail.poll_due"

    public init(db: any SQLDatabase, store: any MailboxStore, imap: any IMAPClient, parser: any InboundMailParser, importer: MailImport, secrets: any SecretBox,
                workspaces: any WorkspaceStore, outbox: Outbox, clock: any TimeSource) {
        self.db = db; self.store = store; self.imap = imap; self.parser = parser; self.importer = importer; self.secrets = secrets
        self.workspaces = workspaces; self.outbox = outbox; self.clock = clock
    }

    // MARK: - Settings

    static func check(_ f: MailboxFields, creating: Bool) throws {
        func need(_ v: String, _ field: String, max: Int = 190) throws {
            let t = v.trimmingCharacters(in: .whitespaces)
            guard !t.isEmpty else { throw DomainError.validation(field: field, message: "cannot be empty") }
            guard t.count <= max else { throw DomainError.validation(field: field, message: "must be at most \(max) characters") }
            guard !t.contains(where: { $0.isNewline || $0 == "\0" }) else { throw DomainError.validation(field: field, message: "cannot contain line breaks") }
        }
        try need(f.name, "name")
        try need(f.host, "host", max: 255)
        guard f.host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) else {
            throw DomainError.validation(field: "host", message: "must be a host name like imap.example.com")
        }
        guard (1...65535).contains(f.port) else { throw DomainError.validation(field: "port", message: "must be between 1 and 65535 (993 for SSL/TLS, 143 for STARTTLS)") }
        try need(f.username, "username", max: 255)
        try need(f.folder, "folder", max: 255)
        let a = f.address.trimmingCharacters(in: .whitespaces)
        guard a.split(separator: "@").count == 2, !a.contains(" "), a.count <= 190 else {
            throw DomainError.validation(field: "address", message: "must be the mailbox's email address, like support@example.com")
        }
        if creating, (f.password ?? "").isEmpty { throw DomainError.validation(field: "password", message: "cannot be empty") }
        guard (1...1440).contains(f.pollMinutes) else { throw DomainError.validation(field: "poll_minutes", message: "must be between 1 and 1440 minutes") }
    }

    public func list(_ ws: WorkspaceID) async throws -> [Mailbox] {
        try await db.read { try await store.list(ws, in: $0) }
    }

    public func get(_ ws: WorkspaceID, id: Int64) async throws -> Mailbox {
        guard let m = try await db.read({ try await store.find(ws, id: id, in: $0) }) else { throw DomainError.notFound("no mailbox \(id) in this site") }
        return m
    }

    public func save(_ ws: WorkspaceID, id: Int64?, _ f: MailboxFields) async throws -> Mailbox {
        try Self.check(f, creating: id == nil)
        let now = clock.now()
        let saved: Int64 = try await db.transaction { tx in
            var m: Mailbox
            if let id {
                guard let existing = try await store.find(ws, id: id, in: tx) else { throw DomainError.notFound("no mailbox \(id) in this site") }
                m = existing
            } else {
                m = Mailbox(id: 0, workspaceID: ws, name: "", address: "", host: "", port: 993, security: .tls, username: "", passwordSealed: "", folder: "INBOX",
                            departmentID: nil, pollMinutes: 5, enabled: true, uidValidity: nil, lastUID: 0, lastPolledAt: nil, lastError: nil, createdAt: now, updatedAt: now)
            }
            m.name = f.name.trimmingCharacters(in: .whitespaces); m.address = f.address.trimmingCharacters(in: .whitespaces).lowercased()
            m.host = f.host.trimmingCharacters(in: .whitespaces); m.port = f.port; m.security = f.security
            m.username = f.username.trimmingCharacters(in: .whitespaces); m.folder = f.folder.trimmingCharacters(in: .whitespaces)
            m.departmentID = f.departmentID; m.pollMinutes = f.pollMinutes; m.enabled = f.enabled; m.updatedAt = now
            if let p = f.password, !p.isEmpty { m.passwordSealed = try secrets.seal(p) }
            let id = try await store.save(ws, m, in: tx)
            try await outbox.publish(id == m.id ? "mailbox.updated" : "mailbox.created", workspace: ws, payload: ["mailbox_id": .int(id), "name": .string(m.name)], in: tx)
            return id
        }
        return try await get(ws, id: saved)
    }

    public func delete(_ ws: WorkspaceID, id: Int64) async throws {
        try await db.transaction { tx in
            guard try await store.delete(ws, id: id, in: tx) else { throw DomainError.notFound("no mailbox \(id) in this site") }
            try await outbox.publish("mailbox.deleted", workspace: ws, payload: ["mailbox_id": .int(id)], in: tx)
        }
    }

    func account(_ m: Mailbox) throws -> IMAPAccount {
        IMAPAccount(host: m.host, port: m.port, security: m.security, username: m.username, password: try secrets.open(m.passwordSealed), folder: m.folder,
                    verifyPeer: verifyPeer)
    }

    /// Logs in and opens the folder. Throws a `DomainError.validation` with the reason (wrong password, TLS, folder missing).
    public func test(_ ws: WorkspaceID, id: Int64) async throws -> (uidValidity: Int64, messages: Int) {
        let m = try await get(ws, id: id)
        do {
            let r = try await imap.newUIDs(try account(m), after: 0)
            return (r.uidValidity, r.uids.count)
        } catch let e as IMAPError {
            throw DomainError.validation(field: e.kind == .login ? "password" : e.kind == .folder ? "folder" : e.kind == .tls ? "security" : "host", message: e.message)
        }
    }

    /// The address replies to a department's tickets go to: its first enabled mailbox's.
    public func replyAddress(_ ws: WorkspaceID, department: Int64?, in conn: any SQLConnection) async throws -> String? {
        guard let department else { return nil }
        return try await store.list(ws, in: conn).first { $0.enabled && $0.departmentID == department }?.address
    }

    // MARK: - Polling

    public struct PollResult: Sendable, Equatable {
        public var imported: [MailImport.Outcome] = []
        public var error: String?
    }

    /// Imports the mail that arrived since the last poll, oldest first, recording progress after each message.
    public func poll(_ ws: WorkspaceID, id: Int64, ownAddresses: Set<String>) async throws -> PollResult {
        let m = try await get(ws, id: id)
        var result = PollResult()
        var lastUID = m.lastUID
        var validity = m.uidValidity
        do {
            let acct = try account(m)
            var listed = try await imap.newUIDs(acct, after: m.lastUID)
            if let old = m.uidValidity, old != listed.uidValidity {
                // The server renumbered the folder: every UID is new again; the Message-ID check skips what was imported.
                listed = try await imap.newUIDs(acct, after: 0)
                lastUID = 0
            }
            validity = listed.uidValidity
            var own = ownAddresses
            own.insert(m.address.lowercased())
            let wanted = Array(listed.uids.prefix(batch))
            var start = 0
            // Every message taken (imported, duplicate or ignored) is flagged \Seen on the server at the end of
            // the poll, so people sharing the mailbox see what OpsIQ took; the UID position, not the flag,
            // decides what is imported, so a person marking mail unread never imports it twice.
            var taken: [Int64] = []
            do {
                while start < wanted.count {
                    // A chunk of messages over one IMAP session, then imported one by one.
                    let chunk = Array(wanted[start..<min(start + fetchChunk, wanted.count)])
                    start += chunk.count
                    let fetched = try await imap.fetch(acct, uids: chunk)
                    for (i, message) in fetched.enumerated() {
                        do {
                            let mail = parser.parse(message.raw)
                            do {
                                result.imported.append(try await importer.importMail(ws, mail, departmentID: m.departmentID, ownAddresses: own))
                            } catch DomainError.validation(let field, let message) {
                                // A message the helpdesk refuses (e.g. a malformed sender) is skipped, not retried
                                // forever: otherwise it would block every later message of the mailbox.
                                result.imported.append(.ignored("not importable: \(field) \(message)"))
                            }
                            lastUID = message.uid
                            try await db.transaction { try await store.recordPoll(ws, id: id, uidValidity: validity, lastUID: lastUID, error: nil, now: clock.now(), in: $0) }
                            taken.append(message.uid)
                        } catch {
                            // Fetching marked the rest read; what was unread and is not taken goes back to unread.
                            let back = fetched[i...].filter { !$0.seen }.map(\.uid)
                            try? await imap.setSeen(acct, uids: back, seen: false)
                            throw error
                        }
                    }
                }
            } catch {
                try? await imap.setSeen(acct, uids: taken, seen: true)
                throw error
            }
            var flagError: String? = nil
            do { try await imap.setSeen(acct, uids: taken, seen: true) } catch let e as IMAPError {
                flagError = "imported, but the messages could not be flagged as seen: \(e.message)"
                result.error = flagError
            }
            try await db.transaction { try await store.recordPoll(ws, id: id, uidValidity: validity, lastUID: lastUID, error: flagError, now: clock.now(), in: $0) }
        } catch let e as IMAPError {
            result.error = e.message
            try await db.transaction { try await store.recordPoll(ws, id: id, uidValidity: validity, lastUID: lastUID, error: e.message, now: clock.now(), in: $0) }
        }
        return result
    }

    /// The periodic dispatcher: one `mail.poll` job per enabled mailbox whose interval has passed.
    public static var periodicTask: PeriodicTask {
        PeriodicTask(name: dispatchJobKind, schedule: try! CronExpression("* * * * *")) { _ in
            NewJob(kind: dispatchJobKind, payload: "{}", queue: "default", uniqueKey: dispatchJobKind)
        }
    }

    public func enqueueDue(jobs: any JobStore) async throws -> Int {
        let now = clock.now()
        var n = 0
        for site in try await db.read({ try await workspaces.all(in: $0) }) {
            for m in try await list(site.id) where m.enabled {
                if let last = m.lastPolledAt, now.timeIntervalSince(last) < Double(m.pollMinutes * 60) - 5 { continue }
                try await db.transaction { tx in
                    _ = try await jobs.enqueue(NewJob(kind: Self.pollJobKind, payload: "{\"workspace_id\":\(site.id.raw),\"mailbox_id\":\(m.id)}", queue: "default",
                                                      workspaceID: site.id, uniqueKey: "mail.poll.\(m.id)", maxAttempts: 3), now: now, in: tx)
                }
                n += 1
            }
        }
        return n
    }
}
