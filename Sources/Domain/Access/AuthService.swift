import Foundation
import Ports

/// Lockout and session settings (the Security settings page edits them).
public struct LoginPolicy: Sendable, Equatable {
    /// Failed attempts allowed per account and per IP within `window` before further attempts are refused.
    public var maxFailures: Int
    public var window: TimeInterval
    /// A session ends after this long without activity.
    public var idleTimeout: TimeInterval
    /// Roles that must use an authenticator app; their members are sent to 2FA setup until they do.
    public var twoFactorRequiredFor: Set<Role>

    public init(maxFailures: Int = 5, window: TimeInterval = 15 * 60, idleTimeout: TimeInterval = 12 * 3600, twoFactorRequiredFor: Set<Role> = []) {
        self.maxFailures = maxFailures; self.window = window; self.idleTimeout = idleTimeout; self.twoFactorRequiredFor = twoFactorRequiredFor
    }
}

/// Where a login attempt comes from.
public struct ClientInfo: Sendable, Equatable {
    public var ip: String
    public var userAgent: String
    public var country: String
    public init(ip: String, userAgent: String, country: String = "Unknown") { self.ip = ip; self.userAgent = userAgent; self.country = country }
}

public enum LoginOutcome: Sendable {
    /// Signed in: set the cookie to `token`.
    case signedIn(token: String, user: User)
    /// Password accepted; the authenticator code is next (the cookie carries a half-open session).
    case secondFactorRequired(token: String, user: User)
    case refused(FailedLoginReason, message: String)
}

/// A request's verified identity.
public struct AuthenticatedSession: Sendable, Equatable {
    public var user: User
    public var session: SessionRecord
}

/// Passwords, sessions, lockout and TOTP 2FA.
public struct AuthService: Sendable {
    public let db: any SQLDatabase
    public let users: any UserStore
    public let sessions: any SessionStore
    public let failedLogins: any FailedLoginStore
    public let hasher: any PasswordHasher
    public let digests: any Digests
    public let secrets: any SecretBox
    public let clock: any TimeSource
    public let random: any RandomSource
    public var policy: LoginPolicy
    /// Reads the lockout settings in force (Settings > Security); falls back to `policy`.
    public var policyProvider: (@Sendable () async throws -> LoginPolicy)?
    /// A real hash of a random password, verified against when the email is unknown. Made on first
    /// use, not at start-up (every CLI command and process builds an AuthService).
    let dummyHash: LazyDummyHash

    public static let genericRefusal = "Email or password is incorrect."

    public init(db: any SQLDatabase, users: any UserStore, sessions: any SessionStore, failedLogins: any FailedLoginStore, hasher: any PasswordHasher,
                digests: any Digests, secrets: any SecretBox, clock: any TimeSource, random: any RandomSource, policy: LoginPolicy = LoginPolicy(),
                dummyHash: LazyDummyHash? = nil) {
        self.dummyHash = dummyHash ?? LazyDummyHash(hasher: hasher, random: random)
        self.db = db; self.users = users; self.sessions = sessions; self.failedLogins = failedLogins; self.hasher = hasher
        self.digests = digests; self.secrets = secrets; self.clock = clock; self.random = random; self.policy = policy
    }

    var totp: TOTP { TOTP(digests: digests) }

    /// Minutes until a lockout on this email or IP lifts, or nil when not locked.
    public func lockedFor(email: String, ip: String) async throws -> Int? {
        let p = try await policyProvider?() ?? policy
        let since = clock.now().addingTimeInterval(-p.window)
        let byEmail = try await failedLogins.count(email: email, since: since)
        let byIP = try await failedLogins.count(ip: ip, since: since)
        guard byEmail >= p.maxFailures || byIP >= p.maxFailures else { return nil }
        return max(1, Int((p.window / 60).rounded(.up)))
    }

    private func fail(_ email: String, _ client: ClientInfo, _ reason: FailedLoginReason) async throws {
        try await failedLogins.record(FailedLogin(at: clock.now(), ip: client.ip, country: client.country, email: email, reason: reason, userAgent: client.userAgent))
    }

