import Foundation

/// An outbound webhook endpoint of one workspace. Secrets are held sealed; the store never sees them open.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var url: String
    public var description: String
    /// Event names and patterns (`ticket.created`, `ticket.*`, `*`).
    public var events: [String]
    public var secretSealed: String
    /// The secret before the last rotation, still signed with until `previousSecretExpiresAt`.
    public var previousSecretSealed: String?
    public var previousSecretExpiresAt: Date?
    public var enabled: Bool
    public var disabledReason: String?
    public var disabledAt: Date?
    public var consecutiveFailures: Int
    /// The outbox sequence when the endpoint was created: it gets the events after it.
    public var afterSequence: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64, workspaceID: WorkspaceID, url: String, description: String, events: [String], secretSealed: String,
                previousSecretSealed: String?, previousSecretExpiresAt: Date?, enabled: Bool, disabledReason: String?, disabledAt: Date?,
                consecutiveFailures: Int, afterSequence: Int64 = 0, createdAt: Date, updatedAt: Date) {
        self.afterSequence = afterSequence
        self.id = id; self.workspaceID = workspaceID; self.url = url; self.description = description; self.events = events
        self.secretSealed = secretSealed; self.previousSecretSealed = previousSecretSealed; self.previousSecretExpiresAt = previousSecretExpiresAt
        self.enabled = enabled; self.disabledReason = disabledReason; self.disabledAt = disabledAt
        self.consecutiveFailures = consecutiveFailures; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

public enum WebhookDeliveryStatus: String, Sendable, CaseIterable {
    /// Waiting for its (next) attempt.
    case pending
    /// A 2xx answer arrived.
    case delivered
    /// Every attempt failed; kept for the log and for redelivery.
    case failed
}

/// One event owed to one endpoint. (endpoint, event sequence) is unique, so dispatching twice is harmless.
public struct WebhookDelivery: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var endpointID: Int64
    public var eventSequence: Int64
    public var eventID: String
    public var eventType: String
    public var status: WebhookDeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastStatusCode: Int?
    public var lastError: String?
    /// When the event was published (the "missed since T" replay compares against it).
    public var eventCreatedAt: Date
    public var createdAt: Date
    public var deliveredAt: Date?

    public init(id: Int64, workspaceID: WorkspaceID, endpointID: Int64, eventSequence: Int64, eventID: String, eventType: String,
                status: WebhookDeliveryStatus, attempts: Int, nextAttemptAt: Date, lastStatusCode: Int?, lastError: String?,
                eventCreatedAt: Date, createdAt: Date, deliveredAt: Date?) {
        self.eventCreatedAt = eventCreatedAt
        self.id = id; self.workspaceID = workspaceID; self.endpointID = endpointID; self.eventSequence = eventSequence; self.eventID = eventID
        self.eventType = eventType; self.status = status; self.attempts = attempts; self.nextAttemptAt = nextAttemptAt
        self.lastStatusCode = lastStatusCode; self.lastError = lastError; self.createdAt = createdAt; self.deliveredAt = deliveredAt
    }
}

/// One try at a delivery, as the log shows it: what was sent and what came back (a short excerpt).
public struct WebhookAttempt: Sendable, Equatable {
    public var id: Int64
    public var deliveryID: Int64
    public var endpointID: Int64
    public var attempt: Int
    public var at: Date
    /// `Name: value` lines as sent (signatures included; they are not secrets).
    public var requestHeaders: String
    public var requestBody: String
    public var statusCode: Int?
    public var responseExcerpt: String
    public var error: String?
    public var durationMillis: Int

    public init(id: Int64, deliveryID: Int64, endpointID: Int64, attempt: Int, at: Date, requestHeaders: String, requestBody: String,
                statusCode: Int?, responseExcerpt: String, error: String?, durationMillis: Int) {
        self.id = id; self.deliveryID = deliveryID; self.endpointID = endpointID; self.attempt = attempt; self.at = at
        self.requestHeaders = requestHeaders; self.requestBody = requestBody; self.statusCode = statusCode
        self.responseExcerpt = responseExcerpt; self.error = error; self.durationMillis = durationMillis
    }
}

