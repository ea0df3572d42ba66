import Adapters
import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ports
import Testing
@testable import WebApp

/// Runs that go wrong (a receiver failing, then recovering; an address the SSRF guard refuses) and
/// the admin pages of Developer > Triggers and Developer > Event types, over both engines.
@Suite struct AutomationRunTests {
    func webhookAutomation(_ f: AccessFixture, url: String) async throws -> JSONValue {
        try await f.save(["name": .string("Relay"), "trigger": .object(["kind": .string("manual")]),
                          "steps": .array([.object(["action": .string("automations.send_webhook"),
                                                    "params": .object(["url": .string(url), "body": .object(["host": .string("{{payload.host}}")])])]),
                                           .object(["action": .string("tickets.list"), "params": .object(["limit": .int(5)])])])])
    }

    @Test(arguments: Engine.all)
    func aFailingStepIsRetriedWithBackoffAndResumes(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t, env: ["OPSIQ_OUTBOUND_ALLOW": "127.0.0.1/32", "OPSIQ_OUTBOUND_ALLOW_HTTP": "true"])
            let receiver = try LoopbackHTTPReceiver()
            defer { receiver.stop() }
            receiver.answer([500, 503])
            let a = try await webhookAutomation(f, url: receiver.url + "/in")
            let id = try #require(a["id"]?.intValue)
            _ = try await f.invoke("automations.run", as: try await f.actor(f.owner), site: f.siteA, ["id": .int(id), "input": .object(["host": .string("web-9")])])
            try await f.work()
            var run = try #require(try await f.runs(a).first)
            #expect(run.status == .running && receiver.requests.count == 1)
            #expect(run.error?.contains("attempt 1 failed: the receiver answered 500; retrying") == true, "\(run.error ?? "")")
            #expect(run.stepsLog.contains(#""status":"retrying""#))
            // Backoff: nothing happens until the retry is due (the clock is the test's, no sleeping).
            try await f.work()
            #expect(receiver.requests.count == 1)
            f.clock.advance(3600)
            try await f.work()
            #expect(receiver.requests.count == 2)
            f.clock.advance(4 * 3600)
            try await f.work()
            run = try #require(try await f.runs(a).first)
            #expect(run.status == .succeeded, "\(run.error ?? "")")
            #expect(receiver.requests.count == 3 && receiver.requests.allSatisfy { $0.body == #"{"host":"web-9"}"# })
            let log = try JSONValue.parse(run.stepsLog)
            guard case .array(let steps) = log else { Issue.record("no step log"); return }
            #expect(steps.count == 2 && steps[0]["attempt"]?.intValue == 3 && steps[0]["result"]?["status"]?.intValue == 200)
            #expect(steps[1]["result"]?["total"]?.intValue == 0, "the read step ran once, after the webhook succeeded")
        }
    }

    @Test(arguments: Engine.all)
    func theSSRFGuardRefusesLoopbackUnlessAllowed(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t, env: ["OPSIQ_OUTBOUND_ALLOW_HTTP": "true"])
            let receiver = try LoopbackHTTPReceiver()
            defer { receiver.stop() }
            let a = try await webhookAutomation(f, url: receiver.url + "/in")
            _ = try await f.invoke("automations.run", as: try await f.actor(f.owner), site: f.siteA, ["id": .int(try #require(a["id"]?.intValue))])
            try await f.work()
            let run = try #require(try await f.runs(a).first)
            #expect(run.status == .failed)
            #expect(run.error?.contains("refused by SSRF protection") == true, "\(run.error ?? "")")
            #expect(receiver.requests.isEmpty)
            #expect(!run.stepsLog.contains("tickets.list"), "later steps do not run after a failed step")
        }
    }

    @Test(arguments: Engine.all)
    func adminPagesCreateEditDryRunAndListEventTypes(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            try await f.app().test(.router) { client in
                let owner = BrowserSession()
                _ = try await owner.signIn(client, email: f.owner.email, password: AccessFixture.password)
                var page = try await owner.get(client, "/admin/triggers")
                #expect(page.status == .ok)
                var html = String(buffer: page.body)
                #expect(html.contains("id=\"empty\"") && html.contains("/connectors.php?slug=stripe&amp;site_key=\(f.siteA.siteKey)"))
                let csrf = try #require(BrowserSession.csrf(in: html))
                var fields: [(String, String)] = [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("name", "Monitor <b>"), ("enabled", "on"), ("trigger_kind", "webhook"),
                                                  ("condition", "payload.status = "), ("step1_action", "tickets.create"),
                                                  ("step1_params", #"{"subject": "Server {{payload.hostname}} down", "message": "m", "customer_email": "m@example.com", "priority": "urgent"}"#)]
                page = try await owner.post(client, "/admin/triggers/save", fields)
                #expect(page.status == .unprocessableContent)
                html = String(buffer: page.body)
                #expect(html.contains("condition: at position 18: the condition ends where a value was expected"))
                #expect(html.contains("Monitor &lt;b&gt;"), "the form keeps what was typed, escaped")
                fields[5] = ("condition", #"payload.status = "down""#)
                page = try await owner.post(client, "/admin/triggers/save", fields)
                #expect(page.status == .seeOther || page.status == .found)
                let location = try #require(page.headers[.location])
                #expect(location.hasPrefix("/admin/triggers/"))
                let editPath = String(location.split(separator: "?")[0])
                page = try await owner.get(client, editPath)
                html = String(buffer: page.body)
                #expect(html.contains("/hooks/ah_") && html.contains("tickets.create\" selected") && html.contains("Monitor &lt;b&gt;"))
                page = try await owner.post(client, editPath + "/dry-run", [("_csrf", csrf), ("input", #"{"status": "down", "hostname": "db-7"}"#)])
                html = String(buffer: page.body)
                #expect(page.status == .ok && html.contains("id=\"dry-condition\">holds") && html.contains("Server db-7 down"))
                #expect(html.contains("dry run"), "the dry run is in the run log")
                page = try await owner.get(client, "/admin/triggers")
                #expect(String(buffer: page.body).contains("Monitor &lt;b&gt;"))
                page = try await owner.get(client, "/admin/event-catalog")
                html = String(buffer: page.body)
                #expect(page.status == .ok && html.contains("order.completed") && html.contains("ticket.sla_breached") && html.contains("tickets.read"))
                let agent = BrowserSession()
                _ = try await agent.signIn(client, email: f.agentA.email, password: AccessFixture.password)
                #expect(try await agent.get(client, "/admin/triggers").status == .forbidden)
                #expect(try await agent.get(client, "/admin/event-catalog").status == .forbidden)
            }
            #expect(try await f.services.automations.list(f.siteA.id).count == 1)
            #expect(try await f.invoke("tickets.list", as: try await f.actor(f.owner), site: f.siteA)["total"]?.intValue == 0, "the dry run created no ticket")
        }
    }

    @Test(arguments: Engine.all)
    func eventTriggersStartFromTheWorkersOutboxLoopWithinASecond(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            let a = try await f.save([
                "name": .string("Note on urgent tickets"), "trigger": .object(["kind": .string("event"), "events": .array([.string("ticket.created")])]),
                "condition": .string(#"ticket.priority = "urgent""#),
                "steps": .array([.object(["action": .string("tickets.reply"), "params": .object([
                    "ticket_id": .string("{{ticket.number}}"), "internal": .bool(true), "message": .string("Urgent ticket {{ticket.number}} seen by the automation.")])])]),
            ])
            f.clock.advance(1)
            // The worker's outbox loop as opsiq-worker runs it (real sleeping, no scheduler tick).
            let service = f.services.makeWebhookService(workerID: "loop-test")
            let loop = Task { await service.loop() }
            defer { service.stopFlag.stop() }
            let created = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Site down"), "message": .string("Help"),
                                                                                         "customer_email": .string("c@example.com"), "priority": .string("urgent")])
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Question"), "message": .string("Hi"),
                                                                               "customer_email": .string("d@example.com")])
            let start = Date()
            var runs: [AutomationRunRecord] = []
            while Date().timeIntervalSince(start) < 5 {
                runs = try await f.runs(a)
                if !runs.isEmpty { break }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            let waited = Date().timeIntervalSince(start)
            service.stopFlag.stop()
            await loop.value
            #expect(runs.count == 1, "one run, for the urgent ticket only")
            #expect(waited < 1, "the run started \(waited) s after the event, without waiting for the minute job")
            try await f.work()
            let number = try #require(created["number"]?.intValue)
            let detail = try await f.invoke("tickets.get", as: owner, site: f.siteA, ["ticket_id": .int(number)])
            guard case .array(let messages)? = detail["messages"] else { Issue.record("no messages"); return }
            #expect(messages.contains { $0["internal"] == .bool(true) && $0["body"]?.stringValue == "Urgent ticket \(number) seen by the automation." })
            // The minute job, running later as a backstop, does not start the run again.
            _ = try await f.services.automations.dispatchEvents()
            try await f.work()
            #expect(try await f.runs(a).count == 1)
        }
    }
}