    public func login(email rawEmail: String, password: String, client: ClientInfo) async throws -> LoginOutcome {
        let email = rawEmail.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !email.isEmpty else { return .refused(.notFound, message: "Enter your email address.") }
        if let minutes = try await lockedFor(email: email, ip: client.ip) {
            try await fail(email, client, .locked)
            return .refused(.locked, message: "Too many failed sign-in attempts. Try again in \(minutes) minutes.")
        }
        guard let user = try await db.read({ try await users.find(email: email, in: $0) }) else {
            // Spend the same time as a real check, so response time does not reveal which emails exist.
            _ = hasher.verify(password, against: dummyHash.value)
            try await fail(email, client, .notFound)
            return .refused(.notFound, message: Self.genericRefusal)
        }
        guard hasher.verify(password, against: user.passwordHash) else {
            try await fail(email, client, .wrongPassword)
            return .refused(.wrongPassword, message: Self.genericRefusal)
        }
        guard user.active else {
            try await fail(email, client, .deactivated)
            return .refused(.deactivated, message: "This account has been deactivated. Ask your OpsIQ Owner.")
        }
        let twoFactor = try await users.secondFactor(user.id)
        let token = try await startSession(user: user, client: client, pending: twoFactor.enabled)
        if twoFactor.enabled { return .secondFactorRequired(token: token, user: user) }
        try await users.recordLogin(user.id, now: clock.now())
        return .signedIn(token: token, user: user)
    }


    private func startSession(user: User, client: ClientInfo, pending: Bool) async throws -> String {
        let token = random.base62(length: 43)
        let now = clock.now()
        try await sessions.insert(SessionRecord(tokenHash: digests.sha256Hex(token), userID: user.id, csrfToken: random.base62(length: 32),
                                                workspaceID: nil, secondFactorPending: pending, ip: client.ip, userAgent: client.userAgent,
                                                createdAt: now, lastSeenAt: now, expiresAt: now.addingTimeInterval(pending ? 600 : policy.idleTimeout)))
        return token
    }

    /// Finishes a half-open session with an authenticator code or a recovery code.
    public func verifySecondFactor(token: String, code: String, client: ClientInfo) async throws -> LoginOutcome {
        let hash = digests.sha256Hex(token)
        guard let session = try await sessions.find(tokenHash: hash), session.secondFactorPending, session.expiresAt > clock.now(),
              let user = try await db.read({ try await users.find(session.userID, in: $0) }), user.active else {
            return .refused(.wrongCode, message: "Your sign-in expired. Enter your email and password again.")
        }
        if let minutes = try await lockedFor(email: user.email, ip: client.ip) {
            try await fail(user.email, client, .locked)
            try await sessions.delete(tokenHash: hash)
            return .refused(.locked, message: "Too many failed sign-in attempts. Try again in \(minutes) minutes.")
        }
        guard try await acceptSecondFactor(user: user, code: code) else {
            try await fail(user.email, client, .wrongCode)
            return .refused(.wrongCode, message: "That code is not valid. Enter the current 6-digit code from your authenticator app, or a recovery code.")
        }
        try await sessions.completeSecondFactor(tokenHash: hash, now: clock.now())
        try await sessions.touch(tokenHash: hash, now: clock.now(), expiresAt: clock.now().addingTimeInterval(policy.idleTimeout))
        try await users.recordLogin(user.id, now: clock.now())
        return .signedIn(token: token, user: user)
    }

    private func acceptSecondFactor(user: User, code: String) async throws -> Bool {
        var state = try await users.secondFactor(user.id)
        guard state.enabled, let sealed = state.sealedSecret else { return false }
        let secret = Base32.decode(try secrets.open(sealed)) ?? []
        if let step = totp.verify(code, secret: secret, at: clock.now()) {
            guard step > state.lastStep else { return false }  // a code is good once
            state.lastStep = step
            try await users.setSecondFactor(user.id, state, now: clock.now())
            return true
        }
        let normalized = code.uppercased().filter { $0.isLetter || $0.isNumber }
        let h = digests.sha256Hex(normalized)
        if let i = state.recoveryCodeHashes.firstIndex(where: { constantTimeEquals($0, h) }) {
            state.recoveryCodeHashes.remove(at: i)
            try await users.setSecondFactor(user.id, state, now: clock.now())
            return true
        }
        return false
    }

