import Foundation
import Ports

/// Settings for outbound webhooks (from the operator's configuration).
public struct WebhookSettings: Sendable {
    /// Consecutive failed attempts after which an endpoint is disabled (spec: 15).
    public var disableAfterFailures: Int
    /// How long the secret before a rotation keeps signing.
    public var rotationGrace: TimeInterval
    public var timeout: TimeInterval
    public var maxResponseBytes: Int
    /// Plain http:// endpoint URLs are accepted (the SSRF guard's OPSIQ_OUTBOUND_ALLOW_HTTP).
    public var allowHTTP: Bool

    public init(disableAfterFailures: Int = 15, rotationGrace: TimeInterval = 86400, timeout: TimeInterval = 15,
                maxResponseBytes: Int = 64 * 1024, allowHTTP: Bool = false) {
        self.disableAfterFailures = disableAfterFailures; self.rotationGrace = rotationGrace; self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes; self.allowHTTP = allowHTTP
    }
}

/// A new or rotated endpoint with its secret in the open: shown once, never stored open.
public struct WebhookEndpointWithSecret: Sendable {
    public let endpoint: WebhookEndpoint
    public let secret: String
}

/// Endpoint management: create, edit, rotate the secret, disable, re-enable with replay, redeliver.
public struct WebhookEndpoints: Sendable {
    public let db: any SQLDatabase
    public let store: any WebhookStore
    public let secrets: any SecretBox
    public let clock: any TimeSource
    public let random: any RandomSource
    public let settings: WebhookSettings
    public static let maxEndpointsPerWorkspace = 50

    public init(db: any SQLDatabase, store: any WebhookStore, secrets: any SecretBox, clock: any TimeSource, random: any RandomSource, settings: WebhookSettings) {
        self.db = db; self.store = store; self.secrets = secrets; self.clock = clock; self.random = random; self.settings = settings
    }

    /// Checks a URL the way people write it; the SSRF guard checks the address at every attempt.
    public func validateURL(_ raw: String) throws -> String {
        let url = raw.trimmingCharacters(in: .whitespaces)
        guard !url.isEmpty else { throw DomainError.validation(field: "url", message: "is required, e.g. https://example.com/opsiq-webhook") }
        guard url.count <= 2000, url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw DomainError.validation(field: "url", message: "must be at most 2000 printable ASCII characters without spaces")
        }
        let lower = url.lowercased()
        if lower.hasPrefix("http://") {
            guard settings.allowHTTP else { throw DomainError.validation(field: "url", message: "must use https:// (plain HTTP is not allowed on this installation)") }
        } else if !lower.hasPrefix("https://") {
            throw DomainError.validation(field: "url", message: "must start with https://")
        }
        let afterScheme = url[url.index(url.startIndex, offsetBy: lower.hasPrefix("https://") ? 8 : 7)...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty else { throw DomainError.validation(field: "url", message: "has no host") }
        guard !authority.contains("@") else { throw DomainError.validation(field: "url", message: "must not contain credentials (user:password@)") }
        return url
    }

    public func validateEvents(_ events: [String]) throws -> [String] {
        let cleaned = events.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !cleaned.isEmpty else { throw DomainError.validation(field: "events", message: "choose at least one event (or * for every event)") }
        guard cleaned.count <= 100 else { throw DomainError.validation(field: "events", message: "at most 100 entries") }
        for e in cleaned where !WebhookSigning.isValidPattern(e) {
            throw DomainError.validation(field: "events", message: "'\(e)' is not an event name, a pattern like ticket.* or *")
        }
        var seen = Set<String>()
        return cleaned.filter { seen.insert($0).inserted }
    }

