import Foundation
import Ports

/// API keys: `opq_` + 43 base62 characters (≥ 256 bits), shown once, stored as SHA-256.
public struct APIKeyService: Sendable {
    public let store: any APIKeyStore
    public let rateLimits: any RateLimitStore
    public let digests: any Digests
    public let clock: any TimeSource
    public let random: any RandomSource

    public static let scopes = [
        "analytics.read", "events.write", "tickets.read", "tickets.write", "crm.read", "crm.write",
        "settings.read", "settings.write", "team.read", "team.write", "events.read",
    ]

    public init(store: any APIKeyStore, rateLimits: any RateLimitStore, digests: any Digests, clock: any TimeSource, random: any RandomSource) {
        self.store = store; self.rateLimits = rateLimits; self.digests = digests; self.clock = clock; self.random = random
    }

    /// Creates a key; the plaintext is returned once and never stored.
    public func create(name: String, scopes: [String], workspace: WorkspaceID?, by: UserID) async throws -> (plaintext: String, record: APIKeyRecord) {
        let n = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !n.isEmpty, n.count <= 190 else { throw DomainError.validation(field: "name", message: "give the key a name of 1 to 190 characters") }
        guard !scopes.isEmpty else { throw DomainError.validation(field: "scopes", message: "choose at least one scope") }
        for s in scopes where !Self.scopes.contains(s) {
            throw DomainError.validation(field: "scopes", message: "unknown scope '\(s)' (known: \(Self.scopes.joined(separator: ", ")))")
        }
        let plaintext = "opq_" + random.base62(length: 43)
        let record = try await store.insert(keyHash: digests.sha256Hex(plaintext), prefix: String(plaintext.prefix(12)), name: n,
                                            scopes: Array(Set(scopes)).sorted(), workspace: workspace, createdBy: by, now: clock.now())
        return (plaintext, record)
    }

    /// The key behind a bearer token; `.unauthenticated` for unknown or revoked keys.
    public func authenticate(bearer: String) async throws -> APIKeyRecord {
        guard bearer.hasPrefix("opq_"), bearer.count <= 100 else { throw DomainError.unauthenticated("send an API key as Authorization: Bearer opq_…") }
        guard let key = try await store.find(keyHash: digests.sha256Hex(bearer)) else { throw DomainError.unauthenticated("unknown API key") }
        guard key.revokedAt == nil else { throw DomainError.unauthenticated("this API key has been revoked") }
        return key
    }

    public struct RateState: Sendable, Equatable {
        public var limit: Int
        public var remaining: Int
        public var resetAt: Date
        public var retryAfter: Int
    }

    /// Counts one request in the key's current minute, shared by every web process through the database.
    public func hit(_ key: APIKeyRecord, limit: Int) async throws -> RateState {
        let now = clock.now()
        let window = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
        let used = try await rateLimits.hit(bucket: "api_key:\(key.id)", windowStart: window)
        let reset = window.addingTimeInterval(60)
        let state = RateState(limit: limit, remaining: max(0, limit - used), resetAt: reset, retryAfter: max(1, Int(reset.timeIntervalSince(now).rounded(.up))))
        if used > limit { throw RateLimited(state: state) }
        if used == 1 { try await store.markUsed(id: key.id, now: now) }
        return state
    }

    public struct RateLimited: Error, Sendable {
        public let state: RateState
    }
}
