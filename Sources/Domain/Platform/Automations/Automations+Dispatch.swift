import Foundation
import Ports

/// Turning schedules and outbox events into runs. Both happen in the worker, in jobs the scheduler
/// enqueues every minute; nothing here runs inside the request that published an event.
extension Automations {
    /// The two periodic tasks: schedules evaluated for each minute, and the event trigger's outbox pass.
    public static var periodicTasks: [PeriodicTask] {
        [PeriodicTask(name: scheduleJobKind, schedule: try! CronExpression("* * * * *")) { tick in
             NewJob(kind: scheduleJobKind, payload: "{\"tick\":\(tick.epochMillis)}", queue: "default", uniqueKey: "\(scheduleJobKind).\(tick.epochMillis)")
         },
         PeriodicTask(name: eventsJobKind, schedule: try! CronExpression("* * * * *")) { _ in
             NewJob(kind: eventsJobKind, payload: "{}", queue: "default", uniqueKey: eventsJobKind)
         }]
    }

    func timeZone(_ ws: WorkspaceID) async throws -> TimeZone {
        let id = try await settings.value("timezone", workspace: ws)?.stringValue ?? "UTC"
        return TimeZone(identifier: id) ?? TimeZone(identifier: "UTC")!
    }

    /// Every enabled schedule whose cron matches `tick` in its site's time zone starts its runs.
    @discardableResult
    public func dispatchSchedules(tick: Date) async throws -> Int {
        let minute = CronExpression.floorToMinute(tick)
        var started = 0
        for rec in try await db.read({ try await store.enabled(kind: .schedule, in: $0) }) {
            guard let a = try? Automation(rec), let cron = a.trigger.cron.flatMap({ try? CronExpression($0) }) else { continue }
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = try await timeZone(a.workspaceID)
            guard cron.matches(minute, calendar: cal) else { continue }
            started += try await fireSchedule(a, tick: minute, manual: false).count
        }
        return started
    }

    /// One schedule tick of one automation. Without `for_each`: one run per tick. With `for_each:
    /// tickets`: one run per active ticket the condition holds for, at most once per ticket and
    /// last reply (so an hourly escalation acts on a stale ticket once, not every hour).
    func fireSchedule(_ a: Automation, tick: Date, manual: Bool) async throws -> [AutomationRunRecord] {
        let site = try await site(a.workspaceID)
        let tz = try await timeZone(a.workspaceID)
        var base = baseVars(a, site: site, kind: manual ? .manual : .schedule, at: clock.now())
        base["schedule"] = .object(["tick": .string(ISO8601DateFormatter().string(from: tick)), "timezone": .string(tz.identifier), "cron": .string(a.trigger.cron ?? "")])
        var out: [AutomationRunRecord] = []
        guard a.trigger.forEach == "tickets" else {
            let holds = a.condition?.evaluate(.object(base)) ?? true
            if !holds && !manual { return [] }
            let frozen = base
            if let r = try await db.transaction({ try await startRun(a, kind: manual ? .manual : .schedule, vars: frozen, dedupeKey: manual ? nil : "tick:\(tick.epochMillis)",
                                                                    skipped: !holds, in: $0) }) { out.append(r) }
            return out
        }
        for (ticket, lastReply) in try await activeTickets(a.workspaceID) {
            var vars = base
            vars["ticket"] = ticketVars(ticket, lastReply: lastReply)
            guard a.condition?.evaluate(.object(vars)) ?? true else { continue }
            let frozen = vars
            if let r = try await db.transaction({ try await startRun(a, kind: manual ? .manual : .schedule, vars: frozen,
                                                                    dedupeKey: "ticket:\(ticket.id):\(lastReply.epochMillis)", in: $0) }) { out.append(r) }
        }
        return out
    }

