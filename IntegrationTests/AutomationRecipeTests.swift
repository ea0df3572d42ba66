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

/// The four recipes of the Triggers cookbook, end to end as written: real HTTP into the app, real
/// jobs through the worker's runner, a real loopback receiver, the real mail outbox.
@Suite struct AutomationRecipeTests {
    @Test(arguments: Engine.all)
    func monitoringAlertCreatesAnUrgentTicket(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            _ = try await f.invoke("departments.create", as: try await f.actor(f.owner), site: f.siteA, ["name": .string("Technical")])
            let a = try await f.save([
                "name": .string("Auto-create ticket from monitoring"), "trigger": .object(["kind": .string("webhook")]),
                "condition": .string(#"payload.status = "down""#), "webhook_secret": .string("hook-secret-0123456789"),
                "steps": .array([.object(["action": .string("tickets.create"), "params": .object([
                    "department": .string("Technical"), "subject": .string("Server {{payload.hostname}} down"), "priority": .string("urgent"),
                    "message": .string("Monitoring reports {{payload.hostname}} as {{payload.status}}."),
                    "customer_email": .string("monitoring@example.com"), "customer_name": .string("Monitoring")])])]),
            ])
            let url = try #require(a["hook_url"]?.stringValue)
            let path = String(url.dropFirst(f.services.config.baseURL.count))
            #expect(path.hasPrefix("/hooks/ah_") && path.count > 40)
            let down = #"{"status":"down","hostname":"web-1"}"#
            try await f.app().test(.router) { client in
                func post(_ body: String, sig: String?, to other: String? = nil) async throws -> TestResponse {
                    var h: HTTPFields = [.contentType: "application/json"]
                    if let sig { h[HTTPField.Name("X-Signature")!] = sig }
                    return try await client.execute(uri: other ?? path, method: .post, headers: h, body: ByteBuffer(string: body))
                }
                // The signature is the spec's algorithm, computed independently (Python hmac): hex HMAC-SHA256 of the raw body.
                let good = "76962e407e7933cd4babc5bc9a249a4af3d4f2464372ede7640f1455b45850bc"
                var r = try await post(down, sig: good)
                #expect(r.status == .accepted)
                #expect(try jsonBody(r)["status"]?.stringValue == "queued")
                r = try await post(down, sig: "sha256=" + good.uppercased())
                #expect(r.status == .accepted, "the sha256= prefix and upper-case hex are accepted")
                r = try await post(down, sig: String(good.dropLast()) + "0")
                #expect(r.status == .unauthorized)
                #expect(try jsonBody(r)["error"]?["message"]?.stringValue == "the signature does not match the body")
                r = try await post(down, sig: nil)
                #expect(r.status == .unauthorized)
                r = try await post(#"{"status":"down","hostname":"web-1"} "#, sig: good)
                #expect(r.status == .unauthorized, "a changed body fails")
                let up = #"{"status":"up","hostname":"web-2"}"#
                r = try await post(up, sig: CryptoDigests().hmacSHA256(key: Array("hook-secret-0123456789".utf8), message: Array(up.utf8)).hexString)
                #expect(r.status == .ok)
                #expect(try jsonBody(r)["status"]?.stringValue == "skipped")
                r = try await post(down, sig: good, to: "/hooks/ah_nosuchtoken")
                #expect(r.status == .notFound)
                // A sender's retry with the same Idempotency-Key starts nothing.
                for expected in [HTTPResponse.Status.accepted, .ok] {
                    let again = try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json", HTTPField.Name("X-Signature")!: good,
                                                                                             HTTPField.Name("Idempotency-Key")!: "alert-77"], body: ByteBuffer(string: down))
                    #expect(again.status == expected)
                    if expected == .ok { #expect(try jsonBody(again)["duplicate"] == .bool(true)) }
                }
            }
            // Nothing ran inside the requests: the tickets appear when the worker runs the jobs.
            #expect(try await f.invoke("tickets.list", as: try await f.actor(f.owner), site: f.siteA)["total"]?.intValue == 0)
            try await f.work()
            let list = try await f.invoke("tickets.list", as: try await f.actor(f.owner), site: f.siteA)
            let tickets = try #require(list["tickets"].flatMap { if case .array(let a) = $0 { return a } else { return nil } })
            #expect(tickets.count == 3, "three accepted deliveries (a repeat with the same Idempotency-Key is not one), three tickets")
            let technical = try #require(try await f.services.departments.list(f.siteA.id, includeArchived: false).first { $0.name == "Technical" })
            for tk in tickets {
                #expect(tk["subject"]?.stringValue == "Server web-1 down")
                #expect(tk["priority"]?.stringValue == "urgent")
                #expect(tk["department_id"]?.intValue == technical.id)
            }
            let runs = try await f.runs(a)
            #expect(runs.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.skipped, .succeeded, .succeeded, .succeeded])
            let ok = try #require(runs.first { $0.status == .succeeded })
            let log = try JSONValue.parse(ok.stepsLog)
            #expect(log.encoded().contains(#""subject":"Server web-1 down""#) && log.encoded().contains(#""status":"ok""#))
            #expect(try JSONValue.parse(ok.input)["payload"]?["hostname"]?.stringValue == "web-1")
            // The sender's secret is sealed at rest.
            let raw = try await t.db.read { try await $0.queryFirst("SELECT hook_secret_sealed FROM automations")?.string("hook_secret_sealed") } ?? ""
            #expect(!raw.isEmpty && !raw.contains("hook-secret"))
        }
    }

