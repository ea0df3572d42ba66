import Foundation
import Ports

/// One step of an automation: a registered action and its parameters (templates allowed in texts).
public struct AutomationStep: Sendable, Equatable {
    public var action: String
    public var params: [String: JSONValue]
    public init(action: String, params: [String: JSONValue]) { self.action = action; self.params = params }
    public var json: JSONValue { .object(["action": .string(action), "params": .object(params)]) }
}

/// How a trigger is set up; which fields matter depends on the kind.
public struct AutomationTrigger: Sendable, Equatable {
    public var kind: AutomationTriggerKind
    /// Schedule: a cron expression evaluated in the site's time zone.
    public var cron: String?
    /// Event: types or families (`order.completed`, `ticket.*`).
    public var events: [String]
    /// Schedule: run once per matching record instead of once per tick (`tickets`: every active ticket).
    public var forEach: String?
    /// Webhook: the header carrying the sender's hex HMAC-SHA256 of the raw body (`sha256=` prefix allowed).
    public var signatureHeader: String

    public static let defaultSignatureHeader = "X-Signature"
    public static let forEachKinds = ["tickets"]

    public init(kind: AutomationTriggerKind, cron: String? = nil, events: [String] = [], forEach: String? = nil,
                signatureHeader: String = AutomationTrigger.defaultSignatureHeader) {
        self.kind = kind; self.cron = cron; self.events = events; self.forEach = forEach; self.signatureHeader = signatureHeader
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        if let cron { o["cron"] = .string(cron) }
        if !events.isEmpty { o["events"] = .array(events.map { .string($0) }) }
        if let forEach { o["for_each"] = .string(forEach) }
        if kind == .webhook { o["signature_header"] = .string(signatureHeader) }
        return .object(o)
    }

    /// Reads and checks a trigger object, naming the wrong field (`trigger.cron`, …).
    public static func parse(_ v: JSONValue) throws -> AutomationTrigger {
        guard case .object(let o) = v else { throw DomainError.validation(field: "trigger", message: "must be an object with a kind") }
        guard let k = o["kind"]?.stringValue, let kind = AutomationTriggerKind(rawValue: k) else {
            throw DomainError.validation(field: "trigger.kind", message: "must be one of " + AutomationTriggerKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var t = AutomationTrigger(kind: kind)
        switch kind {
        case .schedule:
            guard let c = o["cron"]?.stringValue?.trimmingCharacters(in: .whitespaces), !c.isEmpty else {
                throw DomainError.validation(field: "trigger.cron", message: "is required for a schedule (e.g. 0 9 * * 1 for Mondays at 09:00)")
            }
            do { _ = try CronExpression(c) } catch {
                throw DomainError.validation(field: "trigger.cron", message: "\(error)")
            }
            t.cron = c
            if let f = o["for_each"]?.stringValue, !f.isEmpty {
                guard forEachKinds.contains(f) else { throw DomainError.validation(field: "trigger.for_each", message: "must be one of \(forEachKinds.joined(separator: ", ")) or empty") }
                t.forEach = f
            }
        case .event:
            var list: [String] = []
            switch o["events"] {
            case .array(let a)?: list = a.compactMap(\.stringValue)
            case .string(let s)?: list = s.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            default: break
            }
            list = list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw DomainError.validation(field: "trigger.events", message: "name at least one event type (e.g. order.completed or ticket.*)") }
            for (i, p) in list.enumerated() { try EventCatalog.validatePattern(p, field: "trigger.events[\(i)]") }
            t.events = list
        case .webhook:
            if let h = o["signature_header"]?.stringValue?.trimmingCharacters(in: .whitespaces), !h.isEmpty {
                guard h.count <= 64, h.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                    throw DomainError.validation(field: "trigger.signature_header", message: "must be a header name (letters, digits and -)")
                }
                t.signatureHeader = h
            }
        case .manual: break
        }
        return t
    }

    /// The variable roots a condition or template may use with this trigger.
    public var roots: Set<String> {
        var r: Set<String> = ["automation", "trigger", "site"]
        switch kind {
        case .webhook: r.formUnion(["payload", "headers", "query"])
        case .manual: r.insert("payload")
        case .schedule:
            r.insert("schedule")
            if forEach == "tickets" { r.insert("ticket") }
        case .event:
            r.formUnion(["event", "payload"])
            // `order.amount` for order.completed: the event's family names its payload too.
            for p in events where p != "*" { if let f = p.split(separator: ".").first { r.insert(String(f)) } }
            if events.contains("*") { r.formUnion(Set(EventCatalog.all.compactMap { $0.name.split(separator: ".").first.map(String.init) })) }
        }
        return r
    }
}

/// An automation as the domain sees it (decoded from the stored record).
public struct Automation: Sendable, Equatable {
    public var record: AutomationRecord
    public var trigger: AutomationTrigger
    public var condition: Condition?
    public var steps: [AutomationStep]

    public init(_ r: AutomationRecord) throws {
        record = r
        trigger = try AutomationTrigger.parse(try JSONValue.parse(r.trigger))
        do { condition = try Condition.parse(r.condition) } catch {
            // Saved conditions were checked; one that no longer parses must not turn into "always".
            throw DomainError.validation(field: "condition", message: error.description)
        }
        steps = try Self.parseSteps(try JSONValue.parse(r.steps))
    }

    public var id: Int64 { record.id }
    public var workspaceID: WorkspaceID { record.workspaceID }
    public var name: String { record.name }