    /// Active tickets (open, pending, waiting on customer) with the time of their last public message.
    func activeTickets(_ ws: WorkspaceID, max: Int = 2000) async throws -> [(Ticket, Date)] {
        var out: [(Ticket, Date)] = []
        var offset = 0
        while out.count < max {
            var f = TicketFilter(limit: 100, offset: offset)
            f.statuses = [.open, .pending, .waitingOnCustomer]
            f.sort = .created
            let page = try await tickets.list(ws, f, scope: .everything)
            for t in page.tickets where out.count < max {
                let last = try await db.read { try await tickets.store.messages(ws, ticketID: t.id, includeInternal: false, in: $0) }.last?.createdAt ?? t.createdAt
                out.append((t, last))
            }
            if page.tickets.count < 100 { break }
            offset += 100
        }
        return out
    }

    /// A ticket as conditions see it: its API fields plus `last_reply_at`, `last_reply_age` and `age` in seconds.
    func ticketVars(_ t: Ticket, lastReply: Date) -> JSONValue {
        guard case .object(var o) = t.json else { return t.json }
        let now = clock.now()
        o["last_reply_at"] = .string(ISO8601DateFormatter().string(from: lastReply))
        o["last_reply_age"] = .int(Int64(now.timeIntervalSince(lastReply).rounded(.down)))
        o["age"] = .int(Int64(now.timeIntervalSince(t.createdAt).rounded(.down)))
        return .object(o)
    }

    /// The worker's tight outbox loop calls this every pass, so an event trigger starts its run within
    /// a fraction of a second; an idle outbox costs one small read. (The minute job stays as a backstop.)
    @discardableResult
    public func dispatchEventsIfNew() async throws -> Int {
        let (cursor, latest) = try await db.read { conn in
            (try await store.cursor(Self.cursorName, in: conn), try await outbox.store.latestSequence(in: conn))
        }
        guard latest > cursor else { return 0 }
        return try await dispatchEvents()
    }

    /// One pass of the event trigger: reads the outbox after the durable cursor, starts a run for each
    /// (automation, event) that matches, and moves the cursor in the same transaction. A pass that fails
    /// commits nothing and the next one reads the same events again (at least once; runs are deduplicated
    /// by event id). Events older than an automation are not replayed into it.
    @discardableResult
    public func dispatchEvents(batch: Int = 200, maxBatches: Int = 50) async throws -> Int {
        let automations = try await db.read { try await store.enabled(kind: .event, in: $0) }.compactMap { try? Automation($0) }
        let byWorkspace = Dictionary(grouping: automations, by: \.workspaceID)
        var sites: [WorkspaceID: Workspace?] = [:]
        for ws in byWorkspace.keys { sites[ws] = try await site(ws) }
        let frozenSites = sites
        var started = 0
        for _ in 0..<maxBatches {
            let (count, runs) = try await db.transaction { tx -> (Int, Int) in
                let since = try await store.cursor(Self.cursorName, in: tx)
                let events = try await outbox.store.readAllWorkspaces(since: since, limit: batch, in: tx)
                var runs = 0
                for e in events {
                    guard let ws = e.workspaceID else { continue }
                    for a in byWorkspace[ws] ?? [] where e.createdAt >= a.record.createdAt && a.trigger.events.contains(where: { EventCatalog.matches($0, e.type) }) {
                        let payload = (try? JSONValue.parse(e.payload)) ?? .object([:])
                        var vars = baseVars(a, site: frozenSites[ws] ?? nil, kind: .event, at: clock.now())
                        vars["event"] = .object(["id": .int(e.sequence), "event_id": .string(e.eventID), "type": .string(e.type),
                                                 "created_at": .string(ISO8601DateFormatter().string(from: e.createdAt))])
                        vars["payload"] = payload
                        if let family = e.type.split(separator: ".").first { vars[String(family)] = payload }
                        guard a.condition?.evaluate(.object(vars)) ?? true else { continue }
                        if try await startRun(a, kind: .event, vars: vars, dedupeKey: "evt:\(e.eventID)", in: tx) != nil { runs += 1 }
                    }
                }
                if let last = events.last { try await store.setCursor(Self.cursorName, to: last.sequence, in: tx) }
                return (events.count, runs)
            }
            started += runs
            if count < batch { break }
        }
        return started
    }
}
