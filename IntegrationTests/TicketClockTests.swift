import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// The next-response and resolution SLA clocks, per-department targets, escalation on a breach, the
/// queue's "due first" order, the customer filter and the audit entries of ticket changes, on both engines.
@Suite struct TicketClockTests {
    static func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    func events(_ f: AccessFixture, _ site: Workspace, _ type: String) async throws -> [JSONValue] {
        try await f.services.outbox.feed(site.id, since: 0, limit: 1000, db: f.services.db).filter { $0.type == type }.map { try JSONValue.parse($0.payload) }
    }

    func ticket(_ f: AccessFixture, _ n: Int64) async throws -> Ticket {
        try await f.services.tickets.get(f.siteA.id, number: n, includeInternal: true, scope: .everything).ticket
    }

    @Test(arguments: Engine.all)
    func nextResponseAndResolutionClocksPauseBreachEscalateAndRecordOutcomes(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner), agent = try await f.actor(f.agentA)
            try await f.services.db.transaction { tx in
                _ = try await f.services.settings.set("timezone", to: .string("America/New_York"), workspace: f.siteA.id, by: nil, in: tx)
                _ = try await f.services.settings.set("support.hours", to: .string("Mon-Fri 09:00-17:00"), workspace: f.siteA.id, by: nil, in: tx)
            }
            let support = try await f.services.tickets.department(f.siteA.id, .string("Support"))
            let set = try await f.invoke("departments.set_sla", as: owner, site: f.siteA, [
                "department_id": .int(support.id),
                "sla": .object(["first_response": .object(["high": .int(120)]), "next_response": .object(["high": .int(60)]),
                                "resolution": .object(["high": .int(480), "low": .int(0)]), "escalate": .bool(true)]),
            ])
            #expect(set["sla"]?["first_response"]?["high"] == .int(120) && set["sla"]?["first_response"]?["urgent"] == .int(60), "unnamed targets keep the default")
            #expect(set["sla"]?["resolution"]?["low"] == .int(0) && set["sla_custom"] == .bool(true))

            // Mon 16 Mar 2026 10:00 EDT, High in Support: first response due 12:00, resolution (8 business hours) Tue 10:00 EDT.
            f.clock.set(Self.at("2026-03-16T14:00:00Z"))
            _ = try await f.invoke("tickets.create", as: agent, site: f.siteA, ["subject": .string("Checkout broken"), "message": .string("Cart empties"),
                                                                             "customer_email": .string("Buyer@Example.com"), "department": .string("Support"),
                                                                             "priority": .string("high")])
            var tk = try await ticket(f, 1)
            #expect(tk.firstResponseDueAt == Self.at("2026-03-16T16:00:00Z") && tk.resolutionDueAt == Self.at("2026-03-17T14:00:00Z"))
            #expect(tk.slaDueAt == tk.firstResponseDueAt && tk.nearestClock?.metric == .firstResponse)