/// Endpoints, deliveries and attempts. Every customer-data method takes the workspace first; the
/// dispatcher's and sender's installation-wide methods say so in their names.
public protocol WebhookStore: Sendable {
    func insertEndpoint(_ e: WebhookEndpoint, in tx: any SQLConnection) async throws -> WebhookEndpoint
    func endpoint(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> WebhookEndpoint?
    func endpoints(_ workspace: WorkspaceID, in conn: any SQLConnection) async throws -> [WebhookEndpoint]
    func updateEndpoint(_ e: WebhookEndpoint, in tx: any SQLConnection) async throws
    func deleteEndpoint(_ workspace: WorkspaceID, id: Int64, in tx: any SQLConnection) async throws -> Bool

    /// The dispatcher's cursor: the last outbox sequence turned into deliveries. Locks the row in `tx`.
    func lockCursor(in tx: any SQLConnection) async throws -> Int64
    func setCursor(_ sequence: Int64, in tx: any SQLConnection) async throws
    /// Endpoints of every workspace, disabled ones too: their deliveries wait for re-enabling.
    func endpointsAllWorkspaces(in conn: any SQLConnection) async throws -> [WebhookEndpoint]
    /// Inserts deliveries, skipping (endpoint, sequence) pairs that exist. Returns how many were new.
    func insertDeliveries(_ d: [WebhookDelivery], in tx: any SQLConnection) async throws -> Int

    /// Endpoints with a pending delivery due at `now`, not leased by another sender (installation-wide).
    func dueEndpointsAllWorkspaces(now: Date, limit: Int, in conn: any SQLConnection) async throws -> [(WorkspaceID, Int64)]
    /// Takes the endpoint's send lease until `until` when free or expired; false when another sender holds it.
    func leaseEndpoint(_ workspace: WorkspaceID, id: Int64, holder: String, now: Date, until: Date, in tx: any SQLConnection) async throws -> Bool
    func releaseEndpoint(_ workspace: WorkspaceID, id: Int64, holder: String, in tx: any SQLConnection) async throws
    /// The endpoint's oldest pending deliveries (lowest sequence first), due or not, at most `limit`.
    func pendingDeliveries(_ workspace: WorkspaceID, endpoint: Int64, limit: Int, in conn: any SQLConnection) async throws -> [WebhookDelivery]
    func updateDelivery(_ d: WebhookDelivery, in tx: any SQLConnection) async throws
    func delivery(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> WebhookDelivery?
    /// Newest first.
    func deliveries(_ workspace: WorkspaceID, endpoint: Int64, status: WebhookDeliveryStatus?, limit: Int, in conn: any SQLConnection) async throws -> [WebhookDelivery]
    /// Several attempts in one statement (the sender records a run of deliveries at once).
    func insertAttempts(_ workspace: WorkspaceID, _ a: [WebhookAttempt], in tx: any SQLConnection) async throws
    /// Newest first.
    func attempts(_ workspace: WorkspaceID, delivery: Int64, in conn: any SQLConnection) async throws -> [WebhookAttempt]
    /// Re-enabling: the endpoint's undelivered (pending or failed) deliveries of events created at or
    /// after `since` become pending with a fresh attempt budget, due at `now`; pending ones of older
    /// events are marked failed ("skipped"). Returns how many will be sent.
    func replay(_ workspace: WorkspaceID, endpoint: Int64, since: Date, now: Date, in tx: any SQLConnection) async throws -> Int
    /// Installation-wide housekeeping: deletes up to `limit` delivered or given-up deliveries created
    /// before `before`, with their attempts, oldest first. Pending deliveries are kept whatever their age.
    /// Returns how many deliveries were deleted (fewer than `limit`: nothing older is left).
    func pruneLog(before: Date, limit: Int, in tx: any SQLConnection) async throws -> Int
}
