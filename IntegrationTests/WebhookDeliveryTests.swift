import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// Outbound webhooks end to end on both engines: real outbox, real libcurl, real loopback receivers
/// (the spec's Node and PHP verifiers unchanged, and a scripted Python receiver), a hand-moved clock.
@Suite(.serialized) struct WebhookDeliveryTests {
    /// Slashes, non-ASCII, escapes, numbers JavaScript rewrites, integer-like keys V8 reorders.
    static let trickyPayload = #"{"title":"Café / naïve ☕ 😀","url":"https:\/\/x.example\/a\/b","n":1.0,"big":12345678901234567890,"small":0.0000001,"neg":-0.0,"esc":"line\nbreak\t\"q\" \\ \u0001 \u00e9","10":"ten","2":"two","nested":{"z":1,"a":[1,2.50,{"k":null}],"e":1E3},"t":true}"#

    @Test(arguments: Engine.all)
    func specVerifiersAcceptRealDeliveries(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let w = try await WebhookFixture.make(t)
            let nodeEP = try await w.create(url: "http://127.0.0.1:9/opsiq-webhook", events: ["ticket.*"])
            let phpEP = try await w.create(url: "http://127.0.0.1:9/opsiq-webhook", events: ["*"])
            let node = try await HTTPReceiver(.node(secret: nodeEP.secret))
            defer { node.stop() }
            let php = try await HTTPReceiver(.php(secret: phpEP.secret))
            defer { php.stop() }
            let raw = try await HTTPReceiver()
            defer { raw.stop() }
            try await w.setURL(nodeEP.id, "\(node.base)/opsiq-webhook")
            try await w.setURL(phpEP.id, "\(php.base)/opsiq-webhook")
            let rawEP = try await w.create(url: "\(raw.base)/hook", events: ["ticket.created"])
            #expect(nodeEP.secret.hasPrefix("opsiq_whsec_") && nodeEP.secret.count == 44)

            let e1 = try await w.publish("ticket.created", Self.trickyPayload)
            let e2 = try await w.publish("ticket.replied", #"{"ticket_id":"T-1","body":"<b>hi</b>"}"#)
            let e3 = try await w.publish("crm.deal.won", #"{"amount":1999.99,"currency":"EUR"}"#)
            try await w.publish("ticket.created", "{}", site: w.f.siteB)  // another site: nobody here hears it
            try await w.drain()

            #expect(node.requests.map(\.eventID) == [e1.eventID, e2.eventID])
            #expect(node.requests.map(\.answered) == [200, 200], "the spec's Node verifier accepted both: \(node.output)")
            #expect(php.requests.map(\.eventID) == [e1.eventID, e2.eventID, e3.eventID])
            #expect(php.requests.map(\.answered) == [200, 200, 200], "the spec's PHP verifier accepted all three")
            let got = try #require(raw.requests.first)
            #expect(raw.requests.count == 1)
            let body = got.bodyText
            #expect(body.hasPrefix(#"{"event_id":"\#(e1.eventID)","event":"ticket.created","created_at":""#))
            #expect(body.contains(#","site_key":"\#(w.f.siteA.siteKey)","data":{"2":"two","10":"ten","title":"Café / naïve ☕ 😀","url":"https://x.example/a/b","n":1,"big":12345678901234567000,"small":1e-7,"neg":0,"#))
            #expect(body.hasSuffix(#""nested":{"z":1,"a":[1,2.5,{"k":null}],"e":1000},"t":true}}"#))
            let digests = CryptoDigests()
            #expect(got.header("X-OpsIQ-Signature") == digests.hmacSHA256(key: Array(rawEP.secret.utf8), message: got.body).hexString)
            let ts = try #require(got.header("webhook-timestamp"))
            #expect(got.header("webhook-id") == e1.eventID && ts == String(Int64(w.clock.now().timeIntervalSince1970)))
            let key = try #require(Data(base64Encoded: String(rawEP.secret.dropFirst("opsiq_whsec_".count))))
            let expected = "v1," + Data(digests.hmacSHA256(key: [UInt8](key), message: Array("\(e1.eventID).\(ts).".utf8) + got.body)).base64EncodedString()
            #expect(got.header("webhook-signature") == expected)
            #expect(got.header("Content-Type") == "application/json" && got.header("User-Agent") == "OpsIQ-Webhooks/1")
            #expect(got.header("X-OpsIQ-Signature-Previous") == nil)

            let log = try await w.invoke("webhooks.deliveries.list", ["endpoint_id": .int(phpEP.id), "delivery_id": .int(try await w.deliveries(phpEP.id)[0].id)])
            guard case .array(let ds)? = log["deliveries"], case .array(let attempts)? = log["attempts"] else { Issue.record("no log"); return }
            #expect(ds.count == 3 && ds.allSatisfy { $0["status"]?.stringValue == "delivered" })
            #expect(attempts.count == 1 && attempts[0]["status"]?.intValue == 200)
            #expect(attempts[0]["request_headers"]?.stringValue?.contains("X-OpsIQ-Signature: ") == true)
            #expect(attempts[0]["response_excerpt"]?.stringValue == #"{"received":true}"#)
        }
    }

    @Test(arguments: Engine.all)
    func rotationSignsWithBothSecretsDuringTheGracePeriod(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let w = try await WebhookFixture.make(t)
            let oldEP = try await w.create(url: "http://127.0.0.1:9/opsiq-webhook", events: ["*"])
            let rotated = try await w.invoke("webhooks.endpoints.rotate_secret", ["id": .int(oldEP.id)])
            let newSecret = try #require(rotated["secret"]?.stringValue)
            #expect(newSecret != oldEP.secret && newSecret.hasPrefix("opsiq_whsec_"))
            // A receiver still on the old secret (Node) and one already on the new one (PHP).
            let oldNode = try await HTTPReceiver(.node(secret: oldEP.secret))
            defer { oldNode.stop() }
            let raw = try await HTTPReceiver()
            defer { raw.stop() }
            try await w.setURL(oldEP.id, "\(raw.base)/hook")
            let e = try await w.publish("ticket.created", #"{"a":1}"#)
            try await w.drain()
            let got = try #require(raw.requests.first)
            let d = CryptoDigests()
            #expect(got.header("X-OpsIQ-Signature") == d.hmacSHA256(key: Array(newSecret.utf8), message: got.body).hexString)
            #expect(got.header("X-OpsIQ-Signature-Previous") == d.hmacSHA256(key: Array(oldEP.secret.utf8), message: got.body).hexString)
            #expect(got.header("webhook-signature")?.split(separator: " ").count == 2)
            #expect(got.eventID == e.eventID)
            // After the grace period only the new secret signs.
            w.clock.advance(86400 + 1)
            try await w.publish("ticket.created", #"{"a":2}"#)
            try await w.drain()
            let later = try #require(raw.requests.last)
            #expect(later.header("X-OpsIQ-Signature-Previous") == nil && later.header("webhook-signature")?.split(separator: " ").count == 1)
            // The old secret's verifier refuses what only the new secret signed.
            try await w.setURL(oldEP.id, "\(oldNode.base)/opsiq-webhook")
            try await w.publish("ticket.created", #"{"a":3}"#)
            try await w.drain()
            #expect(oldNode.requests.map(\.answered) == [500] || oldNode.requests.map(\.answered) == [401])
        }
    }

    @Test(arguments: Engine.all)
    func scriptedFailuresRetryWithBackoffRetryAfterAndGone(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let w = try await WebhookFixture.make(t)
            let r = try await HTTPReceiver()
            defer { r.stop() }
            let ep = try await w.create(url: "\(r.base)/hook", events: ["ticket.created"])
            try await r.setMode("500")
            try await w.publish("ticket.created", #"{"n":1}"#)
            try await w.drain()
            var d = try #require(try await w.deliveries(ep.id).first)
            let wait1 = d.nextAttemptAt.timeIntervalSince(w.clock.now())
            #expect(d.status == .pending && d.attempts == 1 && d.lastStatusCode == 500 && wait1 >= 4 && wait1 <= 6, "5 s ± 20 %: \(wait1)")
            try await w.drain()
            #expect(r.requests.count == 1, "nothing is sent before it is due")

            w.clock.advance(6)
            try await r.setMode("429:120")
            try await w.drain()
            d = try #require(try await w.deliveries(ep.id).first)
            #expect(d.attempts == 2 && d.lastStatusCode == 429 && abs(d.nextAttemptAt.timeIntervalSince(w.clock.now()) - 120) < 0.01, "Retry-After honoured")

            w.clock.advance(121)
            try await r.setMode("sleep:3")
            try await w.drain()
            d = try #require(try await w.deliveries(ep.id).first)
            #expect(d.attempts == 3 && d.lastStatusCode == nil && d.lastError?.contains("no answer within 1 s") == true)
            let wait3 = d.nextAttemptAt.timeIntervalSince(w.clock.now())
            #expect(wait3 >= 1440 && wait3 <= 2160, "30 min ± 20 %: \(wait3)")

            let closed = try freePort()
            try await w.setURL(ep.id, "http://127.0.0.1:\(closed)/hook")
            _ = try await w.advanceToNextAttempt(ep.id)
            try await w.drain()
            d = try #require(try await w.deliveries(ep.id).first)
            #expect(d.attempts == 4 && d.lastError?.contains("connection refused") == true)

            // SSRF at delivery time: a name that resolves to a private address is refused on the attempt.
            let hosts = try EtcHosts([("10.20.30.40", "hook-private.opsiq.test")])
            defer { hosts.remove() }
            try await w.setURL(ep.id, "http://hook-private.opsiq.test:\(r.port)/hook")
            _ = try await w.advanceToNextAttempt(ep.id)
            try await w.drain()
            d = try #require(try await w.deliveries(ep.id).first)
            #expect(d.attempts == 5 && d.lastError?.contains("refused by SSRF protection") == true)

            try await w.setURL(ep.id, "\(r.base)/hook")
            try await r.setMode("410")
            _ = try await w.advanceToNextAttempt(ep.id)
            try await w.drain()
            let e = try await w.endpoint(ep.id)
            #expect(!e.enabled && e.disabledReason == "the endpoint answered 410 Gone")
            d = try #require(try await w.deliveries(ep.id).first)
            #expect(d.status == .pending && d.attempts == 6, "disabling drops nothing")
            let attempts = try await w.s.webhooks.attempts(w.f.siteA.id, delivery: d.id)
            #expect(attempts.count == 6 && attempts[0].responseExcerpt == "<b>scripted failure</b>")
            let events = try await w.s.outbox.feed(w.f.siteA.id, since: 0, limit: 100, db: w.s.db)
            #expect(events.contains { $0.type == "webhook.endpoint_disabled" && $0.payload.contains("410 Gone") })
            #expect(Set(r.requests.compactMap(\.eventID)).count == 1, "every attempt carried the same event_id")
        }
    }

    @Test(arguments: Engine.all)
    func receiverDownForADayGetsEveryEventInOrder(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let w = try await WebhookFixture.make(t)
            let r = try await HTTPReceiver()
            defer { r.stop() }
            let ep = try await w.create(url: "\(r.base)/hook", events: ["order.*"])
            try await r.setMode("503")
            var published: [String] = []
            for i in 1...12 { published.append(try await w.publish("order.completed", #"{"order":\#(i)}"#).eventID) }
            let start = w.clock.now()
            while w.clock.now().timeIntervalSince(start) < 86400 {
                try await w.drain()
                guard try await w.advanceToNextAttempt(ep.id) else { break }
            }
            #expect(try await w.endpoint(ep.id).enabled, "fewer than 15 failures in a day")
            try await r.setMode("ok")
            for _ in 0..<20 {
                try await w.drain()
                guard try await w.advanceToNextAttempt(ep.id) else { break }
            }
            let delivered = try await w.deliveries(ep.id)
            #expect(delivered.count == 12 && delivered.allSatisfy { $0.status == .delivered })
            let ok = r.requests.filter { _ in true }.compactMap(\.eventID)
            var firstSeen: [String] = []
            for id in ok where !firstSeen.contains(id) { firstSeen.append(id) }
            #expect(firstSeen == published, "every event, first arrivals in sequence order")
            #expect(try await w.endpoint(ep.id).consecutiveFailures == 0)
        }
    }

    @Test(arguments: Engine.all)
    func fifteenFailuresDisableAndReenablingReplaysTheBacklog(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let w = try await WebhookFixture.make(t)
            let r = try await HTTPReceiver()
            defer { r.stop() }
            let ep = try await w.create(url: "\(r.base)/hook", events: ["ticket.*"])
            try await r.setMode("500")
            let before = w.clock.now()
            var published: [String] = []
            for i in 1...3 { published.append(try await w.publish("ticket.created", #"{"i":\#(i)}"#).eventID) }
            for _ in 0..<40 {
                try await w.drain()
                if !(try await w.endpoint(ep.id).enabled) { break }
                _ = try await w.advanceToNextAttempt(ep.id)
            }
            let e = try await w.endpoint(ep.id)
            #expect(!e.enabled && e.disabledReason == "15 consecutive failed deliveries")
            #expect(r.requests.count == 15)
            let disabledEvents = try await w.s.outbox.feed(w.f.siteA.id, since: 0, limit: 100, types: ["webhook.endpoint_disabled"], db: w.s.db)
            #expect(disabledEvents.count == 1)
            let mails = try await w.s.db.read { try await w.s.mailOutbox.list(w.f.siteA.id, status: nil, ticketID: nil, limit: 10, offset: 0, in: $0) }
            #expect(mails.mails.contains { $0.kind == "webhook.endpoint_disabled" && $0.mail.to.first?.email == "owner@example.com" && $0.mail.subject.contains(r.base) })
            // While disabled, new events wait.
            for i in 4...5 { published.append(try await w.publish("ticket.created", #"{"i":\#(i)}"#).eventID) }
            w.clock.advance(3 * 86400)
            try await w.drain()
            #expect(r.requests.count == 15)
            try await r.setMode("ok")
            let enabled = try await w.invoke("webhooks.endpoints.enable", ["id": .int(ep.id), "enabled": .bool(true),
                                                                           "since": .string(ISO8601DateFormatter().string(from: before.addingTimeInterval(-1)))])
            #expect(enabled["queued_deliveries"]?.intValue == 5 && enabled["enabled"] == .bool(true))
            try await w.drain()
            let replayed = r.requests.dropFirst(15).compactMap(\.eventID)
            #expect(replayed == published, "the whole backlog, in sequence order")
            #expect(try await w.deliveries(ep.id).allSatisfy { $0.status == .delivered })
        }
    }

    @Test(arguments: Engine.all)
    func badEndpointInputIsRefusedNamingTheField(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let w = try await WebhookFixture.make(t, env: ["OPSIQ_OUTBOUND_ALLOW_HTTP": "false"])
            for (url, events, field) in [("http://example.com/h", ["*"], "url"), ("ftp://example.com/", ["*"], "url"), ("https://u:p@example.com/", ["*"], "url"),
                                         ("https://example.com/h", [String](), "events"), ("https://example.com/h", ["Ticket Created"], "events")] {
                do {
                    _ = try await w.create(url: url, events: events)
                    Issue.record("accepted \(url) \(events)")
                } catch DomainError.validation(let f, _) {
                    #expect(f == field)
                }
            }
            let ok = try await w.create(url: "https://example.com/h", events: ["ticket.*", "*", "ticket.*"])
            #expect(try await w.endpoint(ok.id).events == ["ticket.*", "*"])
            // Another site cannot see or change it.
            await #expect(throws: DomainError.self) {
                _ = try await w.f.invoke("webhooks.endpoints.update", as: try await w.f.actor(w.f.owner), site: w.f.siteB, ["id": .int(ok.id), "url": .string("https://evil.example/")])
            }
            await #expect(throws: DomainError.self) {
                _ = try await w.f.invoke("webhooks.endpoints.list", as: try await w.f.actor(w.f.agentA), site: w.f.siteA, [:])
            }
            let list = try await w.invoke("webhooks.endpoints.list", [:])
            #expect(!list.encoded().contains("opsiq_whsec_"), "secrets are never listed")
        }
    }

    @Test func bodyNormalisationMatchesNodeJSONRoundTrip() async throws {
        let inputs = [Self.trickyPayload, #"{"a":[1e21,1e-6,123456789012345680000,0.1,-5e-324,1.7976931348623157e308,100,1.5e300]}"#,
                      #"{"4294967295":1,"4294967294":2,"01":3,"-1":4,"1.5":5,"0":6,"a":{"b":"\ud83d\ude00 \u2028 / \\"},"a":"dup"}"#]
        for input in inputs {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/node")
            p.arguments = ["-e", "process.stdout.write(JSON.stringify(JSON.parse(process.argv[1])))", input]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(try WebhookJSON.normalize(input) == String(decoding: data, as: UTF8.self))
        }
    }
}