    /// The identity behind a session cookie, or nil (unknown, expired, half-open or deactivated).
    /// Activity slides the idle timeout and doubles as the who-is-online heartbeat (at most once a minute).
    public func authenticate(token: String, allowPendingSecondFactor: Bool = false) async throws -> AuthenticatedSession? {
        guard !token.isEmpty, token.count <= 128 else { return nil }
        let hash = digests.sha256Hex(token)
        guard let session = try await sessions.find(tokenHash: hash) else { return nil }
        let now = clock.now()
        if session.expiresAt <= now {
            try await sessions.delete(tokenHash: hash)
            return nil
        }
        if session.secondFactorPending && !allowPendingSecondFactor { return nil }
        guard let user = try await db.read({ try await users.find(session.userID, in: $0) }), user.active else { return nil }
        var s = session
        if now.timeIntervalSince(session.lastSeenAt) >= 60 && !session.secondFactorPending {
            s.lastSeenAt = now
            s.expiresAt = now.addingTimeInterval(policy.idleTimeout)
            try await sessions.touch(tokenHash: hash, now: now, expiresAt: s.expiresAt)
        }
        return AuthenticatedSession(user: user, session: s)
    }

    public func logout(token: String) async throws {
        try await sessions.delete(tokenHash: digests.sha256Hex(token))
    }

    /// Ends every session of the user (logout everywhere).
    @discardableResult
    public func logoutEverywhere(_ user: UserID) async throws -> Int {
        try await sessions.deleteAll(userID: user)
    }

    /// Starts 2FA setup: a new secret (not active until confirmed with a code). Returns the base32 secret and the otpauth URI.
    public func beginTwoFactor(for user: User) async throws -> (secret: String, uri: String) {
        let secret = Base32.encode(random.bytes(20))
        var state = try await users.secondFactor(user.id)
        guard !state.enabled else { throw DomainError.conflict("two-factor authentication is already on; turn it off first to set up a new device") }
        state.sealedSecret = try secrets.seal(secret)
        try await users.setSecondFactor(user.id, state, now: clock.now())
        return (secret, totp.provisioningURI(secret: Base32.decode(secret) ?? [], account: user.email, issuer: "OpsIQ"))
    }

    /// Confirms setup with the first code; returns ten single-use recovery codes, shown once.
    public func confirmTwoFactor(for user: User, code: String) async throws -> [String] {
        var state = try await users.secondFactor(user.id)
        guard !state.enabled, let sealed = state.sealedSecret, let secret = Base32.decode(try secrets.open(sealed)) else {
            throw DomainError.conflict("start two-factor setup first")
        }
        guard let step = totp.verify(code, secret: secret, at: clock.now()) else {
            throw DomainError.validation(field: "code", message: "that code does not match; check the time on your phone and enter the current code")
        }
        let codes = (0..<10).map { _ in
            let raw = random.base62(length: 10).uppercased()
            return String(raw.prefix(5)) + "-" + String(raw.suffix(5))
        }
        state.enabled = true
        state.lastStep = step
        state.recoveryCodeHashes = codes.map { digests.sha256Hex($0.filter { $0 != "-" }) }
        try await users.setSecondFactor(user.id, state, now: clock.now())
        return codes
    }

    public func disableTwoFactor(for user: User, password: String) async throws {
        guard hasher.verify(password, against: user.passwordHash) else {
            throw DomainError.validation(field: "password", message: "the password is not correct")
        }
        try await users.setSecondFactor(user.id, SecondFactorState(sealedSecret: nil, enabled: false, recoveryCodeHashes: [], lastStep: 0), now: clock.now())
    }

    public func twoFactorEnabled(_ user: UserID) async throws -> Bool {
        try await users.secondFactor(user).enabled
    }
}

/// The argon2id hash verified against for unknown emails, so their response time matches real accounts.
public final class LazyDummyHash: Sendable {
    private let hasher: any PasswordHasher
    private let random: any RandomSource
    private let cached = Mutex_<String?>(nil)
    public init(hasher: any PasswordHasher, random: any RandomSource) { self.hasher = hasher; self.random = random }
    var value: String {
        if let v = cached.get() { return v }
        let v = (try? hasher.hash(random.hexToken())) ?? ""
        cached.set(v)
        return v
    }
}