            // 11:00 the agent answers (hit); 16:30 the customer writes again: next response due in 60 business minutes → Tue 09:30 EDT.
            f.clock.set(Self.at("2026-03-16T15:00:00Z"))
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "message": .string("Looking into it")])
            tk = try await ticket(f, 1)
            #expect(tk.nextResponseDueAt == nil && tk.nearestClock?.metric == .resolution)
            f.clock.set(Self.at("2026-03-16T20:30:00Z"))
            _ = try await f.services.tickets.reply(f.siteA.id, number: 1, body: "Still broken", author: .customer(email: "buyer@example.com", name: ""), scope: .everything)
            tk = try await ticket(f, 1)
            #expect(tk.nextResponseDueAt == Self.at("2026-03-17T13:30:00Z") && tk.nearestClock?.metric == .nextResponse)
            #expect(tk.slaState(now: f.clock.now()) == .onTrack)

            // Tue 09:00 waiting on the customer; 10:00 they answer: an hour of business time paused moves both clocks.
            f.clock.set(Self.at("2026-03-17T13:00:00Z"))
            _ = try await f.invoke("tickets.update", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "status": .string("waiting_on_customer")])
            #expect(try await ticket(f, 1).slaState(now: f.clock.now()) == .paused)
            f.clock.set(Self.at("2026-03-17T14:00:00Z"))
            let check = TicketSLACheck(db: f.services.db, workspaces: f.services.workspaces, store: f.services.tickets.store, outbox: f.services.outbox,
                                       clock: f.clock, departments: f.services.departments, audit: f.services.audit)
            #expect(try await check.run() == 0, "paused clocks never breach, though the original due times passed")
            _ = try await f.services.tickets.reply(f.siteA.id, number: 1, body: "Here is a screenshot", author: .customer(email: "buyer@example.com", name: ""), scope: .everything)
            tk = try await ticket(f, 1)
            #expect(tk.status == .open && tk.nextResponseDueAt == Self.at("2026-03-17T14:30:00Z") && tk.resolutionDueAt == Self.at("2026-03-17T15:00:00Z"))
            #expect(tk.slaState(now: f.clock.now()) == .dueSoon)

            // 10:40 the next response is overdue: one breach, escalated High → Urgent (the department escalates).
            f.clock.set(Self.at("2026-03-17T14:40:00Z"))
            #expect(try await check.run() == 1)
            #expect(try await check.run() == 0, "published once per clock")
            tk = try await ticket(f, 1)
            #expect(tk.priority == .urgent && tk.nextResponseBreachedAt != nil && tk.resolutionBreachedAt == nil)
            #expect(tk.slaState(now: f.clock.now()) == .overdue)
            // 11:10 the resolution is overdue too: a second breach; already Urgent, so no second escalation.
            f.clock.set(Self.at("2026-03-17T15:10:00Z"))
            #expect(try await check.run() == 1)
            let breaches = try await events(f, f.siteA, "ticket.sla_breached")
            #expect(breaches.compactMap { $0["metric"]?.stringValue } == ["next_response", "resolution"])
            #expect(breaches[0]["due_at"]?.stringValue == "2026-03-17T14:30:00Z")
            let escalations = try await events(f, f.siteA, "ticket.escalated")
            #expect(escalations.count == 1 && escalations[0]["from_priority"]?.stringValue == "high" && escalations[0]["priority"]?.stringValue == "urgent")

            // The agent answers (next response missed) and resolves (resolution missed); every outcome is kept.
            f.clock.set(Self.at("2026-03-17T15:20:00Z"))
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "message": .string("Fixed now")])
            f.clock.set(Self.at("2026-03-17T15:30:00Z"))
            _ = try await f.invoke("tickets.update", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "status": .string("resolved")])
            let outcomes = try await f.services.db.read { try await f.services.tickets.store.slaOutcomes(f.siteA.id, ticketID: tk.id, in: $0) }
            #expect(outcomes.map(\.metric) == ["first_response", "next_response", "resolution"])
            #expect(outcomes.map(\.hit) == [true, false, false])
            #expect(outcomes[1].dueAt == Self.at("2026-03-17T14:30:00Z") && outcomes[2].dueAt == Self.at("2026-03-17T15:00:00Z"))
            tk = try await ticket(f, 1)
            #expect(tk.nearestClock == nil && tk.slaDueAt == nil && tk.slaState(now: f.clock.now()) == .none)

            // A second round of next response after a reopen is recorded as its own outcome.
            f.clock.set(Self.at("2026-03-18T14:00:00Z"))
            _ = try await f.services.tickets.reply(f.siteA.id, number: 1, body: "It broke again", author: .customer(email: "buyer@example.com", name: ""), scope: .everything)
            f.clock.set(Self.at("2026-03-18T14:20:00Z"))
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "message": .string("On it")])
            let again = try await f.services.db.read { try await f.services.tickets.store.slaOutcomes(f.siteA.id, ticketID: tk.id, in: $0) }
            #expect(again.map(\.metric) == ["first_response", "next_response", "resolution", "next_response"] && again.last?.hit == true)

            // The audit log names who did what; the escalation names the SLA check.
            let audit = try await f.services.audit.recent(workspace: f.siteA.id, limit: 50)
            let actions = audit.map(\.action)
            for a in ["tickets.create", "tickets.reply", "tickets.update", "tickets.escalate", "departments.set_sla"] {
                #expect(actions.contains(a), "audit has \(a)")
            }
            #expect(audit.first { $0.action == "tickets.escalate" }?.actorType == "system")
            #expect(audit.first { $0.action == "tickets.create" }?.actorLabel == f.agentA.email && audit.first { $0.action == "tickets.create" }?.target == "T-1")
            #expect(!audit.contains { $0.details.contains("Still broken") || $0.details.contains("Fixed now") }, "message bodies stay out of the audit log")
        }
    }

    @Test(arguments: Engine.all)
    func dueFirstOrderCustomerFilterAndDepartmentSettings(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            f.clock.set(Self.at("2026-03-16T14:00:00Z"))
            // Support hours unset: Mon-Fri 09:00-17:00 UTC. Low (24 h), Urgent (1 h), Normal (8 h), then one answered and one waiting.
            for (subject, priority, email) in [("Low one", "low", "a@example.com"), ("Urgent one", "urgent", "b@example.com"),
                                               ("Normal one", "normal", "a@example.com"), ("Answered", "high", "c@example.com"),
                                               ("Waiting", "urgent", "a@example.com")] {
                f.clock.advance(60)
                _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string(subject), "message": .string("m"),
                                                                                 "customer_email": .string(email), "priority": .string(priority)])
            }
            _ = try await f.invoke("tickets.reply", as: owner, site: f.siteA, ["ticket_id": .int(4), "message": .string("Answer")])
            _ = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .int(5), "status": .string("waiting_on_customer")])
            func ids(_ p: [String: JSONValue]) async throws -> [String] {
                guard case .array(let list)? = try await f.invoke("tickets.list", as: owner, site: f.siteA, p)["tickets"] else { return [] }
                return list.compactMap { $0["id"]?.stringValue }
            }
            // Running clocks by due time (T-4's resolution, 24 business hours, comes after T-1's first response), paused and finished last.
            #expect(try await ids(["sort": .string("due")]) == ["T-2", "T-3", "T-1", "T-4", "T-5"])
            #expect(try await ids(["sort": .string("priority")]) == ["T-5", "T-2", "T-4", "T-3", "T-1"])
            #expect(try await ids(["sort": .string("created")]) == ["T-5", "T-4", "T-3", "T-2", "T-1"])
            #expect(try await ids(["customer_email": .string("A@example.com")]) == ["T-5", "T-3", "T-1"])
            let listed = try await f.invoke("tickets.list", as: owner, site: f.siteA, ["sort": .string("due"), "limit": .int(1)])
            if case .array(let first)? = listed["tickets"] {
                #expect(first.first?["sla_due_at"]?.stringValue == first.first?["first_response_due_at"]?.stringValue)
            }
            await #expect(throws: DomainError.validation(field: "sort", message: "must be one of updated, due, priority, created")) {
                try await f.invoke("tickets.list", as: owner, site: f.siteA, ["sort": .string("random")])
            }

            // Department settings: rename (unique), SLA validation naming the field, back to the defaults.
            let billing = try await f.invoke("departments.create", as: owner, site: f.siteA, ["name": .string("Billing")])
            let id = billing["id"]!
            _ = try await f.invoke("departments.rename", as: owner, site: f.siteA, ["department_id": id, "name": .string("Payments")])
            await #expect(throws: DomainError.validation(field: "name", message: "this site already has a department called Support")) {
                try await f.invoke("departments.rename", as: owner, site: f.siteA, ["department_id": id, "name": .string("Support")])
            }
            await #expect(throws: DomainError.validation(field: "sla.first_response.asap", message: "unknown priority; use low, normal, high, urgent")) {
                try await f.invoke("departments.set_sla", as: owner, site: f.siteA, ["department_id": id, "sla": .object(["first_response": .object(["asap": .int(5)])])])
            }
            await #expect(throws: DomainError.validation(field: "sla.first_response.high", message: "must be whole minutes from 0 (no target) to 525600")) {
                try await f.invoke("departments.set_sla", as: owner, site: f.siteA, ["department_id": id, "sla": .object(["first_response": .object(["high": .int(-5)])])])
            }
            await #expect(throws: DomainError.validation(field: "sla.lunch", message: "unknown clock; use first_response, next_response, resolution or escalate")) {
                try await f.invoke("departments.set_sla", as: owner, site: f.siteA, ["department_id": id, "sla": .object(["lunch": .object([:])])])
            }
            await #expect(throws: DomainError.notFound("no department 9999 in this site")) {
                try await f.invoke("departments.set_sla", as: owner, site: f.siteA, ["department_id": .int(9999)])
            }
            // Another site's department is not reachable through this one.
            let other = try await f.invoke("departments.create", as: owner, site: f.siteB, ["name": .string("Elsewhere")])
            await #expect(throws: DomainError.notFound("no department \(other["id"]?.intValue ?? 0) in this site")) {
                try await f.invoke("departments.rename", as: owner, site: f.siteA, ["department_id": other["id"]!, "name": .string("Stolen")])
            }
            _ = try await f.invoke("departments.set_sla", as: owner, site: f.siteA, ["department_id": id, "sla": .object(["first_response": .object(["low": .int(30)])])])
            // A ticket in Payments uses its targets: Low first response in 30 business minutes.
            let p = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Invoice"), "message": .string("m"),
                                                                                 "customer_email": .string("d@example.com"), "priority": .string("low"), "department": .string("Payments")])
            #expect(p["first_response_due_at"]?.stringValue == "2026-03-16T14:35:00Z")
            let reset = try await f.invoke("departments.set_sla", as: owner, site: f.siteA, ["department_id": id])
            #expect(reset["sla_custom"] == .bool(false) && reset["sla"]?["first_response"]?["low"] == .int(1440))
            // Moving a ticket to another department recomputes its due times with that department's targets.
            _ = try await f.invoke("departments.set_sla", as: owner, site: f.siteA, ["department_id": id, "sla": .object(["first_response": .object(["normal": .int(15)])])])
            let moved = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .int(3), "department": id])
            #expect(moved["first_response_due_at"]?.stringValue == "2026-03-16T14:18:00Z", "created 14:03, 15 business minutes")
            let listedDepartments = try await f.invoke("departments.list", as: owner, site: f.siteA, [:])
            guard case .array(let ds) = listedDepartments else { Issue.record("departments.list is not a list"); return }
            #expect(ds.contains { $0["name"]?.stringValue == "Payments" && $0["sla"]?["first_response"]?["normal"] == .int(15) })
        }
    }
}
