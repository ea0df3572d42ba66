import Foundation
import Ports

/// The action registry, handed to automations after every context has registered its actions
/// (automations are registered into the same registry they run steps from).
public final class ActionRegistryRef: Sendable {
    private let value = Mutex_<ActionRegistry>(ActionRegistry())
    public init() {}
    public func set(_ r: ActionRegistry) { value.set(r) }
    public var registry: ActionRegistry { value.get() }
}

/// Automations ("API and webhook builder"): when a trigger fires and the condition holds, the steps
/// run in order in the worker, each a registered action invoked with the automation's authority
/// (inside its own site only, never a destructive action). Every run is logged with its input and
/// each step's rendered parameters, result or error, and duration.
public struct Automations: Sendable {
    public let db: any SQLDatabase
    public let store: any AutomationStore
    public let workspaces: any WorkspaceStore
    public let outbox: Outbox
    public let jobs: any JobStore
    public let settings: SettingsService
    public let tickets: TicketService
    public let secrets: any SecretBox
    public let digests: any Digests
    public let clock: any TimeSource
    public let random: any RandomSource
    public let registry: ActionRegistryRef
    public let baseURL: String

    public static let runJobKind = "automations.run"
    public static let scheduleJobKind = "automations.schedule"
    public static let eventsJobKind = "automations.events"
    /// The outbox cursor of the event trigger.
    public static let cursorName = "automations.events"
    public static let maxRunAttempts = 6

    public init(db: any SQLDatabase, store: any AutomationStore, workspaces: any WorkspaceStore, outbox: Outbox, jobs: any JobStore, settings: SettingsService,
                tickets: TicketService, secrets: any SecretBox, digests: any Digests, clock: any TimeSource, random: any RandomSource,
                registry: ActionRegistryRef, baseURL: String) {
        self.db = db; self.store = store; self.workspaces = workspaces; self.outbox = outbox; self.jobs = jobs; self.settings = settings; self.tickets = tickets
        self.secrets = secrets; self.digests = digests; self.clock = clock; self.random = random; self.registry = registry; self.baseURL = baseURL
    }

    /// What the admin form or `automations.save` sends.
    public struct Draft: Sendable {
        public var id: Int64?
        public var name: String
        public var trigger: JSONValue
        public var condition: String
        public var steps: JSONValue
        public var enabled: Bool
        /// nil keeps the stored secret; empty removes it; otherwise the new secret.
        public var webhookSecret: String?
        public init(id: Int64? = nil, name: String, trigger: JSONValue, condition: String = "", steps: JSONValue, enabled: Bool = true, webhookSecret: String? = nil) {
            self.id = id; self.name = name; self.trigger = trigger; self.condition = condition; self.steps = steps; self.enabled = enabled; self.webhookSecret = webhookSecret
        }
    }

    public func list(_ ws: WorkspaceID) async throws -> [Automation] {
        try await db.read { try await store.list(ws, in: $0) }.compactMap { try? Automation($0) }
    }

    public func get(_ ws: WorkspaceID, id: Int64) async throws -> Automation {
        guard let r = try await db.read({ try await store.find(ws, id: id, in: $0) }) else { throw DomainError.notFound("no automation \(id) in this site") }
        return try Automation(r)
    }

