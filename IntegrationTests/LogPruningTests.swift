import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// The hourly housekeeping job (`platform.prune`) keeps the webhook delivery log and the automation
/// run log for OPSIQ_DELIVERY_LOG_DAYS (30) days, over both engines. What survives, whatever its age:
/// every delivery still pending (its event is not delivered yet), and the "already done for this
/// ticket and reply" mark of a for-each schedule, so pruning never makes an escalation act twice.
@Suite struct LogPruningTests {
    @Test(arguments: Engine.all)
    func oldLogsArePrunedWhilePendingDeliveriesAndTicketMarksSurvive(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let w = try await WebhookFixture.make(t)
            let f = w.f
            let owner = try await f.actor(f.owner)
            let receiver = try LoopbackHTTPReceiver()
            defer { receiver.stop() }
            f.clock.set(ISO8601DateFormatter().date(from: "2026-10-01T10:10:00Z")!)

            // Webhooks: one endpoint that answers, one whose receiver is down (connection refused).
            let up = try await w.create(url: receiver.url + "/up", events: ["order.*"])
            let down = try await w.create(url: "http://127.0.0.1:1/down", events: ["order.*"])
            try await w.publish("order.completed", #"{"n":1}"#)
            try await w.publish("order.completed", #"{"n":2}"#)
            try await w.drain()
            let oldDelivered = try await w.deliveries(up.id)
            #expect(oldDelivered.count == 2 && oldDelivered.allSatisfy { $0.status == .delivered })
            #expect(try await w.deliveries(down.id).allSatisfy { $0.status == .pending })

            // Automations: a manual run, and a for-each escalation that acted on one stale ticket.
            let manual = try await f.save(["name": .string("List"), "trigger": .object(["kind": .string("manual")]),
                                           "steps": .array([.object(["action": .string("tickets.list"), "params": .object(["limit": .int(1)])])])])
            _ = try await f.invoke("automations.run", as: owner, site: f.siteA, ["id": .int(try #require(manual["id"]?.intValue))])
            let ticket = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Stale"), "message": .string("Help"),
                                                                                        "customer_email": .string("c@example.com")])
            let number = try #require(ticket["number"]?.intValue)
            let escalation = try await f.save([
                "name": .string("Escalate"), "trigger": .object(["kind": .string("schedule"), "cron": .string("0 * * * *"), "for_each": .string("tickets")]),
                "condition": .string("ticket.last_reply_age > 86400"),
                "steps": .array([.object(["action": .string("tickets.reply"), "params": .object(["ticket_id": .string("{{ticket.number}}"), "internal": .bool(true),
                                                                                                   "message": .string("Escalated.")])])]),
            ])
            f.clock.set(ISO8601DateFormatter().date(from: "2026-10-02T12:00:03Z")!)
            let scheduler = f.services.makeScheduler(workerID: "test")
            try await f.tickAndWork(scheduler)
            #expect(try await f.runs(manual).map(\.status) == [.succeeded])
            #expect(try await f.runs(escalation).map(\.status) == [.succeeded])

            // 31 days later: one more event, delivered now (new enough to keep).
            f.clock.set(ISO8601DateFormatter().date(from: "2026-11-02T12:30:00Z")!)
            try await w.publish("order.completed", #"{"n":3}"#)
            try await w.drain()
            let attemptsBefore = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM webhook_attempts")?.int("n") } ?? 0

            _ = try await f.services.db.transaction { try await f.services.jobs.enqueue(NewJob(kind: Maintenance.pruneKind, payload: "{}"), now: f.clock.now(), in: $0) }
            try await f.work()

            let kept = try await w.deliveries(up.id)
            #expect(kept.count == 1 && kept[0].status == .delivered && !oldDelivered.contains { $0.id == kept[0].id }, "only the new delivery is left")
            let orphans = try await t.db.read { conn in
                try await conn.queryFirst("SELECT COUNT(*) AS n FROM webhook_attempts WHERE delivery_id IN (?, ?)",
                                          [.int(oldDelivered[0].id), .int(oldDelivered[1].id)])?.int("n")
            }
            #expect(orphans == 0, "the attempts of pruned deliveries go with them")
            let attemptsAfter = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM webhook_attempts")?.int("n") } ?? 0
            #expect(attemptsAfter == attemptsBefore - 2)
            let waiting = try await w.deliveries(down.id)
            #expect(waiting.count == 3 && waiting.allSatisfy { $0.status == .pending }, "undelivered events are never pruned, however old")

            #expect(try await f.runs(manual).isEmpty, "the old manual run is pruned")
            let marks = try await f.runs(escalation)
            #expect(marks.count == 1 && marks[0].input == "{}" && marks[0].stepsLog == "[]", "the ticket mark stays, emptied")

            // The next hourly tick does not escalate the same ticket again.
            f.clock.set(ISO8601DateFormatter().date(from: "2026-11-02T13:00:02Z")!)
            try await f.tickAndWork(scheduler)
            #expect(try await f.runs(escalation).count == 1)
            let detail = try await f.invoke("tickets.get", as: owner, site: f.siteA, ["ticket_id": .int(number)])
            guard case .array(let messages)? = detail["messages"] else { Issue.record("no messages"); return }
            #expect(messages.filter { $0["internal"] == .bool(true) }.count == 1)
        }
    }

    @Test func theRetentionIsAValidatedSetting() throws {
        #expect(try AppConfig.load(environment: ["OPSIQ_DATA_DIR": "/tmp"]).deliveryLogDays == 30)
        #expect(try AppConfig.load(environment: ["OPSIQ_DATA_DIR": "/tmp", "OPSIQ_DELIVERY_LOG_DAYS": "7"]).deliveryLogDays == 7)
        #expect(throws: ConfigError.self) { try AppConfig.load(environment: ["OPSIQ_DATA_DIR": "/tmp", "OPSIQ_DELIVERY_LOG_DAYS": "0"]) }
        #expect(throws: ConfigError.self) { try AppConfig.load(environment: ["OPSIQ_DATA_DIR": "/tmp", "OPSIQ_DELIVERY_LOG_DAYS": "soon"]) }
    }
}
