import Foundation
import Ports

/// Running a run's steps (the `automations.run` job) and the admin's dry run.
extension Automations {
    /// The authority steps run with: the system, but only inside the automation's own site (the
    /// registry resolves the site key we pass, and `Automation.allowedAsStep` keeps out anything
    /// destructive or installation-wide). The label names the automation in audit logs and notes.
    func actor(_ a: Automation) -> Actor { .system("Automation #\(a.id) \(a.name)") }

    func invokeStep(_ a: Automation, site: Workspace, action: String, params: [String: JSONValue]) async throws -> JSONValue {
        let reg = registry.registry
        guard let d = reg.definitions[action], Automation.allowedAsStep(d) else {
            throw DomainError.validation(field: "action", message: "\(action) cannot run in an automation")
        }
        let db = self.db, workspaces = self.workspaces, wsID = site.id
        return try await reg.invoke(action, actor: actor(a), siteKey: site.siteKey, params: params, ip: "automation") { sk in
            // Only the automation's own site resolves.
            guard let w = try await db.read({ try await workspaces.find(siteKey: sk, in: $0) }), w.id == wsID else { return nil }
            return w
        }
    }

    /// The variables a step sees: the run's input plus `steps` (1-based: `steps.1.result`).
    static func vars(_ input: JSONValue, log: [JSONValue]) -> JSONValue {
        guard case .object(var o) = input else { return input }
        o["steps"] = .array(log.map { e in .object(["result": e["result"] ?? .null, "status": e["status"] ?? .null]) })
        return .object(o)
    }

    /// Runs (or resumes) one run. Steps that already succeeded on an earlier attempt keep their
    /// results and are not repeated. A step refused for good (bad parameters, not found) fails the run;
    /// a temporary failure is logged and rethrown so the job retries with backoff, until the last attempt.
    public func execute(_ ws: WorkspaceID, runID: Int64, attempt: Int, maxAttempts: Int) async throws {
        guard var run = try await db.read({ try await store.findRun(ws, id: runID, in: $0) }) else {
            throw PermanentJobFailure("automation run \(runID) no longer exists")
        }
        guard run.status == .queued || run.status == .running else { return }
        let started = clock.now()
        func finish(_ status: AutomationRunStatus, error: String?, log: [JSONValue]) async throws {
            run.status = status
            run.error = error
            run.stepsLog = JSONValue.array(log).encoded()
            run.finishedAt = clock.now()
            run.durationMs = Int64(((run.finishedAt!.timeIntervalSince(run.startedAt ?? started)) * 1000).rounded())
            let frozen = run
            try await db.transaction { try await store.updateRun(ws, frozen, in: $0) }
        }
        guard let rec = try await db.read({ try await store.find(ws, id: run.automationID, in: $0) }), let a = try? Automation(rec),
              let site = try await site(ws) else {
            try await finish(.failed, error: "the automation was deleted or can no longer be read", log: [])
            return
        }
        if run.startedAt == nil { run.startedAt = started }
        run.status = .running
        let input = (try? JSONValue.parse(run.input)) ?? .object([:])
        var log: [JSONValue] = []
        if case .array(let previous)? = try? JSONValue.parse(run.stepsLog) { log = previous.filter { $0["status"]?.stringValue == "ok" } }
        for (i, step) in a.steps.enumerated() where i >= log.count {
            let t0 = clock.now()
            let params = AutomationTemplate.render(.object(step.params), Self.vars(input, log: log))
            var entry: [String: JSONValue] = ["step": .int(Int64(i + 1)), "action": .string(step.action), "params": params, "attempt": .int(Int64(attempt))]
            do {
                guard case .object(let p) = params else { throw DomainError.validation(field: "params", message: "must be an object") }
                let result = try await invokeStep(a, site: site, action: step.action, params: p)
                entry["status"] = .string("ok")
                entry["result"] = result
                entry["duration_ms"] = .int(Int64((clock.now().timeIntervalSince(t0) * 1000).rounded()))
                log.append(.object(entry))
                // Progress is saved after each step, so a retry resumes here instead of repeating it.
                run.stepsLog = JSONValue.array(log).encoded()
                let frozen = run
                try await db.transaction { try await store.updateRun(ws, frozen, in: $0) }
            } catch let e as DomainError {
                entry["status"] = .string("error")
                entry["error"] = .string(e.description)
                entry["duration_ms"] = .int(Int64((clock.now().timeIntervalSince(t0) * 1000).rounded()))
                try await finish(.failed, error: "step \(i + 1) (\(step.action)) failed: \(e.description)", log: log + [.object(entry)])
                return
            } catch {
                entry["status"] = .string(attempt >= maxAttempts ? "error" : "retrying")
                entry["error"] = .string(String(describing: error))
                entry["duration_ms"] = .int(Int64((clock.now().timeIntervalSince(t0) * 1000).rounded()))
                if attempt >= maxAttempts {
                    try await finish(.failed, error: "step \(i + 1) (\(step.action)) failed after \(attempt) attempts: \(error)", log: log + [.object(entry)])
                    return
                }
                // Keep the failed attempt visible in the log while the job waits to retry.
                run.stepsLog = JSONValue.array(log + [.object(entry)]).encoded()
                run.error = "step \(i + 1) (\(step.action)) attempt \(attempt) failed: \(error); retrying"
                let frozen = run
                try await db.transaction { try await store.updateRun(ws, frozen, in: $0) }
                if let retry = error as? AutomationStepRetry, let after = retry.retryAfter { throw RetryJobLater(after: after, message: retry.message) }
                throw error
            }
        }
        try await finish(.succeeded, error: nil, log: log)
    }

