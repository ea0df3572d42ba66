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

/// `POST /connectors.php?slug=stripe` over both engines: Stripe-signed deliveries (valid, wrong secret,
/// expired, replayed), dedupe by event id, the site found by its secret, and `order.completed` in the outbox.
/// Also the automation editor's save-time checks and the dry run.
@Suite struct PlatformWebhookTests {
    @Test(arguments: Engine.all)
    func stripeDeliveriesAreVerifiedDeduplicatedAndPublished(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            let secretA = "whsec_site_a_secret_0123456789", secretB = "whsec_site_b_secret_9876543210"
            await #expect(throws: DomainError.validation(field: "secret", message: "a Stripe signing secret starts with whsec_ (\(StripeWebhook().secretHint))")) {
                try await f.invoke("connectors.webhook_secret.set", as: owner, site: f.siteA, ["slug": .string("stripe"), "secret": .string("sk_live_wrong_kind_of_key")])
            }
            _ = try await f.invoke("connectors.webhook_secret.set", as: owner, site: f.siteA, ["slug": .string("stripe"), "secret": .string(secretA)])
            _ = try await f.invoke("connectors.webhook_secret.set", as: owner, site: f.siteB, ["slug": .string("stripe"), "secret": .string(secretB)])
            let sealed = try await t.db.read { try await $0.query("SELECT secret_sealed FROM platform_webhook_secrets") }.map { try $0.string("secret_sealed") }
            #expect(sealed.count == 2 && !sealed.contains { $0.contains("whsec_") }, "secrets are sealed at rest")
            let now = Int64(f.clock.now().timeIntervalSince1970)
            let order = AccessFixture.stripeOrder(id: "evt_1", intent: "pi_1", cents: 12550, email: "buyer@example.com")
            try await f.app().test(.router) { client in
                func post(_ body: String, _ sig: String?, query: String = "&site_key=\(f.siteA.siteKey)") async throws -> (HTTPResponse.Status, JSONValue) {
                    var h: HTTPFields = [.contentType: "application/json"]
                    if let sig { h[HTTPField.Name("Stripe-Signature")!] = sig }
                    let r = try await client.execute(uri: "/connectors.php?slug=stripe" + query, method: .post, headers: h, body: ByteBuffer(string: body))
                    return (r.status, try jsonBody(r))
                }
                var (status, body) = try await post(order, f.stripeHeader(order, secret: secretB, at: now))
                #expect(status == .badRequest && body["error"]?["message"]?.stringValue == "no v1 signature matches the body (check the signing secret)")
                (status, body) = try await post(order, f.stripeHeader(order, secret: secretA, at: now - 301))
                #expect(status == .badRequest && body["error"]?["message"]?.stringValue?.contains("300 seconds") == true)
                (status, body) = try await post(order, nil)
                #expect(status == .badRequest && body["error"]?["message"]?.stringValue == "missing Stripe-Signature header")
                (status, body) = try await post(order, f.stripeHeader(order, secret: secretA, at: now))
                #expect(status == .ok && body["duplicate"] == .bool(false) && body["published"] == .array([.string("order.completed")]))
                // Stripe retries: the same event id again is acknowledged and does nothing.
                (status, body) = try await post(order, f.stripeHeader(order, secret: secretA, at: now + 60))
                #expect(status == .ok && body["duplicate"] == .bool(true) && body["published"] == .array([]))
                // The checkout session of the same payment intent does not count the order twice.
                let session = #"{"id":"evt_2","type":"checkout.session.completed","data":{"object":{"id":"cs_1","payment_intent":"pi_1","amount_total":12550,"currency":"usd","payment_status":"paid","customer_details":{"email":"buyer@example.com"}}}}"#
                (status, body) = try await post(session, f.stripeHeader(session, secret: secretA, at: now))
                #expect(status == .ok && body["published"] == .array([]))
                // Types OpsIQ does not use are acknowledged and ignored.
                let other = #"{"id":"evt_3","type":"customer.updated","data":{"object":{"id":"cus_1"}}}"#
                (status, body) = try await post(other, f.stripeHeader(other, secret: secretA, at: now))
                #expect(status == .ok && body["type"]?.stringValue == "customer.updated" && body["published"] == .array([]))
                // Without site_key, the signature picks the site.
                let orderB = AccessFixture.stripeOrder(id: "evt_b1", intent: "pi_b1", cents: 990, email: "b@example.com")
                (status, body) = try await post(orderB, f.stripeHeader(orderB, secret: secretB, at: now), query: "")
                #expect(status == .ok && body["published"] == .array([.string("order.completed")]))
                let r = try await client.execute(uri: "/connectors.php?slug=paypal", method: .post, headers: [:], body: ByteBuffer(string: "{}"))
                #expect(r.status == .notFound)
            }
            let a = try await f.services.outbox.feed(f.siteA.id, since: 0, limit: 100, types: ["order.completed"], db: t.db)
            #expect(a.count == 1)
            let data = try JSONValue.parse(try #require(a.first).payload)
            #expect(data["amount"] == .double(125.5) && data["currency"] == .string("USD") && data["customer_email"] == .string("buyer@example.com")
                    && data["order_id"] == .string("pi_1") && data["platform_event_id"] == .string("evt_1"))
            let b = try await f.services.outbox.feed(f.siteB.id, since: 0, limit: 100, types: ["order.completed"], db: t.db)
            #expect(b.count == 1)
            let bData = try JSONValue.parse(try #require(b.first).payload)
            #expect(bData["amount"] == .double(9.9))
        }
    }

    @Test(arguments: Engine.all)
    func savingChecksConditionsStepsAndVariables(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let step = JSONValue.object(["action": .string("tickets.create"), "params": .object([
                "subject": .string("Server {{payload.hostname}} down"), "message": .string("m"), "customer_email": .string("m@example.com")])])
            func save(_ condition: String, trigger: JSONValue = .object(["kind": .string("webhook")]), steps: [JSONValue]? = nil) async throws -> JSONValue {
                try await f.save(["name": .string("Monitor"), "trigger": trigger, "condition": .string(condition), "steps": .array(steps ?? [step])])
            }
            await #expect(throws: DomainError.validation(field: "condition", message: "at position 18: the condition ends where a value was expected")) {
                try await save("payload.status = ")
            }
            await #expect(throws: DomainError.validation(field: "condition", message: "unknown variable ticket.status; with this trigger use automation, headers, payload, query, site, trigger")) {
                try await save(#"ticket.status = "open""#)
            }
            let badVar = JSONValue.object(["action": .string("tickets.create"), "params": .object([
                "subject": .string("Server {{payload.hostname}} {{hostname}}"), "message": .string("m"), "customer_email": .string("m@example.com")])])
            await #expect(throws: DomainError.validation(field: "steps[1].params", message: "unknown variable {{hostname}}; with this trigger use automation, headers, payload, query, site, trigger, steps")) {
                try await save("", steps: [badVar])
            }
            let forward = JSONValue.object(["action": .string("tickets.reply"), "params": .object(["ticket_id": .string("{{steps.1.result.id}}"), "message": .string("x")])])
            await #expect(throws: DomainError.validation(field: "steps[1].params", message: "unknown variable {{steps.1.result.id}}: the first step has no earlier step results to use")) {
                try await save("", steps: [forward])
            }
            await #expect(throws: DomainError.validation(field: "steps[1].action", message: "tickets.merge cannot run in an automation (only non-destructive actions on this site's tickets, analytics, events and CRM, and the email and webhook steps)")) {
                try await save("", steps: [.object(["action": .string("tickets.merge"), "params": .object(["ticket_id": .int(1), "into_ticket_id": .int(2)])])])
            }
            await #expect(throws: DomainError.validation(field: "steps[1].action", message: "settings.set cannot run in an automation (only non-destructive actions on this site's tickets, analytics, events and CRM, and the email and webhook steps)")) {
                try await save("", steps: [.object(["action": .string("settings.set"), "params": .object(["name": .string("timezone"), "value": .string("UTC")])])])
            }
            await #expect(throws: DomainError.validation(field: "steps[1].action", message: "automations.run cannot run in an automation (only non-destructive actions on this site's tickets, analytics, events and CRM, and the email and webhook steps)")) {
                try await save("", steps: [.object(["action": .string("automations.run"), "params": .object(["id": .int(1)])])])
            }
            await #expect(throws: DomainError.validation(field: "steps[1].params.subjct", message: "is not a parameter of tickets.create (expected: subject, message, department, customer_email, customer_name, priority, notify_customer)")) {
                try await save("", steps: [.object(["action": .string("tickets.create"), "params": .object(["subjct": .string("x")])])])
            }
            await #expect(throws: DomainError.validation(field: "trigger.cron", message: "is required for a schedule (e.g. 0 9 * * 1 for Mondays at 09:00)")) {
                try await save("", trigger: .object(["kind": .string("schedule")]))
            }
            await #expect(throws: DomainError.validation(field: "trigger.events[0]", message: "'order.complete' is not an event type (see events.catalog), a family like ticket.* or *")) {
                try await save("", trigger: .object(["kind": .string("event"), "events": .array([.string("order.complete")])]))
            }
            // Steps use earlier results; the dry run renders them and writes nothing.
            let ok = try await save(#"payload.status = "down""#, steps: [step, forward.replacing(index: 2)])
            let id = try #require(ok["id"]?.intValue)
            let dry = try await f.invoke("automations.dry_run", as: try await f.actor(f.owner), site: f.siteA,
                                         ["id": .int(id), "input": .object(["status": .string("down"), "hostname": .string("db-2")])])
            #expect(dry["status"]?.stringValue == "succeeded" && dry["dry_run"] == .bool(true))
            #expect(dry["steps"]?.encoded().contains(#""subject":"Server db-2 down""#) == true)
            #expect(dry["steps"]?.encoded().contains(#""status":"dry_run""#) == true)
            #expect(try await f.invoke("tickets.list", as: try await f.actor(f.owner), site: f.siteA)["total"]?.intValue == 0, "a dry run writes nothing")
            let skipped = try await f.invoke("automations.dry_run", as: try await f.actor(f.owner), site: f.siteA, ["id": .int(id), "input": .object(["status": .string("up")])])
            #expect(skipped["status"]?.stringValue == "skipped")
            // Manual run of the same automation goes through the worker and really creates the ticket.
            _ = try await f.invoke("automations.run", as: try await f.actor(f.owner), site: f.siteA, ["id": .int(id), "input": .object(["status": .string("down"), "hostname": .string("db-2")])])
            try await f.work()
            let runs = try await f.services.automations.runs(f.siteA.id, id: id)
            let manual = try #require(runs.first { !$0.dryRun })
            #expect(manual.status == .succeeded, "\(manual.error ?? "")")
            let log = try JSONValue.parse(manual.stepsLog)
            // Step 2 replied on the ticket step 1 created (its id came from step 1's result).
            #expect(log.encoded().contains(#""ticket_id":"T-1""#))
        }
    }
}

extension JSONValue {
    /// A copy of a step object with its params' ticket_id pointing at step 1 (the second step of a chain).
    fileprivate func replacing(index: Int) -> JSONValue {
        guard case .object(var o) = self else { return self }
        o["params"] = .object(["ticket_id": .string("{{steps.1.result.id}}"), "message": .string("Reply \(index)")])
        return .object(o)
    }
}