    @Test(arguments: Engine.all)
    func bigStripeOrdersNotifySlack(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            // The real SSRF-guarded client, with loopback allowed the way an operator allows an internal receiver.
            let f = try await AccessFixture.make(t, env: ["OPSIQ_OUTBOUND_ALLOW": "127.0.0.1/32", "OPSIQ_OUTBOUND_ALLOW_HTTP": "true"])
            let slack = try LoopbackHTTPReceiver()
            defer { slack.stop() }
            let secret = "whsec_recipe_secret_abcdef0123"
            _ = try await f.invoke("connectors.webhook_secret.set", as: try await f.actor(f.owner), site: f.siteA, ["slug": .string("stripe"), "secret": .string(secret)])
            let a = try await f.save([
                "name": .string("Slack notification on big orders"), "trigger": .object(["kind": .string("event"), "events": .array([.string("order.completed")])]),
                "condition": .string("order.amount > 100"),
                "steps": .array([.object(["action": .string("automations.send_webhook"), "params": .object([
                    "url": .string(slack.url + "/services/T000/B000/XXXX"),
                    "body": .object(["text": .string("New order {{order.order_id}}: {{order.amount}} {{order.currency}} from {{order.customer_email}}")])])])]),
            ])
            f.clock.advance(5)
            let now = Int64(f.clock.now().timeIntervalSince1970)
            let big = AccessFixture.stripeOrder(id: "evt_big", intent: "pi_big", cents: 12550, email: "buyer@example.com")
            let small = AccessFixture.stripeOrder(id: "evt_small", intent: "pi_small", cents: 4999, email: "cheap@example.com")
            try await f.app().test(.router) { client in
                for body in [big, small] {
                    let r = try await client.execute(uri: "/connectors.php?slug=stripe&site_key=\(f.siteA.siteKey)", method: .post,
                                                     headers: [HTTPField.Name("Stripe-Signature")!: f.stripeHeader(body, secret: secret, at: now)], body: ByteBuffer(string: body))
                    #expect(r.status == .ok)
                    #expect(try jsonBody(r)["published"] == .array([.string("order.completed")]))
                }
            }
            #expect(slack.requests.isEmpty, "nothing is sent inside the webhook request")
            let scheduler = f.services.makeScheduler(workerID: "test")
            try await f.tickAndWork(scheduler)
            #expect(slack.requests.count == 1)
            let got = try #require(slack.requests.first)
            #expect(got.method == "POST" && got.path == "/services/T000/B000/XXXX")
            #expect(got.headers["content-type"] == "application/json")
            #expect(try JSONValue.parse(got.body)["text"]?.stringValue == "New order pi_big: 125.5 USD from buyer@example.com")
            // Another pass neither repeats the big order nor sends the small one.
            f.clock.advance(60)
            try await f.tickAndWork(scheduler)
            #expect(slack.requests.count == 1)
            let runs = try await f.runs(a)
            #expect(runs.count == 1 && runs[0].status == .succeeded && runs[0].dedupeKey?.hasPrefix("evt:") == true)
        }
    }

    @Test(arguments: Engine.all)
    func weeklyDigestGoesToManagementOnMondayAtNineLocalTime(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            _ = try await f.invoke("settings.set", as: try await f.actor(f.owner), site: f.siteA, ["name": .string("timezone"), "value": .string("Europe/Berlin")])
            let a = try await f.save([
                "name": .string("Weekly digest email"), "trigger": .object(["kind": .string("schedule"), "cron": .string("0 9 * * 1")]),
                "steps": .array([
                    .object(["action": .string("analytics.dashboard"), "params": .object(["range": .string("last_7_days")])]),
                    .object(["action": .string("automations.send_email"), "params": .object([
                        "to": .string("management@example.com"), "subject": .string("Weekly digest for {{site.name}}"),
                        "text": .string("Last week ({{steps.1.result.range.from}} to {{steps.1.result.range.to}}):\nVisitors: {{steps.1.result.unique_visitors}}\nSessions: {{steps.1.result.sessions}}\nPage views: {{steps.1.result.pageviews}}")])]),
                ]),
            ])
            let scheduler = f.services.makeScheduler(workerID: "test")
            // Monday 7 December 2026. Berlin is UTC+1 in winter, so 09:00 there is 08:00 UTC.
            f.clock.set(ISO8601DateFormatter().date(from: "2026-12-07T07:59:20Z")!)
            try await f.tickAndWork(scheduler)
            #expect(try await f.runs(a).isEmpty, "08:59 in Berlin: not yet")
            f.clock.set(ISO8601DateFormatter().date(from: "2026-12-07T08:00:05Z")!)
            try await f.tickAndWork(scheduler)
            f.clock.set(ISO8601DateFormatter().date(from: "2026-12-07T09:00:05Z")!)
            try await f.tickAndWork(scheduler)
            let runs = try await f.runs(a)
            #expect(runs.count == 1 && runs.first?.status == .succeeded, "\(runs.map(\.status)): once, at 09:00 Berlin, not at 09:00 UTC")
            let mails = try await f.services.db.read { try await f.services.mailOutbox.list(f.siteA.id, status: nil, ticketID: nil, limit: 10, offset: 0, in: $0) }.mails
            let digest = try #require(mails.first { $0.kind == "automation" })
            #expect(digest.mail.to.map(\.email) == ["management@example.com"])
            #expect(digest.mail.subject == "Weekly digest for Site A")
            #expect(digest.status == .held, "no SMTP in tests: kept in the outbox")
            #expect(digest.mail.textBody.hasPrefix("Last week (2026-12-01 to 2026-12-07):\nVisitors: 0\nSessions: 0\nPage views: 0"), "\(digest.mail.textBody)")
        }
    }

    @Test(arguments: Engine.all)
    func hourlyEscalationOfStaleTickets(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            func ticket(_ subject: String) async throws -> Int64 {
                let r = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string(subject), "message": .string("Help"),
                                                                                           "customer_email": .string("c@example.com")])
                guard let n = r["number"]?.intValue else { throw DomainError.notFound("tickets.create returned no number") }
                return n
            }
            f.clock.set(ISO8601DateFormatter().date(from: "2026-12-01T10:10:00Z")!)
            let stale = try await ticket("Stale")
            let pending = try await ticket("Stale but pending")
            _ = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .int(pending), "status": .string("pending")])
            f.clock.advance(25 * 3600)
            let fresh = try await ticket("Fresh")
            let lead = f.admin
            let a = try await f.save([
                "name": .string("Escalate stale tickets"), "trigger": .object(["kind": .string("schedule"), "cron": .string("0 * * * *"), "for_each": .string("tickets")]),
                "condition": .string(#"ticket.status = "Open" AND ticket.last_reply_age > 86400"#),
                "steps": .array([
                    .object(["action": .string("tickets.assign"), "params": .object(["ticket_id": .string("{{ticket.number}}"), "assignee_id": .int(lead.id.raw)])]),
                    .object(["action": .string("tickets.reply"), "params": .object(["ticket_id": .string("{{ticket.number}}"), "internal": .bool(true),
                                                                                    "message": .string("Escalated to the team lead: no reply for {{ticket.last_reply_age}} seconds.")])]),
                ]),
            ])
            let scheduler = f.services.makeScheduler(workerID: "test")
            f.clock.set(ISO8601DateFormatter().date(from: "2026-12-02T12:00:03Z")!)
            try await f.tickAndWork(scheduler)
            func detail(_ n: Int64) async throws -> JSONValue { try await f.invoke("tickets.get", as: owner, site: f.siteA, ["ticket_id": .int(n)]) }
            func notes(_ d: JSONValue) -> [String] {
                guard case .array(let m)? = d["messages"] else { return [] }
                return m.filter { $0["internal"] == .bool(true) }.compactMap { $0["body"]?.stringValue }
            }
            let s = try await detail(stale)
            #expect(s["assignee_id"]?.intValue == lead.id.raw)
            #expect(notes(s) == ["Escalated to the team lead: no reply for 93003 seconds."])
            for n in [fresh, pending] {
                let d = try await detail(n)
                #expect(d["assignee_id"] == .null && notes(d).isEmpty, "T-\(n) is left alone")
            }
            // The next hour: the stale ticket was handled for this last reply, so nothing happens twice.
            f.clock.advance(3600)
            try await f.tickAndWork(scheduler)
            #expect(notes(try await detail(stale)).count == 1)
            let runs = try await f.runs(a)
            #expect(runs.count == 1 && runs[0].status == .succeeded)
            #expect(try JSONValue.parse(runs[0].input)["ticket"]?["number"]?.intValue == stale)
        }
    }
}
