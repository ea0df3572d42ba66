import Foundation
import Ports

/// Why an inbound platform webhook was refused; the reason is sent back with a 400 so the
/// platform's delivery log shows it.
public struct InboundWebhookRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// One platform event, mapped to the OpsIQ events it causes (none for types OpsIQ does not use).
public struct InboundPlatformEvent: Sendable, Equatable {
    public var externalID: String
    public var type: String
    public var events: [PlatformEventOut]
    public init(externalID: String, type: String, events: [PlatformEventOut]) { self.externalID = externalID; self.type = type; self.events = events }
}

public struct PlatformEventOut: Sendable, Equatable {
    public var type: String
    public var payload: [String: JSONValue]
    /// Published once per key: two platform events about one purchase (Stripe's checkout session and
    /// its payment intent) give one `order.completed`.
    public var onceKey: String?
    public init(type: String, payload: [String: JSONValue], onceKey: String? = nil) { self.type = type; self.payload = payload; self.onceKey = onceKey }
}

/// The seam each platform fills in: how its deliveries are signed and what its events mean.
/// Stripe is the first; the connectors work adds more platforms by adding conformances.
public protocol InboundPlatform: Sendable {
    var slug: String { get }
    var name: String { get }
    /// A hint shown beside the secret field (where the platform shows its signing secret).
    var secretHint: String { get }
    /// Checks the secret's shape when an admin saves it.
    func validateSecret(_ secret: String) throws
    /// Verifies the delivery's signature with `secret` (constant-time); throws the reason otherwise.
    func verify(headers: [String: String], body: [UInt8], secret: String, now: Date, digests: any Digests) throws(InboundWebhookRejection)
    func parse(body: [UInt8]) throws(InboundWebhookRejection) -> InboundPlatformEvent
}

/// `POST /connectors.php?slug=NAME[&site_key=KEY]`: verifies, deduplicates by the platform's event
/// id and publishes the mapped events to the outbox in one transaction. The site is the one named by
/// `site_key`, or, without it, the one site whose signing secret verifies the delivery.
public struct PlatformWebhooks: Sendable {
    public let db: any SQLDatabase
    public let store: any PlatformWebhookStore
    public let workspaces: any WorkspaceStore
    public let outbox: Outbox
    public let secrets: any SecretBox
    public let digests: any Digests
    public let clock: any TimeSource
    public let platforms: [String: any InboundPlatform]

    public init(db: any SQLDatabase, store: any PlatformWebhookStore, workspaces: any WorkspaceStore, outbox: Outbox, secrets: any SecretBox, digests: any Digests,
                clock: any TimeSource, platforms: [any InboundPlatform] = [StripeWebhook()]) {
        self.db = db; self.store = store; self.workspaces = workspaces; self.outbox = outbox; self.secrets = secrets; self.digests = digests; self.clock = clock
        self.platforms = Dictionary(uniqueKeysWithValues: platforms.map { ($0.slug, $0) })
    }

    public struct Receipt: Sendable, Equatable {
        public var workspace: WorkspaceID
        public var type: String
        /// A redelivery of an event already taken in: nothing was done.
        public var duplicate: Bool
        /// OpsIQ events published (empty for types OpsIQ ignores).
        public var published: [String]
    }

    public func platform(_ slug: String) throws -> any InboundPlatform {
        guard let p = platforms[slug] else {
            throw DomainError.notFound("no platform '\(slug)' receives webhooks here (known: \(platforms.keys.sorted().joined(separator: ", ")))")
        }
        return p
    }

    public func setSecret(_ ws: WorkspaceID, slug: String, secret: String) async throws {
        let p = try platform(slug)
        let s = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        if !s.isEmpty { try p.validateSecret(s) }
        let sealed = s.isEmpty ? nil : try secrets.seal(s)
        try await db.transaction { try await store.setSecret(ws, slug: slug, sealed: sealed, now: clock.now(), in: $0) }
    }

    public func secretInfo(_ ws: WorkspaceID, slug: String) async throws -> PlatformWebhookSecret? {
        try await db.read { try await store.secret(ws, slug: slug, in: $0) }
    }

    public func receive(slug: String, siteKey: String?, headers: [String: String], body: [UInt8]) async throws -> Receipt {
        let p = try platform(slug)
        let now = clock.now()
        var candidates: [PlatformWebhookSecret]
        if let siteKey, !siteKey.isEmpty {
            guard let ws = try await db.read({ try await workspaces.find(siteKey: siteKey, in: $0) }) else { throw InboundWebhookRejection("site_key: no such site") }
            candidates = try await db.read { try await store.secret(ws.id, slug: slug, in: $0) }.map { [$0] } ?? []
            if candidates.isEmpty { throw InboundWebhookRejection("no \(p.name) signing secret is set for this site (Developer > Triggers)") }
        } else {
            candidates = try await db.read { try await store.secrets(slug: slug, in: $0) }
            if candidates.isEmpty { throw InboundWebhookRejection("no site has a \(p.name) signing secret set (Developer > Triggers)") }
        }
        var matched: WorkspaceID? = nil
        var firstError: InboundWebhookRejection? = nil
        for c in candidates {
            guard let secret = try? secrets.open(c.secretSealed) else { continue }
            do throws(InboundWebhookRejection) {
                try p.verify(headers: headers, body: body, secret: secret, now: now, digests: digests)
                matched = c.workspaceID
                break
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        guard let ws = matched else { throw firstError ?? InboundWebhookRejection("the signature does not match") }
        let event = try p.parse(body: body)
        return try await db.transaction { tx in
            guard try await store.markReceived(ws, slug: slug, externalID: event.externalID, type: event.type, now: now, in: tx) else {
                return Receipt(workspace: ws, type: event.type, duplicate: true, published: [])
            }
            var published: [String] = []
            for e in event.events {
                if let key = e.onceKey, !(try await store.markReceived(ws, slug: slug, externalID: key, type: e.type, now: now, in: tx)) { continue }
                try await outbox.publish(e.type, workspace: ws, payload: e.payload, in: tx)
                published.append(e.type)
            }
            return Receipt(workspace: ws, type: event.type, duplicate: false, published: published)
        }
    }

    public static func register(into r: inout ActionRegistry, webhooks: PlatformWebhooks) {
        r.register(ActionDefinition(name: "connectors.webhook_secret.set", summary: "Set (or clear, with an empty secret) a platform's webhook signing secret for this site, e.g. Stripe's whsec_…",
                                    scope: "settings.write", roles: [.owner, .fullAdmin], risk: .write, workspaceScoped: true, apiKeyAllowed: false,
                                    params: [ActionParam("slug", .string(maxLength: 64, enumValues: webhooks.platforms.keys.sorted()), required: true, "The platform."),
                                             ActionParam("secret", .string(maxLength: 256), required: true, "The signing secret; empty removes it.")]) { inv in
            try await webhooks.setSecret(inv.workspace!.id, slug: inv.string("slug")!, secret: inv.string("secret") ?? "")
            return .object(["slug": .string(inv.string("slug")!), "set": .bool(!(inv.string("secret") ?? "").trimmingCharacters(in: .whitespaces).isEmpty)])
        })
    }
}