    /// Validates and stores an automation: the condition is parsed (errors give the position), every
    /// step's action and parameters are checked, and unknown template variables are refused.
    public func save(_ ws: WorkspaceID, _ d: Draft, by: UserID?) async throws -> Automation {
        let name = d.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 190 else { throw DomainError.validation(field: "name", message: "give the automation a name of 1 to 190 characters") }
        let trigger = try AutomationTrigger.parse(d.trigger)
        let steps = try Automation.parseSteps(d.steps)
        _ = try Automation.validate(steps: steps, trigger: trigger, condition: d.condition, registry: registry.registry)
        if let s = d.webhookSecret, !s.isEmpty {
            guard s.count >= 16, s.count <= 256 else { throw DomainError.validation(field: "webhook_secret", message: "must be 16 to 256 characters") }
        }
        let now = clock.now()
        let id: Int64 = try await db.transaction { tx in
            var rec: AutomationRecord
            if let id = d.id {
                guard let existing = try await store.find(ws, id: id, in: tx) else { throw DomainError.notFound("no automation \(id) in this site") }
                rec = existing
            } else {
                rec = AutomationRecord(id: 0, workspaceID: ws, name: name, triggerKind: trigger.kind, trigger: "{}", hookToken: "ah_" + random.base62(length: 40),
                                       hookSecretSealed: nil, condition: "", steps: "[]", enabled: d.enabled, createdBy: by, createdAt: now, updatedAt: now)
            }
            rec.name = name
            rec.triggerKind = trigger.kind
            rec.trigger = trigger.json.encoded()
            rec.condition = d.condition.trimmingCharacters(in: .whitespacesAndNewlines)
            rec.steps = JSONValue.array(steps.map(\.json)).encoded()
            rec.enabled = d.enabled
            rec.updatedAt = now
            if let s = d.webhookSecret { rec.hookSecretSealed = s.isEmpty ? nil : try secrets.seal(s) }
            if d.id == nil { return try await store.insert(ws, rec, in: tx) }
            _ = try await store.update(ws, rec, in: tx)
            return rec.id
        }
        return try await get(ws, id: id)
    }

    public func delete(_ ws: WorkspaceID, id: Int64) async throws {
        let done = try await db.transaction { try await store.delete(ws, id: id, in: $0) }
        if !done { throw DomainError.notFound("no automation \(id) in this site") }
    }

    public func runs(_ ws: WorkspaceID, id: Int64, limit: Int = 50) async throws -> [AutomationRunRecord] {
        try await db.read { try await store.runs(ws, automationID: id, limit: limit, in: $0) }
    }

    public func run(_ ws: WorkspaceID, id: Int64) async throws -> AutomationRunRecord {
        guard let r = try await db.read({ try await store.findRun(ws, id: id, in: $0) }) else { throw DomainError.notFound("no automation run \(id) in this site") }
        return r
    }

    // MARK: starting runs

    /// The variables every run has besides its trigger's: `automation`, `trigger`, `site`.
    func baseVars(_ a: Automation, site: Workspace?, kind: AutomationTriggerKind, at: Date) -> [String: JSONValue] {
        ["automation": .object(["id": .int(a.id), "name": .string(a.name)]),
         "trigger": .object(["kind": .string(kind.rawValue), "at": .string(ISO8601DateFormatter().string(from: at))]),
         "site": .object(["name": .string(site?.name ?? ""), "site_key": .string(site?.siteKey ?? "")])]
    }

    /// Writes a run (queued with its job, or skipped when the condition did not hold) in `tx`.
    /// Returns nil when a run with the same dedupe key exists: the trigger fired for this before.
    @discardableResult
    func startRun(_ a: Automation, kind: AutomationTriggerKind, vars: [String: JSONValue], dedupeKey: String?, skipped: Bool = false,
                  in tx: any SQLConnection) async throws -> AutomationRunRecord? {
        let now = clock.now()
        var run = AutomationRunRecord(id: 0, workspaceID: a.workspaceID, automationID: a.id, triggerKind: kind, dedupeKey: dedupeKey,
                                      status: skipped ? .skipped : .queued, input: JSONValue.object(vars).encoded(), stepsLog: "[]",
                                      error: skipped ? "the condition did not hold" : nil, dryRun: false, createdAt: now,
                                      startedAt: nil, finishedAt: skipped ? now : nil, durationMs: skipped ? 0 : nil)
        guard let id = try await store.insertRun(a.workspaceID, run, in: tx) else { return nil }
        run.id = id
        if !skipped {
            _ = try await jobs.enqueue(NewJob(kind: Self.runJobKind, payload: "{\"workspace_id\":\(a.workspaceID.raw),\"run_id\":\(id)}", queue: "default",
                                              workspaceID: a.workspaceID, uniqueKey: "automations.run.\(id)", maxAttempts: Self.maxRunAttempts), now: now, in: tx)
        }
        return run
    }

    func site(_ ws: WorkspaceID) async throws -> Workspace? {
        try await db.read { try await workspaces.find(ws, in: $0) }
    }