    func validateDescription(_ d: String?) throws -> String {
        let s = (d ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard s.count <= 500 else { throw DomainError.validation(field: "description", message: "at most 500 characters") }
        return s
    }

    public func create(_ ws: WorkspaceID, url: String, events: [String], description: String?) async throws -> WebhookEndpointWithSecret {
        let u = try validateURL(url), ev = try validateEvents(events), d = try validateDescription(description)
        let secret = WebhookSigning.newSecret(random: random)
        let sealed = try secrets.seal(secret)
        let now = clock.now()
        let e = try await db.transaction { tx -> WebhookEndpoint in
            guard try await store.endpoints(ws, in: tx).count < Self.maxEndpointsPerWorkspace else {
                throw DomainError.conflict("a site can have at most \(Self.maxEndpointsPerWorkspace) webhook endpoints")
            }
            return try await store.insertEndpoint(WebhookEndpoint(id: 0, workspaceID: ws, url: u, description: d, events: ev, secretSealed: sealed,
                                                                  previousSecretSealed: nil, previousSecretExpiresAt: nil, enabled: true, disabledReason: nil,
                                                                  disabledAt: nil, consecutiveFailures: 0, createdAt: now, updatedAt: now), in: tx)
        }
        return WebhookEndpointWithSecret(endpoint: e, secret: secret)
    }

    public func get(_ ws: WorkspaceID, id: Int64) async throws -> WebhookEndpoint {
        guard let e = try await db.read({ try await store.endpoint(ws, id: id, in: $0) }) else {
            throw DomainError.notFound("webhook endpoint \(id) does not exist in this site")
        }
        return e
    }

    public func list(_ ws: WorkspaceID) async throws -> [WebhookEndpoint] {
        try await db.read { try await store.endpoints(ws, in: $0) }
    }

    /// Changes the fields given; nil keeps a field.
    public func update(_ ws: WorkspaceID, id: Int64, url: String?, events: [String]?, description: String?) async throws -> WebhookEndpoint {
        let u = try url.map(validateURL), ev = try events.map(validateEvents), d = try description.map { try validateDescription($0) }
        return try await modify(ws, id: id) { e, now in
            if let u { e.url = u }
            if let ev { e.events = ev }
            if let d { e.description = d }
        }
    }

    public func delete(_ ws: WorkspaceID, id: Int64) async throws {
        let gone = try await db.transaction { try await store.deleteEndpoint(ws, id: id, in: $0) }
        guard gone else { throw DomainError.notFound("webhook endpoint \(id) does not exist in this site") }
    }

    /// A new secret; the old one keeps signing (second signature) for the grace period.
    public func rotateSecret(_ ws: WorkspaceID, id: Int64, grace: TimeInterval? = nil) async throws -> WebhookEndpointWithSecret {
        let g = grace ?? settings.rotationGrace
        guard g >= 0, g <= 7 * 86400 else { throw DomainError.validation(field: "grace_seconds", message: "must be from 0 to 604800 (7 days)") }
        let secret = WebhookSigning.newSecret(random: random)
        let sealed = try secrets.seal(secret)
        let e = try await modify(ws, id: id) { e, now in
            e.previousSecretSealed = g > 0 ? e.secretSealed : nil
            e.previousSecretExpiresAt = g > 0 ? now.addingTimeInterval(g) : nil
            e.secretSealed = sealed
        }
        return WebhookEndpointWithSecret(endpoint: e, secret: secret)
    }

    /// The secrets an attempt at `now` signs with, current first.
    public func signingSecrets(_ e: WebhookEndpoint, now: Date) throws -> [String] {
        var out = [try secrets.open(e.secretSealed)]
        if let prev = e.previousSecretSealed, let until = e.previousSecretExpiresAt, until > now { out.append(try secrets.open(prev)) }
        return out
    }

    public func disable(_ ws: WorkspaceID, id: Int64, reason: String) async throws -> WebhookEndpoint {
        try await modify(ws, id: id) { e, now in
            if e.enabled { e.disabledAt = now }
            e.enabled = false
            e.disabledReason = String(reason.prefix(500))
        }
    }

    /// Re-enables the endpoint and sends everything undelivered since `since` (default: when it was
    /// disabled) in sequence order. Returns the endpoint and how many deliveries are queued.
    public func enable(_ ws: WorkspaceID, id: Int64, since: Date?) async throws -> (WebhookEndpoint, Int) {
        try await db.transaction { tx in
            guard var e = try await store.endpoint(ws, id: id, in: tx) else { throw DomainError.notFound("webhook endpoint \(id) does not exist in this site") }
            let now = clock.now()
            let from = since ?? e.disabledAt ?? now
            let queued = try await store.replay(ws, endpoint: id, since: from, now: now, in: tx)
            e.enabled = true
            e.disabledReason = nil
            e.disabledAt = nil
            e.consecutiveFailures = 0
            e.updatedAt = now
            try await store.updateEndpoint(e, in: tx)
            return (e, queued)
        }
    }

    /// Queues one delivery again (whatever its state), due now.
    public func redeliver(_ ws: WorkspaceID, deliveryID: Int64) async throws -> WebhookDelivery {
        try await db.transaction { tx in
            guard var d = try await store.delivery(ws, id: deliveryID, in: tx) else {
                throw DomainError.notFound("webhook delivery \(deliveryID) does not exist in this site")
            }
            d.status = .pending
            d.attempts = 0
            d.nextAttemptAt = clock.now()
            try await store.updateDelivery(d, in: tx)
            return d
        }
    }

    public func deliveries(_ ws: WorkspaceID, endpoint: Int64, status: WebhookDeliveryStatus?, limit: Int) async throws -> [WebhookDelivery] {
        _ = try await get(ws, id: endpoint)
        return try await db.read { try await store.deliveries(ws, endpoint: endpoint, status: status, limit: limit, in: $0) }
    }

    public func attempts(_ ws: WorkspaceID, delivery: Int64) async throws -> [WebhookAttempt] {
        try await db.read { try await store.attempts(ws, delivery: delivery, in: $0) }
    }

    func modify(_ ws: WorkspaceID, id: Int64, _ change: @Sendable (inout WebhookEndpoint, Date) -> Void) async throws -> WebhookEndpoint {
        try await db.transaction { tx in
            guard var e = try await store.endpoint(ws, id: id, in: tx) else { throw DomainError.notFound("webhook endpoint \(id) does not exist in this site") }
            let now = clock.now()
            change(&e, now)
            e.updatedAt = now
            try await store.updateEndpoint(e, in: tx)
            return e
        }
    }
}
