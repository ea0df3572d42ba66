import Foundation

/// What starts an automation.
public enum AutomationTriggerKind: String, Sendable, Codable, CaseIterable {
    /// An external system POSTs to the automation's own `/hooks/<token>` URL.
    case webhook
    /// A cron expression in the site's time zone.
    case schedule
    /// Matching events from the outbox (read after commit by the worker, never in the publishing request).
    case event
    /// Only the Run button (or `automations.run`).
    case manual
}

/// An automation as stored. `trigger`, `steps` are JSON text; the domain validates them on save.
public struct AutomationRecord: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var name: String
    public var triggerKind: AutomationTriggerKind
    /// JSON object: `cron`, `events`, `for_each`, `signature_header` depending on the kind.
    public var trigger: String
    /// The unguessable path segment of the inbound URL (every automation has one; only webhook triggers use it).
    public var hookToken: String
    /// The sender's HMAC secret, sealed with the master key; nil when the sender is not verified.
    public var hookSecretSealed: String?
    /// The condition in the expression language (empty: always).
    public var condition: String
    /// JSON array of steps: `{"action": name, "params": {...}}`.
    public var steps: String
    public var enabled: Bool
    public var createdBy: UserID?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64, workspaceID: WorkspaceID, name: String, triggerKind: AutomationTriggerKind, trigger: String, hookToken: String,
                hookSecretSealed: String?, condition: String, steps: String, enabled: Bool, createdBy: UserID?, createdAt: Date, updatedAt: Date) {
        self.id = id; self.workspaceID = workspaceID; self.name = name; self.triggerKind = triggerKind; self.trigger = trigger; self.hookToken = hookToken
        self.hookSecretSealed = hookSecretSealed; self.condition = condition; self.steps = steps; self.enabled = enabled; self.createdBy = createdBy
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

public enum AutomationRunStatus: String, Sendable, Codable, CaseIterable {
    /// Written with its job; the worker has not started it.
    case queued
    case running
    case succeeded
    /// A step failed for good (its error is in the step log).
    case failed
    /// The condition did not hold (webhook and manual runs are logged even then).
    case skipped
}

/// One run of an automation: what triggered it, and each step's input, result and error.
public struct AutomationRunRecord: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var automationID: Int64
    public var triggerKind: AutomationTriggerKind
    /// Makes a trigger idempotent: one run per (automation, key), e.g. `evt:<event_id>` or `tick:<minute>`.
    public var dedupeKey: String?
    public var status: AutomationRunStatus
    /// JSON object: the variables the condition and templates see (`payload`, `event`, `ticket`, …).
    public var input: String
    /// JSON array: one object per step attempted.
    public var stepsLog: String
    public var error: String?
    public var dryRun: Bool
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var durationMs: Int64?

    public init(id: Int64, workspaceID: WorkspaceID, automationID: Int64, triggerKind: AutomationTriggerKind, dedupeKey: String?, status: AutomationRunStatus,
                input: String, stepsLog: String, error: String?, dryRun: Bool, createdAt: Date, startedAt: Date?, finishedAt: Date?, durationMs: Int64?) {
        self.id = id; self.workspaceID = workspaceID; self.automationID = automationID; self.triggerKind = triggerKind; self.dedupeKey = dedupeKey
        self.status = status; self.input = input; self.stepsLog = stepsLog; self.error = error; self.dryRun = dryRun; self.createdAt = createdAt
        self.startedAt = startedAt; self.finishedAt = finishedAt; self.durationMs = durationMs
    }
}

/// Automations and their run log. Every method takes the workspace first, except the installation's
/// own dispatch reads (`enabled(kind:)`, cursors, `findByHookToken`) that span workspaces by design.
public protocol AutomationStore: Sendable {
    func insert(_ workspace: WorkspaceID, _ a: AutomationRecord, in tx: any SQLConnection) async throws -> Int64
    func update(_ workspace: WorkspaceID, _ a: AutomationRecord, in tx: any SQLConnection) async throws -> Bool
    func delete(_ workspace: WorkspaceID, id: Int64, in tx: any SQLConnection) async throws -> Bool
    func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> AutomationRecord?
    func list(_ workspace: WorkspaceID, in conn: any SQLConnection) async throws -> [AutomationRecord]
    /// The automation behind an inbound URL (any workspace: the token is the address).
    func findByHookToken(_ token: String, in conn: any SQLConnection) async throws -> AutomationRecord?
    /// Enabled automations with this trigger kind, every workspace (the worker's dispatch).
    func enabled(kind: AutomationTriggerKind, in conn: any SQLConnection) async throws -> [AutomationRecord]

    /// Inserts a run; nil when a run with the same (automation, dedupe key) exists already.
    func insertRun(_ workspace: WorkspaceID, _ r: AutomationRunRecord, in tx: any SQLConnection) async throws -> Int64?
    func findRun(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> AutomationRunRecord?
    func updateRun(_ workspace: WorkspaceID, _ r: AutomationRunRecord, in tx: any SQLConnection) async throws
    /// Newest first.
    func runs(_ workspace: WorkspaceID, automationID: Int64, limit: Int, in conn: any SQLConnection) async throws -> [AutomationRunRecord]

    /// A durable consumer position in the outbox (0 when never stored).
    func cursor(_ name: String, in conn: any SQLConnection) async throws -> Int64
    func setCursor(_ name: String, to sequence: Int64, in tx: any SQLConnection) async throws
    /// Installation-wide housekeeping: deletes up to `limit` finished runs created before `before`, oldest
    /// first. Runs whose dedupe key stands for "done once for this ticket and reply" (`ticket:…`) are kept
    /// with their input and step log emptied, so pruning never makes a for-each schedule act twice.
    /// Returns how many runs were deleted or emptied.
    func pruneRuns(before: Date, limit: Int, in tx: any SQLConnection) async throws -> Int
}

/// A platform's signing secret for its inbound webhooks (`/connectors.php?slug=stripe`), sealed at rest.
public struct PlatformWebhookSecret: Sendable, Equatable {
    public var workspaceID: WorkspaceID
    public var slug: String
    public var secretSealed: String
    public var updatedAt: Date
    public init(workspaceID: WorkspaceID, slug: String, secretSealed: String, updatedAt: Date) {
        self.workspaceID = workspaceID; self.slug = slug; self.secretSealed = secretSealed; self.updatedAt = updatedAt
    }
}

/// Inbound platform webhooks: secrets per (workspace, platform) and the platform event ids already taken in.
public protocol PlatformWebhookStore: Sendable {
    func setSecret(_ workspace: WorkspaceID, slug: String, sealed: String?, now: Date, in tx: any SQLConnection) async throws
    func secret(_ workspace: WorkspaceID, slug: String, in conn: any SQLConnection) async throws -> PlatformWebhookSecret?
    /// Every workspace's secret for `slug` (a delivery without `site_key` is matched by its signature).
    func secrets(slug: String, in conn: any SQLConnection) async throws -> [PlatformWebhookSecret]
    /// Records a platform event id; false when it was recorded before (a redelivery).
    func markReceived(_ workspace: WorkspaceID, slug: String, externalID: String, type: String, now: Date, in tx: any SQLConnection) async throws -> Bool
}