    /// The manual trigger (the Run button, `automations.run`): a schedule runs as if its tick were now
    /// (for-each automations visit their records); others run with `input` as the payload. A run whose
    /// condition does not hold is logged as skipped.
    public func runNow(_ ws: WorkspaceID, id: Int64, input: JSONValue) async throws -> [AutomationRunRecord] {
        let a = try await get(ws, id: id)
        if a.trigger.kind == .schedule { return try await fireSchedule(a, tick: CronExpression.floorToMinute(clock.now()), manual: true) }
        let site = try await site(ws)
        var vars = baseVars(a, site: site, kind: .manual, at: clock.now())
        vars["payload"] = input
        if a.trigger.kind == .event {
            for p in a.trigger.events { if let f = p.split(separator: ".").first, f != "*" { vars[String(f)] = input } }
            vars["event"] = .object(["type": .string(a.trigger.events.first ?? ""), "manual": .bool(true)])
        }
        let holds = a.condition?.evaluate(.object(vars)) ?? true
        let frozen = vars
        let run = try await db.transaction { try await startRun(a, kind: .manual, vars: frozen, dedupeKey: nil, skipped: !holds, in: $0) }
        return run.map { [$0] } ?? []
    }

    /// An inbound webhook: finds the automation by its URL token, verifies the sender's HMAC when a
    /// secret is set (constant-time), and starts a run with the body as `payload`. A sender's retry that
    /// carries the same `Idempotency-Key` (or Standard Webhooks `webhook-id`) starts nothing: nil.
    public func receiveHook(token: String, headers: [String: String], query: [String: String], body: [UInt8], contentType: String) async throws -> AutomationRunRecord? {
        guard token.count <= 100, let rec = try await db.read({ try await store.findByHookToken(token, in: $0) }), rec.triggerKind == .webhook else {
            throw DomainError.notFound("no automation listens at this address")
        }
        let a = try Automation(rec)
        guard rec.enabled else { throw DomainError.conflict("this automation is disabled") }
        if let sealed = rec.hookSecretSealed {
            let secret = try secrets.open(sealed)
            guard var sent = headers[a.trigger.signatureHeader.lowercased()]?.trimmingCharacters(in: .whitespaces), !sent.isEmpty else {
                throw DomainError.unauthenticated("missing signature: send \(a.trigger.signatureHeader): hex HMAC-SHA256 of the raw body with the automation's secret")
            }
            if sent.lowercased().hasPrefix("sha256=") { sent = String(sent.dropFirst(7)) }
            let expected = digests.hmacSHA256(key: Array(secret.utf8), message: body).hexString
            guard constantTimeEquals(expected, sent.lowercased()) else { throw DomainError.unauthenticated("the signature does not match the body") }
        }
        let site = try await site(rec.workspaceID)
        var vars = baseVars(a, site: site, kind: .webhook, at: clock.now())
        vars["payload"] = Self.payload(body: body, contentType: contentType)
        vars["headers"] = .object(headers.filter { $0.key != a.trigger.signatureHeader.lowercased() && $0.key != "authorization" && $0.key != "cookie" }.mapValues { .string($0) })
        vars["query"] = .object(query.mapValues { .string($0) })
        let holds = a.condition?.evaluate(.object(vars)) ?? true
        let frozen = vars
        let key = (headers["idempotency-key"] ?? headers["webhook-id"]).map { "hook:" + String($0.prefix(150)) }
        return try await db.transaction { try await startRun(a, kind: .webhook, vars: frozen, dedupeKey: key, skipped: !holds, in: $0) }
    }

    /// A JSON object body as it is; a form body as an object of texts; anything else as `{"body": text}`.
    static func payload(body: [UInt8], contentType: String) -> JSONValue {
        let text = String(decoding: body, as: UTF8.self)
        if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            var o: [String: JSONValue] = [:]
            for pair in text.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
                if let k = kv.first, !k.isEmpty { o[k] = .string(kv.count > 1 ? kv[1] : "") }
            }
            return .object(o)
        }
        if let v = try? JSONValue.parse(text), case .object = v { return v }
        return .object(["body": .string(text)])
    }
}