    /// Evaluates the condition and renders every step with `input` as the trigger's data, without
    /// writing anything: read steps (`analytics.dashboard`, `tickets.list`) really run so later steps
    /// see their results; write steps are shown with the parameters they would get. Logged as a dry run.
    public func dryRun(_ ws: WorkspaceID, id: Int64, input: JSONValue) async throws -> AutomationRunRecord {
        let a = try await get(ws, id: id)
        guard let site = try await site(ws) else { throw DomainError.notFound("no such site") }
        var vars = baseVars(a, site: site, kind: a.trigger.kind, at: clock.now())
        switch a.trigger.kind {
        case .webhook:
            vars["payload"] = input
            vars["headers"] = .object([:]); vars["query"] = .object([:])
        case .manual: vars["payload"] = input
        case .event:
            vars["payload"] = input
            vars["event"] = .object(["type": .string(a.trigger.events.first ?? ""), "dry_run": .bool(true)])
            for p in a.trigger.events { if let f = p.split(separator: ".").first, f != "*" { vars[String(f)] = input } }
        case .schedule:
            vars["schedule"] = .object(["tick": .string(ISO8601DateFormatter().string(from: CronExpression.floorToMinute(clock.now()))), "cron": .string(a.trigger.cron ?? "")])
            if a.trigger.forEach == "tickets" {
                if case .object(let o) = input, !o.isEmpty { vars["ticket"] = input }
                else if let first = try await activeTickets(ws, max: 1).first { vars["ticket"] = ticketVars(first.0, lastReply: first.1) }
                else { vars["ticket"] = .object([:]) }
            }
        }
        let started = clock.now()
        let holds = a.condition?.evaluate(.object(vars)) ?? true
        var log: [JSONValue] = []
        for (i, step) in a.steps.enumerated() {
            let params = AutomationTemplate.render(.object(step.params), Self.vars(.object(vars), log: log))
            var entry: [String: JSONValue] = ["step": .int(Int64(i + 1)), "action": .string(step.action), "params": params]
            if let d = registry.registry.definitions[step.action], d.risk == .read, case .object(let p) = params {
                do {
                    entry["result"] = try await invokeStep(a, site: site, action: step.action, params: p)
                    entry["status"] = .string("ok")
                } catch {
                    entry["status"] = .string("error")
                    entry["error"] = .string(String(describing: error))
                }
            } else {
                entry["status"] = .string("dry_run")
                entry["result"] = .null
            }
            log.append(.object(entry))
        }
        let now = clock.now()
        var run = AutomationRunRecord(id: 0, workspaceID: ws, automationID: a.id, triggerKind: a.trigger.kind, dedupeKey: nil, status: holds ? .succeeded : .skipped,
                                      input: JSONValue.object(vars).encoded(), stepsLog: JSONValue.array(log).encoded(),
                                      error: holds ? nil : "the condition did not hold (the steps below show what would have run)", dryRun: true,
                                      createdAt: now, startedAt: started, finishedAt: now, durationMs: Int64((now.timeIntervalSince(started) * 1000).rounded()))
        let frozen = run
        run.id = try await db.transaction { try await store.insertRun(ws, frozen, in: $0) } ?? 0
        return run
    }
}
