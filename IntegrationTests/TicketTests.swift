import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// The helpdesk core over both engines: flow and events, internal notes, reopening, locking, merging,
/// Agent department visibility through the action registry, SLA clocks and queue filters.
@Suite struct TicketTests {
    static func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    func events(_ f: AccessFixture, _ site: Workspace, prefix: String = "ticket.") async throws -> [(type: String, payload: JSONValue)] {
        try await f.services.outbox.feed(site.id, since: 0, limit: 1000, db: f.services.db).filter { $0.type.hasPrefix(prefix) }.map { ($0.type, try JSONValue.parse($0.payload)) }
    }

    func create(_ f: AccessFixture, _ subject: String, department: String? = "Support", priority: String = "normal", email: String = "cust@example.com",
                site: Workspace? = nil) async throws -> JSONValue {
        var p: [String: JSONValue] = ["subject": .string(subject), "message": .string("Body of \(subject)"), "customer_email": .string(email), "priority": .string(priority)]
        if let department { p["department"] = .string(department) }
        return try await f.invoke("tickets.create", as: try await f.actor(f.owner), site: site ?? f.siteA, p)
    }

    @Test(arguments: Engine.all)
    func createReplyAndStatusFlowPublishEvents(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner), agent = try await f.actor(f.agentA)
            let created = try await create(f, "Double charge", priority: "high")
            #expect(created["id"]?.stringValue == "T-1")
            #expect(created["status"]?.stringValue == "open" && created["priority"]?.stringValue == "high")
            #expect(created["messages"]?.arrayValue?.count == 1)
            f.clock.advance(60)
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "message": .string("Refund on its way")])
            f.clock.advance(60)
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .int(1), "message": .string("Stripe ch_x and ch_y"), "internal": .bool(true)])
            let updated = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .string("1"), "status": .string("resolved")])
            #expect(updated["status"]?.stringValue == "resolved" && updated["resolved_at"] != .null)
            let ev = try await events(f, f.siteA)
            #expect(ev.map(\.type) == ["ticket.created", "ticket.replied", "ticket.replied", "ticket.status_changed"])
            #expect(ev[0].payload["ticket_id"]?.stringValue == "T-1" && ev[0].payload["customer_email"]?.stringValue == "cust@example.com")
            #expect(ev[1].payload["internal"] == .bool(false) && ev[2].payload["internal"] == .bool(true))
            #expect(ev[3].payload["from"]?.stringValue == "open" && ev[3].payload["to"]?.stringValue == "resolved")
            let detail = try await f.invoke("tickets.get", as: owner, site: f.siteA, ["ticket_id": .string("T-1")])
            #expect(detail["messages"]?.arrayValue?.map { $0["author_kind"]?.stringValue ?? "" } == ["customer", "agent", "agent"])
            #expect(detail["first_response_at"] != .null, "the first public agent reply is the first response")
            // A site's numbers are its own: site B starts at T-1 too, and site A's T-1 is not reachable through it.
            let b = try await create(f, "Other site", department: nil, site: f.siteB)
            #expect(b["id"]?.stringValue == "T-1")
            let bDetail = try await f.invoke("tickets.get", as: owner, site: f.siteB, ["ticket_id": .string("T-1")])
            #expect(bDetail["subject"]?.stringValue == "Other site")
            // Errors name the field.
            await #expect(throws: DomainError.validation(field: "ticket_id", message: "must be a ticket id like T-123 or 123")) {
                try await f.invoke("tickets.get", as: owner, site: f.siteA, ["ticket_id": .string("ticket one")])
            }
            await #expect(throws: DomainError.validation(field: "subject", message: "cannot be empty")) {
                try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("  "), "message": .string("x"), "customer_email": .string("c@example.com")])
            }
            await #expect(throws: DomainError.validation(field: "customer_email", message: "must be an email address like jane@example.com")) {
                try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("s"), "message": .string("x"), "customer_email": .string("nope")])
            }
        }
    }

    @Test(arguments: Engine.all)
    func internalNotesNeverReachCustomerSurfaces(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services.tickets
            let d = try await s.create(f.siteA.id, .init(subject: "Login", message: "Cannot log in", departmentID: nil, customerEmail: "c@example.com"), scope: .everything)
            _ = try await s.reply(f.siteA.id, number: d.ticket.number, body: "Looks like a lockout", author: .agent(f.admin.id, email: f.admin.email), internalNote: true, scope: .everything)
            _ = try await s.reply(f.siteA.id, number: d.ticket.number, body: "Try again now", author: .agent(f.admin.id, email: f.admin.email), scope: .everything)
            let customerView = try await s.get(f.siteA.id, number: d.ticket.number, includeInternal: false, scope: .everything)
            #expect(customerView.messages.map(\.body) == ["Cannot log in", "Try again now"])
            #expect(!customerView.messages.contains { $0.internalNote })
            let staffView = try await s.get(f.siteA.id, number: d.ticket.number, includeInternal: true, scope: .everything)
            #expect(staffView.messages.map(\.body) == ["Cannot log in", "Looks like a lockout", "Try again now"])
            let api = try await f.invoke("tickets.get", as: .apiKey(try await f.services.apiKeys.create(name: "portal", scopes: ["tickets.read"], workspace: nil, by: f.owner.id).record),
                                         site: f.siteA, ["ticket_id": .int(d.ticket.number), "include_internal": .bool(false)])
            #expect(!api.encoded().contains("lockout"))
            #expect(d.ticket.firstResponseAt == nil)
            #expect(staffView.ticket.firstResponseAt != nil, "an internal note is not a response; the public reply is")
            await #expect(throws: DomainError.validation(field: "internal", message: "customers cannot write internal notes")) {
                try await s.reply(f.siteA.id, number: d.ticket.number, body: "x", author: .customer(email: "c@example.com", name: ""), internalNote: true, scope: .everything)
            }
        }
    }

    @Test(arguments: Engine.all)
    func closedTicketReopensOnCustomerReplyAndLockStopsCustomers(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            _ = try await create(f, "Refund")
            let closed = try await f.invoke("tickets.close", as: owner, site: f.siteA, ["ticket_id": .string("T-1")])
            #expect(closed["status"]?.stringValue == "closed")
            f.clock.advance(3600)
            _ = try await f.services.tickets.reply(f.siteA.id, number: 1, body: "Still not refunded", author: .customer(email: "cust@example.com", name: "Cu"), scope: .everything)
            let after = try await f.services.tickets.get(f.siteA.id, number: 1, includeInternal: true, scope: .everything)
            #expect(after.ticket.status == .open && after.ticket.resolvedAt == nil)
            let changes = try await events(f, f.siteA).filter { $0.type == "ticket.status_changed" }
            #expect(changes.map { $0.payload["to"]?.stringValue ?? "" } == ["closed", "open"])
            #expect(changes.last?.payload["reason"]?.stringValue == "customer_reply")
            // Locked: customers and the AI are refused, staff can still write.
            let locked = try await f.invoke("tickets.lock", as: owner, site: f.siteA, ["ticket_id": .int(1)])
            #expect(locked["locked"] == .bool(true))
            await #expect(throws: DomainError.conflict("T-1 is locked: customers and the AI cannot add replies")) {
                try await f.services.tickets.reply(f.siteA.id, number: 1, body: "Hello?", author: .customer(email: "cust@example.com", name: ""), scope: .everything)
            }
            await #expect(throws: DomainError.self) {
                try await f.services.tickets.reply(f.siteA.id, number: 1, body: "AI here", author: .ai, scope: .everything)
            }
            _ = try await f.invoke("tickets.reply", as: owner, site: f.siteA, ["ticket_id": .int(1), "message": .string("Final answer")])
            _ = try await f.invoke("tickets.reopen", as: owner, site: f.siteA, ["ticket_id": .int(1)])
            let final = try await f.services.tickets.get(f.siteA.id, number: 1, includeInternal: true, scope: .everything)
            #expect(final.messages.map(\.body) == ["Body of Refund", "Still not refunded", "Final answer"])
        }
    }

    @Test(arguments: Engine.all)
    func mergeKeepsEveryMessageInTimeOrderAndTagsTheSubject(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            let s = f.services.tickets
            let cust = TicketAuthor.customer(email: "cust@example.com", name: "")
            _ = try await create(f, "Charged twice")                      // T-1 at t0
            f.clock.advance(60); _ = try await create(f, "Double charge")  // T-2 at t0+1m
            f.clock.advance(60); _ = try await s.reply(f.siteA.id, number: 1, body: "A2", author: cust, scope: .everything)
            f.clock.advance(60); _ = try await s.reply(f.siteA.id, number: 2, body: "B2", author: .agent(f.owner.id, email: f.owner.email), internalNote: true, scope: .everything)
            f.clock.advance(60); _ = try await s.reply(f.siteA.id, number: 1, body: "A3", author: cust, scope: .everything)
            let merged = try await f.invoke("tickets.merge", as: owner, site: f.siteA, ["ticket_id": .string("T-2"), "into_ticket_id": .string("T-1")])
            #expect(merged["id"]?.stringValue == "T-1")
            #expect(merged["messages"]?.arrayValue?.map { $0["body"]?.stringValue ?? "" } == ["Body of Charged twice", "Body of Double charge", "A2", "B2", "A3"])
            let gone = try await s.get(f.siteA.id, number: 2, includeInternal: true, scope: .everything)
            #expect(gone.ticket.subject == "[MERGED] Double charge")
            #expect(gone.ticket.status == .closed)
            #expect(gone.ticket.mergedInto == (try await s.get(f.siteA.id, number: 1, includeInternal: true, scope: .everything)).ticket.id)
            #expect(gone.messages.isEmpty)
            let ev = try await events(f, f.siteA).filter { $0.type == "ticket.merged" }
            #expect(ev.count == 1 && ev[0].payload["into_ticket_id"]?.stringValue == "T-1" && ev[0].payload["ticket_id"]?.stringValue == "T-2")
            // A customer reply to the merged ticket lands in the survivor.
            f.clock.advance(60)
            _ = try await s.reply(f.siteA.id, number: 2, body: "A4", author: cust, scope: .everything)
            #expect((try await s.get(f.siteA.id, number: 1, includeInternal: true, scope: .everything)).messages.last?.body == "A4")
            // Refusals name the field.
            await #expect(throws: DomainError.validation(field: "into_ticket_id", message: "cannot merge T-1 into itself")) {
                try await f.invoke("tickets.merge", as: owner, site: f.siteA, ["ticket_id": .int(1), "into_ticket_id": .string("T-1")])
            }
            _ = try await create(f, "Third")
            await #expect(throws: DomainError.validation(field: "into_ticket_id", message: "T-2 was merged into T-1; merge into T-1 instead")) {
                try await f.invoke("tickets.merge", as: owner, site: f.siteA, ["ticket_id": .int(3), "into_ticket_id": .int(2)])
            }
            await #expect(throws: DomainError.validation(field: "ticket_id", message: "T-2 was already merged into T-1")) {
                try await f.invoke("tickets.merge", as: owner, site: f.siteA, ["ticket_id": .int(2), "into_ticket_id": .int(3)])
            }
        }
    }

    @Test(arguments: Engine.all)
    func agentsSeeAndActOnlyInTheirDepartments(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner), agent = try await f.actor(f.agentA)
            let billing = try await f.services.db.transaction { try await f.services.departments.insert(f.siteA.id, name: "Billing", now: f.clock.now(), in: $0) }
            _ = try await create(f, "Support one")                           // T-1
            _ = try await create(f, "Billing one", department: "Billing")    // T-2
            _ = try await create(f, "No department", department: nil)        // T-3
            let list = try await f.invoke("tickets.list", as: agent, site: f.siteA)
            #expect(list["tickets"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == ["T-1"])
            #expect(list["total"] == .int(1))
            #expect((try await f.invoke("tickets.list", as: owner, site: f.siteA))["total"] == .int(3))
            for (action, extra) in [("tickets.get", [:]), ("tickets.reply", ["message": JSONValue.string("hi")]), ("tickets.close", [:]), ("tickets.lock", [:]),
                                    ("tickets.update", ["priority": .string("low")]), ("tickets.assign", ["assignee_id": .int(0)])] as [(String, [String: JSONValue])] {
                for hidden in [2, 3] {
                    var p = extra
                    p["ticket_id"] = .int(Int64(hidden))
                    await #expect(throws: DomainError.notFound("no ticket T-\(hidden) in this site"), "\(action) T-\(hidden)") {
                        try await f.invoke(action, as: agent, site: f.siteA, p)
                    }
                }
            }
            await #expect(throws: DomainError.notFound("no ticket T-2 in this site")) {
                try await f.invoke("tickets.merge", as: agent, site: f.siteA, ["ticket_id": .int(2), "into_ticket_id": .int(1)])
            }
            await #expect(throws: DomainError.validation(field: "department", message: "Agents can only open tickets in their own departments")) {
                try await f.invoke("tickets.create", as: agent, site: f.siteA, ["subject": .string("s"), "message": .string("m"), "department": .int(billing.id), "customer_email": .string("c@example.com")])
            }
            // Assignment only to people who can see the department.
            await #expect(throws: DomainError.validation(field: "assignee_id", message: "agent.a@example.com is an Agent outside this ticket's department and cannot see T-2")) {
                try await f.invoke("tickets.assign", as: owner, site: f.siteA, ["ticket_id": .int(2), "assignee_id": .int(f.agentA.id.raw)])
            }
            let assigned = try await f.invoke("tickets.assign", as: owner, site: f.siteA, ["ticket_id": .int(1), "assignee_id": .int(f.agentA.id.raw)])
            #expect(assigned["assignee_id"] == .int(f.agentA.id.raw))
            _ = try await f.invoke("tickets.assign", as: owner, site: f.siteA, ["ticket_id": .int(2), "assignee_id": .int(f.admin.id.raw)])
            let mine = try await f.invoke("tickets.list", as: agent, site: f.siteA, ["assignee": .string("mine")])
            #expect(mine["tickets"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == ["T-1"])
            // The agent can work their own ticket, and the other site stays out of reach.
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .int(1), "message": .string("On it")])
            await #expect(throws: DomainError.self) { try await f.invoke("tickets.list", as: agent, site: f.siteB) }
            await #expect(throws: DomainError.self) { try await f.invoke("tickets.list", as: try await f.actor(f.agentNone), site: f.siteA) }
        }
    }

    @Test(arguments: Engine.all)
    func slaClockAcrossAWeekendDSTAndAWaitingOnCustomerPauseInNewYork(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services.tickets
            try await f.services.db.transaction { tx in
                _ = try await f.services.settings.set("timezone", to: .string("America/New_York"), workspace: f.siteA.id, by: nil, in: tx)
                _ = try await f.services.settings.set("support.hours", to: .string("Mon-Fri 09:00-17:00"), workspace: f.siteA.id, by: nil, in: tx)
            }
            let cust = TicketAuthor.customer(email: "cust@example.com", name: "")
            // Fri 6 Mar 2026 15:00 EST. Normal = 8 business hours: 2 h Friday, 6 h Monday (EDT after the DST change) → Mon 15:00 EDT.
            f.clock.set(Self.at("2026-03-06T20:00:00Z"))
            let d = try await s.create(f.siteA.id, .init(subject: "Export broken", message: "Help", departmentID: nil, customerEmail: "cust@example.com"), scope: .everything)
            #expect(d.ticket.firstResponseDueAt == Self.at("2026-03-09T19:00:00Z"))
            // Fri 16:00 EST: waiting on the customer. Monday 11:00 EDT the customer answers: 1 h + 2 h of business time were paused.
            f.clock.set(Self.at("2026-03-06T21:00:00Z"))
            let waiting = try await s.setStatus(f.siteA.id, number: 1, to: .waitingOnCustomer, scope: .everything)
            #expect(waiting.slaPausedAt == Self.at("2026-03-06T21:00:00Z"))
            // While paused, the SLA check never flags it even though the original due time passed.
            f.clock.set(Self.at("2026-03-09T19:30:00Z"))
            #expect(try await TicketSLACheck(db: f.services.db, workspaces: f.services.workspaces, store: s.store, outbox: f.services.outbox, clock: f.clock).run() == 0)
            f.clock.set(Self.at("2026-03-09T15:00:00Z"))
            _ = try await s.reply(f.siteA.id, number: 1, body: "Here are the details", author: cust, scope: .everything)
            let resumed = try await s.get(f.siteA.id, number: 1, includeInternal: true, scope: .everything).ticket
            #expect(resumed.status == .open && resumed.slaPausedAt == nil)
            #expect(resumed.slaPausedSeconds == 3 * 3600)
            // 8 h + 3 h paused from Friday 15:00 EST: 2 h Fri, 8 h Mon, 1 h Tue → Tue 10 Mar 10:00 EDT.
            #expect(resumed.firstResponseDueAt == Self.at("2026-03-10T14:00:00Z"))
            let check = TicketSLACheck(db: f.services.db, workspaces: f.services.workspaces, store: s.store, outbox: f.services.outbox, clock: f.clock)
            #expect(f.services.periodicTasks().contains { $0.name == TicketSLACheck.jobKind } && f.services.jobHandlers().kinds.contains(TicketSLACheck.jobKind))
            f.clock.set(Self.at("2026-03-10T13:59:00Z"))
            #expect(try await check.run() == 0)
            f.clock.set(Self.at("2026-03-10T14:30:00Z"))
            #expect(try await check.run() == 1)
            f.clock.advance(600)
            #expect(try await check.run() == 0, "a breach is published once per ticket")
            let breaches = try await events(f, f.siteA).filter { $0.type == "ticket.sla_breached" }
            #expect(breaches.count == 1 && breaches[0].payload["ticket_id"]?.stringValue == "T-1")
            #expect(breaches[0].payload["due_at"]?.stringValue == "2026-03-10T14:00:00Z")
            // The first agent reply records the (missed) outcome.
            _ = try await s.reply(f.siteA.id, number: 1, body: "Fixed", author: .agent(f.admin.id, email: f.admin.email), scope: .everything)
            let outcomes = try await f.services.db.read { try await s.store.slaOutcomes(f.siteA.id, ticketID: d.ticket.id, in: $0) }
            #expect(outcomes == [TicketSLAOutcome(ticketID: d.ticket.id, metric: "first_response", priority: .normal, dueAt: Self.at("2026-03-10T14:00:00Z"),
                                                  achievedAt: Self.at("2026-03-10T14:40:00Z"), hit: false)])
            // Urgent on Saturday: due Monday 10:00 EDT; answered at 09:30 → hit. Priority change recomputes the due time.
            f.clock.set(Self.at("2026-03-14T17:00:00Z"))
            let u = try await s.create(f.siteA.id, .init(subject: "Site down", message: "!!", departmentID: nil, customerEmail: "cust@example.com", priority: .low), scope: .everything)
            let raised = try await s.update(f.siteA.id, number: u.ticket.number, TicketChanges(priority: .urgent), scope: .everything)
            #expect(raised.firstResponseDueAt == Self.at("2026-03-16T14:00:00Z"))
            f.clock.set(Self.at("2026-03-16T13:30:00Z"))
            _ = try await s.reply(f.siteA.id, number: u.ticket.number, body: "Looking", author: .agent(f.admin.id, email: f.admin.email), scope: .everything)
            let hit = try await f.services.db.read { try await s.store.slaOutcomes(f.siteA.id, ticketID: u.ticket.id, in: $0) }
            #expect(hit.map(\.hit) == [true])
        }
    }

    @Test(arguments: Engine.all)
    func listFiltersAndPaging(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            _ = try await f.services.db.transaction { try await f.services.departments.insert(f.siteA.id, name: "Billing", now: f.clock.now(), in: $0) }
            let specs: [(String, String, String)] = [("low", "Support", "open"), ("high", "Billing", "open"), ("urgent", "Support", "pending"),
                                                     ("normal", "Support", "closed"), ("high", "Support", "waiting_on_customer"), ("low", "Billing", "resolved"),
                                                     ("normal", "Support", "open")]
            for (i, spec) in specs.enumerated() {
                f.clock.advance(60)
                _ = try await create(f, "Ticket \(i + 1)", department: spec.1, priority: spec.0)
                if spec.2 != "open" { _ = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .int(Int64(i + 1)), "status": .string(spec.2)]) }
            }
            func ids(_ p: [String: JSONValue]) async throws -> [String] {
                try await f.invoke("tickets.list", as: owner, site: f.siteA, p)["tickets"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            }
            #expect(try await ids([:]) == ["T-7", "T-6", "T-5", "T-4", "T-3", "T-2", "T-1"], "most recently active first")
            #expect(try await ids(["status": .string("open")]) == ["T-7", "T-2", "T-1"])
            #expect(try await ids(["status": .string("active")]) == ["T-7", "T-5", "T-3", "T-2", "T-1"])
            #expect(try await ids(["priority": .string("high")]) == ["T-5", "T-2"])
            #expect(try await ids(["department": .string("Billing")]) == ["T-6", "T-2"])
            #expect(try await ids(["department": .string("billing"), "priority": .string("low")]) == ["T-6"])
            f.clock.advance(60)
            _ = try await f.invoke("tickets.assign", as: owner, site: f.siteA, ["ticket_id": .int(3), "assignee_id": .int(f.owner.id.raw)])
            #expect(try await ids(["assignee": .string("mine")]) == ["T-3"])
            #expect(try await ids(["assignee": .int(f.owner.id.raw)]) == ["T-3"])
            #expect(try await ids(["assignee": .string("none"), "status": .string("pending")]) == [])
            let page = try await f.invoke("tickets.list", as: owner, site: f.siteA, ["limit": .int(3), "offset": .int(3)])
            #expect(page["total"] == .int(7))
            #expect(page["tickets"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["T-5", "T-4", "T-2"], "T-3 moved to the top when it was assigned")
            await #expect(throws: DomainError.validation(field: "status", message: "must be one of open, pending, waiting_on_customer, resolved, closed, active")) {
                try await f.invoke("tickets.list", as: owner, site: f.siteA, ["status": .string("lost")])
            }
            await #expect(throws: DomainError.validation(field: "department", message: "no department Sales in this site (departments.list shows them)")) {
                try await f.invoke("tickets.list", as: owner, site: f.siteA, ["department": .string("Sales")])
            }
            await #expect(throws: DomainError.validation(field: "assignee", message: "must be mine, none or a team member's id")) {
                try await f.invoke("tickets.list", as: owner, site: f.siteA, ["assignee": .string("somebody")])
            }
        }
    }
}

extension JSONValue {
    fileprivate var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
}
