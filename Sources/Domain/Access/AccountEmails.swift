import Foundation
import Ports

/// Password resets and team invitations: a single-use, expiring link sent by email through the job
/// queue (so a mail server that is down delays the email instead of losing it).
public struct AccountEmails: Sendable {
    public let db: any SQLDatabase
    public let users: any UserStore
    public let tokens: any OneTimeTokenStore
    public let jobs: any JobStore
    public let hasher: any PasswordHasher
    public let digests: any Digests
    public let sessions: any SessionStore
    public let outbox: Outbox
    public let clock: any TimeSource
    public let random: any RandomSource
    public let baseURL: String
    public let mailConfigured: Bool

    public static let resetLifetime: TimeInterval = 3600
    public static let inviteLifetime: TimeInterval = 72 * 3600
    public static let mailJobKind = "mail.send"

    public init(db: any SQLDatabase, users: any UserStore, tokens: any OneTimeTokenStore, jobs: any JobStore, hasher: any PasswordHasher, digests: any Digests,
                sessions: any SessionStore, outbox: Outbox, clock: any TimeSource, random: any RandomSource, baseURL: String, mailConfigured: Bool) {
        self.db = db; self.users = users; self.tokens = tokens; self.jobs = jobs; self.hasher = hasher; self.digests = digests; self.sessions = sessions
        self.outbox = outbox; self.clock = clock; self.random = random; self.baseURL = baseURL; self.mailConfigured = mailConfigured
    }

    /// The job payload of one email.
    public static func mailJob(to: String, subject: String, text: String) -> NewJob {
        NewJob(kind: mailJobKind, payload: JSONValue.object(["to": .string(to), "subject": .string(subject), "text": .string(text)]).encoded(),
               queue: "default", maxAttempts: 10)
    }

    /// Sends a reset link if an active account has this email. Says nothing either way (no account discovery).
    public func requestReset(email raw: String) async throws {
        guard mailConfigured else { throw DomainError.conflict("password reset by email is not set up on this installation (OPSIQ_SMTP_URL); ask your OpsIQ Owner, who can run opsiq-admin reset-password") }
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard let user = try await db.read({ try await users.find(email: email, in: $0) }), user.active else { return }
        let token = random.base62(length: 43)
        let link = "\(baseURL)/login/reset?token=\(token)"
        try await db.transaction { tx in
            try await tokens.insert(tokenHash: digests.sha256Hex(token), OneTimeToken(purpose: "reset", userID: user.id, email: email, payload: "{}", createdBy: nil,
                                                                                     expiresAt: clock.now().addingTimeInterval(Self.resetLifetime)), now: clock.now(), in: tx)
            _ = try await jobs.enqueue(Self.mailJob(to: email, subject: "Reset your OpsIQ password", text: """
                Hello \(user.name),

                Someone (hopefully you) asked to reset the password of your OpsIQ account. Open this link within one hour to choose a new password:

                \(link)

                If you did not ask for this, ignore this email; your password stays as it is.
                """), now: clock.now(), in: tx)
        }
    }

    /// The account a reset link belongs to, if the link is still good.
    public func resetTarget(token: String) async throws -> OneTimeToken? {
        try await tokens.peek(tokenHash: digests.sha256Hex(token), purpose: "reset", now: clock.now())
    }

    /// Sets the new password and ends every session of the account. The link works once.
    public func resetPassword(token: String, newPassword: String) async throws -> User {
        guard newPassword.count >= SetupService.minimumPasswordLength else {
            throw DomainError.validation(field: "password", message: "must be at least \(SetupService.minimumPasswordLength) characters")
        }
        let hash = try hasher.hash(newPassword)
        let user: User = try await db.transaction { tx in
            guard let t = try await tokens.consume(tokenHash: digests.sha256Hex(token), purpose: "reset", now: clock.now(), in: tx), let id = t.userID,
                  let u = try await users.find(id, in: tx), u.active else {
                throw DomainError.notFound("this reset link has expired or was already used; ask for a new one")
            }
            try await users.setPassword(id, hash: hash, now: clock.now(), in: tx)
            try await outbox.publish("user.password_reset", workspace: nil, payload: ["user_id": .int(id.raw)], in: tx)
            return u
        }
        _ = try await sessions.deleteAll(userID: user.id)
        return user
    }

    /// Invites someone to the team with a role; the link expires after 72 hours.
    public func invite(email raw: String, role: Role, by: User) async throws {
        guard mailConfigured else { throw DomainError.conflict("invitations are sent by email, which is not set up on this installation (OPSIQ_SMTP_URL)") }
        guard role != .owner else { throw DomainError.validation(field: "role", message: "there is exactly one Owner; invite a Full Admin or an Agent") }
        let email = try SetupService.normalizedEmail(raw)
        if try await db.read({ try await users.find(email: email, in: $0) }) != nil {
            throw DomainError.validation(field: "email", message: "is already a member of the team")
        }
        let token = random.base62(length: 43)
        try await db.transaction { tx in
            try await tokens.insert(tokenHash: digests.sha256Hex(token), OneTimeToken(purpose: "invite", userID: nil, email: email, payload: JSONValue.object(["role": .string(role.rawValue)]).encoded(),
                                                                                     createdBy: by.id, expiresAt: clock.now().addingTimeInterval(Self.inviteLifetime)), now: clock.now(), in: tx)
            _ = try await jobs.enqueue(Self.mailJob(to: email, subject: "\(by.name) invited you to OpsIQ", text: """
                Hello,

                \(by.name) invited you to join their team on OpsIQ as \(role.displayName). Open this link within 72 hours to choose your name and password:

                \(baseURL)/invite?token=\(token)
                """), now: clock.now(), in: tx)
        }
    }

    public func invitation(token: String) async throws -> OneTimeToken? {
        try await tokens.peek(tokenHash: digests.sha256Hex(token), purpose: "invite", now: clock.now())
    }

    /// Accepts an invitation: creates the account with the invited role. The link works once.
    public func acceptInvitation(token: String, name rawName: String, password: String) async throws -> User {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 190 else { throw DomainError.validation(field: "name", message: "enter your name") }
        guard password.count >= SetupService.minimumPasswordLength else {
            throw DomainError.validation(field: "password", message: "must be at least \(SetupService.minimumPasswordLength) characters")
        }
        let hash = try hasher.hash(password)
        return try await db.transaction { tx in
            guard let t = try await tokens.consume(tokenHash: digests.sha256Hex(token), purpose: "invite", now: clock.now(), in: tx) else {
                throw DomainError.notFound("this invitation has expired or was already used; ask for a new one")
            }
            let role = Role(rawValue: (try? JSONValue.parse(t.payload))?["role"]?.stringValue ?? "") ?? .agent
            let u: User
            do {
                u = try await users.insert(NewUser(email: t.email, name: name, role: role, passwordHash: hash), now: clock.now(), in: tx)
            } catch SQLError.uniqueViolation {
                throw DomainError.conflict("an account with this email already exists")
            }
            try await outbox.publish("user.created", workspace: nil, payload: ["user_id": .int(u.id.raw), "email": .string(u.email), "role": .string(role.rawValue)], in: tx)
            return u
        }
    }
}