    static func parseSteps(_ v: JSONValue) throws -> [AutomationStep] {
        guard case .array(let a) = v else { throw DomainError.validation(field: "steps", message: "must be a list of steps") }
        return try a.enumerated().map { i, s in
            guard case .object(let o) = s, let action = o["action"]?.stringValue, !action.isEmpty else {
                throw DomainError.validation(field: "steps[\(i + 1)].action", message: "name the action this step runs (e.g. tickets.create)")
            }
            var params: [String: JSONValue] = [:]
            switch o["params"] {
            case .object(let p)?: params = p
            case nil, .null?: break
            default: throw DomainError.validation(field: "steps[\(i + 1)].params", message: "must be an object of the action's parameters")
            }
            return AutomationStep(action: action, params: params)
        }
    }

    /// The scopes an automation's steps may use: the site's data and reads of its settings, never
    /// changes to settings, sites, keys, mailboxes or the team (an automation cannot widen its own reach).
    public static let stepScopes: Set<String> = ["tickets.read", "tickets.write", "analytics.read", "events.read", "events.write", "crm.read", "crm.write", "settings.read"]

    /// Whether a registered action may be a step: it acts inside one site, may be used by non-people,
    /// is not destructive (a merge or delete is never automatic), stays within `stepScopes`, and is not
    /// itself an automations action (no automation starts or edits another), except the two step actions.
    public static func allowedAsStep(_ d: ActionDefinition) -> Bool {
        if d.name == AutomationSteps.sendWebhook || d.name == AutomationSteps.sendEmail { return true }
        return d.workspaceScoped && d.apiKeyAllowed && d.risk != .destructive && stepScopes.contains(d.scope) && !d.name.hasPrefix("automations.")
    }

    public static let maxSteps = 20

    /// Checks the steps against the registry and the variables available, naming the first wrong field.
    public static func validate(steps: [AutomationStep], trigger: AutomationTrigger, condition: String, registry: ActionRegistry) throws -> Condition? {
        let parsed: Condition?
        do { parsed = try Condition.parse(condition) } catch {
            throw DomainError.validation(field: "condition", message: error.description)
        }
        let roots = trigger.roots
        for p in parsed?.paths ?? [] where !roots.contains(p[0]) {
            throw DomainError.validation(field: "condition", message: "unknown variable \(p.joined(separator: ".")); with this trigger use \(roots.sorted().joined(separator: ", "))")
        }
        guard !steps.isEmpty else { throw DomainError.validation(field: "steps", message: "add at least one step") }
        guard steps.count <= maxSteps else { throw DomainError.validation(field: "steps", message: "at most \(maxSteps) steps") }
        for (i, s) in steps.enumerated() {
            let n = i + 1
            guard let d = registry.definitions[s.action] else {
                throw DomainError.validation(field: "steps[\(n)].action", message: "unknown action '\(s.action)' (the list is at /api/docs/)")
            }
            guard allowedAsStep(d) else {
                throw DomainError.validation(field: "steps[\(n)].action", message: "\(s.action) cannot run in an automation (only non-destructive actions on this site's tickets, analytics, events and CRM, and the email and webhook steps)")
            }
            let known = Set(d.params.map(\.name))
            for k in s.params.keys.sorted() where !known.contains(k) {
                throw DomainError.validation(field: "steps[\(n)].params.\(k)", message: "is not a parameter of \(s.action) (expected: \(d.params.map(\.name).joined(separator: ", ")))")
            }
            for p in d.params where p.required && s.params[p.name] == nil {
                throw DomainError.validation(field: "steps[\(n)].params.\(p.name)", message: "is required by \(s.action)")
            }
            for path in AutomationTemplate.paths(in: .object(s.params)) {
                let parts = AutomationTemplate.path(path)
                if parts[0] == "steps" {
                    guard parts.count >= 2, let k = Int(parts[1]), k >= 1, k < n else {
                        throw DomainError.validation(field: "steps[\(n)].params", message: n == 1
                            ? "unknown variable {{\(path)}}: the first step has no earlier step results to use"
                            : "unknown variable {{\(path)}}: a step can use the results of earlier steps only (steps.1 … steps.\(n - 1))")
                    }
                } else if !roots.contains(parts[0]) {
                    throw DomainError.validation(field: "steps[\(n)].params", message: "unknown variable {{\(path)}}; with this trigger use \(roots.sorted().joined(separator: ", ")), steps")
                }
            }
        }
        return parsed
    }

    public func json(baseURL: String) -> JSONValue {
        .object(["id": .int(id), "name": .string(name), "enabled": .bool(record.enabled), "trigger": trigger.json, "condition": .string(record.condition),
                 "steps": .array(steps.map(\.json)), "hook_url": trigger.kind == .webhook ? .string("\(baseURL)/hooks/\(record.hookToken)") : .null,
                 "signed": .bool(record.hookSecretSealed != nil),
                 "created_at": .string(ISO8601DateFormatter().string(from: record.createdAt)),
                 "updated_at": .string(ISO8601DateFormatter().string(from: record.updatedAt))])
    }
}

extension AutomationRunRecord {
    public var json: JSONValue {
        func d(_ x: Date?) -> JSONValue { x.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null }
        return .object(["id": .int(id), "automation_id": .int(automationID), "trigger": .string(triggerKind.rawValue), "status": .string(status.rawValue),
                        "dry_run": .bool(dryRun), "input": (try? JSONValue.parse(input)) ?? .null, "steps": (try? JSONValue.parse(stepsLog)) ?? .array([]),
                        "error": error.map { .string($0) } ?? .null, "created_at": d(createdAt), "started_at": d(startedAt), "finished_at": d(finishedAt),
                        "duration_ms": durationMs.map { .int($0) } ?? .null])
    }
}
