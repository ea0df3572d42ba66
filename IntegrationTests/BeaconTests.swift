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

/// The beacon endpoint over real HTTP (so the client address and proxy rules apply) and real databases.
@Suite struct BeaconTests {
    static let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"

    static func event(_ id: String, type: String = "pageview", extra: [String: JSONValue] = [:], ts: Date = Date()) -> JSONValue {
        var o: [String: JSONValue] = ["id": .string(id), "type": .string(type), "ts": .int(ts.epochMillis),
                                      "url": .string("https://shop.example.com/products/1?utm_source=newsletter&utm_medium=email&utm_campaign=summer-sale"),
                                      "path": .string("/products/1"), "title": .string("Product 1"), "referrer": .string(""), "screen": .string("1920x1080"), "lang": .string("en-US")]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    static func body(_ siteKey: String, _ events: [JSONValue], visitor: String = "v0123456789abcdef") -> ByteBuffer {
        ByteBuffer(string: JSONValue.object(["site_key": .string(siteKey), "visitor_id": .string(visitor), "session_hint": .string("s1"), "sent_at": .int(Date().epochMillis),
                                             "events": .array(events)]).encoded())
    }

    @Test(arguments: Engine.all)
    func storesEnrichedEventsOnceAndRefusesBadOnes(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let s = try makeServices(t, clock: SystemClock(), random: SystemRandom())
            let site = try await s.setup.createSite(.init(name: "Shop", domain: "shop.example.com"))
            let app = Application(router: try buildRouter(services: s, schema: SchemaState()))
            try await app.test(.live) { client in
                func post(_ body: ByteBuffer, origin: String = "https://shop.example.com", ip: String = "8.8.8.8") async throws -> TestResponse {
                    try await client.execute(uri: "/beacon.php", method: .post, headers: [.contentType: "text/plain;charset=UTF-8", .origin: origin, .userAgent: Self.chrome,
                                                                                         HTTPField.Name("X-Forwarded-For")!: ip], body: body)
                }
                let batch = Self.body(site.siteKey, [Self.event("e1", extra: ["referrer": .string("https://www.google.com/")]),
                                                     Self.event("e2", type: "custom", extra: ["name": .string("signup.completed"), "props": .object(["plan": .string("pro")])])])
                var r = try await post(batch)
                #expect(r.status == .noContent)
                #expect(r.headers[.accessControlAllowOrigin] == "https://shop.example.com")
                // A retry of the same batch is acknowledged and stores nothing twice.
                r = try await post(batch)
                #expect(r.status == .noContent)
                #expect(try await s.tracking.count(site.id) == 2)
                let rows = try await s.tracking.events(site.id, limit: 10)
                let pv = try #require(rows.first { $0.eventUID == "e1" })
                #expect(pv.browser == "Chrome" && pv.os == "Windows" && pv.device == "desktop" && !pv.isBot)
                #expect(pv.country == "US", "8.8.8.8 via the trusted proxy resolves with Debian's GeoIP database")
                #expect(pv.source == "Paid" || pv.source == "Email", "UTM medium wins over the referrer: \(pv.source)")
                #expect(pv.utm["campaign"] == "summer-sale" && pv.utm["source"] == "newsletter")
                #expect(pv.ip == "8.8.8.8" && pv.visitorKey == "v0123456789abcdef" && pv.screen == "1920x1080")
                let custom = try #require(rows.first { $0.eventUID == "e2" })
                #expect(custom.name == "signup.completed" && custom.props.contains("\"plan\":\"pro\""))

                // One bad event does not drop the good ones.
                r = try await post(Self.body(site.siteKey, [Self.event("e3"), Self.event("e4", extra: ["ts": .string("yesterday")]), Self.event("e5", type: "teleport")]))
                #expect(r.status == .ok)
                let json = try JSONValue.parse(String(buffer: r.body))
                #expect(json["accepted"]?.intValue == 1)
                guard case .array(let rejected)? = json["rejected"] else { Issue.record("rejected list"); return }
                #expect(rejected.count == 2 && rejected[0]["reason"]?.stringValue?.contains("events[1].ts") == true && rejected[1]["reason"]?.stringValue?.contains("events[2].type") == true)
                r = try await post(Self.body(site.siteKey, [Self.event("bad id with spaces")]))
                #expect(r.status == .unprocessableContent)
                #expect(try await s.tracking.count(site.id) == 3)

                // Envelope errors, each with its status and CORS headers so the widget can read them.
                r = try await post(ByteBuffer(string: "{not json"))
                #expect(r.status == .badRequest && r.headers[.accessControlAllowOrigin] != nil)
                r = try await post(Self.body("site_unknown000", [Self.event("x1")]))
                #expect(r.status == .forbidden && String(buffer: r.body).contains("site_key"))
                r = try await post(Self.body(site.siteKey, [Self.event("x2")]), origin: "https://evil.example.net")
                #expect(r.status == .forbidden)
                r = try await post(Self.body(site.siteKey, [Self.event("x3")]), origin: "https://blog.shop.example.com")
                #expect(r.status == .noContent, "subdomains of the site are allowed")
                r = try await post(ByteBuffer(string: "{\"site_key\":\"\(site.siteKey)\",\"events\":[],\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}"))
                #expect(r.status == .contentTooLarge)
                r = try await post(ByteBuffer(string: "{\"site_key\":\"\(site.siteKey)\",\"events\":\"nope\"}"))
                #expect(r.status == .unprocessableContent && String(buffer: r.body).contains("events"))
                let pre = try await client.execute(uri: "/beacon.php", method: .options, headers: [.origin: "https://shop.example.com"], body: nil)
                #expect(pre.status == .noContent && pre.headers[.accessControlAllowMethods]?.contains("POST") == true)

                // Private addresses have no country; anonymisation applies before storing.
                _ = try await s.db.transaction { try await s.settings.set("tracking.anonymize_ip", to: .bool(true), workspace: site.id, by: nil, in: $0) }
                r = try await post(Self.body(site.siteKey, [Self.event("p1")], visitor: "v2"), ip: "10.1.2.3")
                #expect(r.status == .noContent)
                let p1 = try #require(try await s.tracking.events(site.id, limit: 50).first { $0.eventUID == "p1" })
                #expect(p1.country == "Unknown" && p1.ip == "10.1.2.0")
                // Do Not Track, when the site honours it: acknowledged, nothing stored.
                _ = try await s.db.transaction { try await s.settings.set("tracking.respect_dnt", to: .bool(true), workspace: site.id, by: nil, in: $0) }
                let dnt = try await client.execute(uri: "/beacon.php", method: .post, headers: [.origin: "https://shop.example.com", HTTPField.Name("DNT")!: "1"],
                                                   body: Self.body(site.siteKey, [Self.event("d1")]))
                #expect(dnt.status == .noContent)
                #expect(try await s.tracking.events(site.id, limit: 50).first { $0.eventUID == "d1" } == nil)
                // A site-only block: acknowledged, nothing stored.
                _ = try await s.actions.invoke("blocklist.add", actor: .system("test"), siteKey: nil,
                                               params: ["cidr": .string("203.0.113.0/24"), "reason": .string("bot farm"), "site_key": .string(site.siteKey)], ip: "127.0.0.1") { sk in
                    try await s.db.read { try await s.workspaces.find(siteKey: sk, in: $0) }
                }
                r = try await post(Self.body(site.siteKey, [Self.event("b1")]), ip: "203.0.113.9")
                #expect(r.status == .noContent)
                #expect(try await s.tracking.events(site.id, limit: 50).first { $0.eventUID == "b1" } == nil)
            }
        }
    }

    @Test(arguments: Engine.all)
    func serverEventsJoinTheIdentifiedVisitor(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let s = try makeServices(t, clock: SystemClock(), random: SystemRandom())
            let site = try await s.setup.createSite(.init(name: "Shop", domain: "shop.example.com"))
            let owner = try await s.setup.createOwner(.init(email: "o@example.com", name: "O", password: AccessFixture.password))
            let (key, _) = try await s.apiKeys.create(name: "server", scopes: ["events.write"], workspace: nil, by: owner.id)
            // A signed identity token, made the way the spec's PHP sample makes it.
            let payload = #"{"site_key":"\#(site.siteKey)","customer":{"id":"cust_1001","email":"Jane@Example.com","name":"Jane"},"iat":\#(Int(Date().timeIntervalSince1970)),"exp":\#(Int(Date().timeIntervalSince1970) + 900)}"#
            let mac = s.digests.hmacSHA256(key: Array(site.siteSecret.utf8), message: Array(payload.utf8)).map { String(format: "%02x", $0) }.joined()
            let token = Data(payload.utf8).base64EncodedString() + "." + mac
            try await Application(router: try buildRouter(services: s, schema: SchemaState())).test(.live) { client in
                var r = try await client.execute(uri: "/beacon.php", method: .post, headers: [.origin: "https://shop.example.com"],
                                                 body: Self.body(site.siteKey, [Self.event("i1", type: "identify", extra: ["identity": .object(["token": .string(token)])])], visitor: "vjane"))
                #expect(r.status == .noContent)
                // A forged token is ignored (the event is kept, the identity is not attached).
                r = try await client.execute(uri: "/beacon.php", method: .post, headers: [.origin: "https://shop.example.com"],
                                             body: Self.body(site.siteKey, [Self.event("i2", type: "identify", extra: ["identity": .object(["token": .string(token.dropLast(2) + "00")])])], visitor: "vmallory"))
                #expect(r.status == .noContent)
                #expect(try await s.visitors.visitorKey(site.id, email: "jane@example.com") == "vjane")
                func send(_ path: String, _ json: String) async throws -> TestResponse {
                    try await client.execute(uri: path, method: .post, headers: [.authorization: "Bearer \(key)", .contentType: "application/json"], body: ByteBuffer(string: json))
                }
                r = try await send("/api/v1.php", #"{"action":"events.send","site_key":"\#(site.siteKey)","event":"subscription.upgraded","customer_email":"jane@example.com","properties":{"old_plan":"starter","new_plan":"pro","mrr_change":50}}"#)
                #expect(r.status == .ok, "\(String(buffer: r.body))")
                r = try await send("/api/v1/events", #"{"site_key":"\#(site.siteKey)","event":"order.completed","customer_email":"jane@example.com","properties":{"total":99.5},"event_id":"ord-1"}"#)
                #expect(r.status == .ok)
                r = try await send("/api/v1/events", #"{"site_key":"\#(site.siteKey)","event":"order.completed","customer_email":"jane@example.com","event_id":"ord-1"}"#)
                #expect(r.status == .ok && String(buffer: r.body).contains("\"duplicate\":true"), "idempotent by event_id")
                r = try await send("/api/v1/events", #"{"site_key":"\#(site.siteKey)","event":"orderCompleted"}"#)
                #expect(r.status == .unprocessableContent && String(buffer: r.body).contains("\"field\":\"event\""))
                r = try await send("/api/v1/events", #"{"site_key":"\#(site.siteKey)","event":"order.completed","customer_email":"not-an-email"}"#)
                #expect(r.status == .unprocessableContent && String(buffer: r.body).contains("customer_email"))
            }
            let timeline = try await s.tracking.events(site.id, limit: 20).filter { $0.visitorKey == "vjane" }
            #expect(timeline.map(\.type) == ["identify", "server", "server"], "browser and server events share one timeline")
            #expect(timeline.last?.name == "order.completed" && timeline[1].props.contains("\"new_plan\":\"pro\""))
            // The token is never stored: the identify event keeps the verified customer; a forged one is marked refused.
            let all = try await s.tracking.events(site.id, limit: 20)
            #expect(!all.contains { $0.props.contains(String(token.prefix(20))) })
            #expect(timeline[0].props.contains("\"verified\":true") && timeline[0].props.contains("cust_1001"))
            #expect(all.first { $0.eventUID == "i2" }?.props.contains("token_refused") == true)
        }
    }

    @Test func botsAreMarked() async throws {
        try await TestDatabase.with(.sqlite) { t in
            let s = try makeServices(t, clock: SystemClock(), random: SystemRandom())
            let site = try await s.setup.createSite(.init(name: "Shop", domain: "shop.example.com"))
            try await Application(router: try buildRouter(services: s, schema: SchemaState())).test(.live) { client in
                let r = try await client.execute(uri: "/beacon.php", method: .post, headers: [.userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"],
                                                 body: Self.body(site.siteKey, [Self.event("g1")]))
                #expect(r.status == .noContent)
            }
            let row = try #require(try await s.tracking.events(site.id, limit: 5).first)
            #expect(row.isBot && row.device == "bot")
        }
    }
}

/// Enrichment and filtering wired into the beacon: excluded addresses and pages, the CDN country from a
/// trusted proxy, the daily-salted visitor hash, and visits flagged for having no engagement.
@Suite struct BeaconEnrichmentTests {
    @Test(arguments: Engine.all)
    func exclusionsCdnCountrySaltedHashAndNoEngagement(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let s = try makeServices(t, clock: SystemClock(), random: SystemRandom())
            let site = try await s.setup.createSite(.init(name: "Shop", domain: "shop.example.com"))
            _ = try await t.db.transaction { tx in
                try await s.settings.set("tracking.excluded_ips", to: .string("203.0.113.0/24"), workspace: site.id, by: nil, in: tx)
                try await s.settings.set("tracking.excluded_paths", to: .string("/admin/*"), workspace: site.id, by: nil, in: tx)
            }
            let app = Application(router: try buildRouter(services: s, schema: SchemaState()))
            try await app.test(.live) { client in
                func post(_ events: [JSONValue], visitor: String? = nil, ip: String, headers extra: HTTPFields = [:]) async throws -> TestResponse {
                    var o: [String: JSONValue] = ["site_key": .string(site.siteKey), "events": .array(events)]
                    if let visitor { o["visitor_id"] = .string(visitor) }
                    var h: HTTPFields = [.contentType: "text/plain;charset=UTF-8", .origin: "https://shop.example.com", .userAgent: BeaconTests.chrome,
                                         HTTPField.Name("X-Forwarded-For")!: ip]
                    h.append(contentsOf: extra)
                    return try await client.execute(uri: "/beacon.php", method: .post, headers: h, body: ByteBuffer(string: JSONValue.object(o).encoded()))
                }
                // An excluded address: acknowledged, nothing stored.
                #expect(try await post([BeaconTests.event("x1")], visitor: "vexcluded", ip: "203.0.113.9").status == .noContent)
                // An excluded page is dropped, the other page of the same batch kept.
                #expect(try await post([BeaconTests.event("a1", extra: ["path": .string("/admin/orders")]), BeaconTests.event("a2")], visitor: "vmixed", ip: "8.8.8.8").status == .noContent)
                let stored = Set(try await s.tracking.events(site.id, limit: 50).map(\.eventUID))
                #expect(stored == ["a2"], "\(stored)")

                // CF-IPCountry is believed from the trusted proxy (loopback here) and wins over GeoIP.
                #expect(try await post([BeaconTests.event("c1")], visitor: "vcdn", ip: "8.8.8.8", headers: [HTTPField.Name("CF-IPCountry")!: "DE"]).status == .noContent)
                #expect(try await s.tracking.events(site.id, limit: 50).first { $0.eventUID == "c1" }?.country == "DE")

                // No first-party id: the visitor is a salted hash, the same for the same browser and address today.
                #expect(try await post([BeaconTests.event("h1")], ip: "8.8.4.4").status == .noContent)
                #expect(try await post([BeaconTests.event("h2")], ip: "8.8.4.4").status == .noContent)
                #expect(try await post([BeaconTests.event("h3")], ip: "1.1.1.1").status == .noContent)
                let rows = try await s.tracking.events(site.id, limit: 50)
                let k1 = try #require(rows.first { $0.eventUID == "h1" }?.visitorKey), k3 = try #require(rows.first { $0.eventUID == "h3" }?.visitorKey)
                #expect(k1.hasPrefix("h") && k1.count == 32)
                #expect(rows.first { $0.eventUID == "h2" }?.visitorKey == k1)
                #expect(k3 != k1)
                let salt = try await s.enrichment.visitorSalts.salt(now: Date())
                #expect(!k1.contains(salt) && !salt.isEmpty)

                // Three pages within seconds and nothing else: flagged as a bot visit, left out of the live feed.
                let now = Date()
                #expect(try await post((0..<3).map { BeaconTests.event("n\($0)", extra: ["path": .string("/p\($0)")], ts: now.addingTimeInterval(Double($0))) },
                                       visitor: "vscraper", ip: "8.8.8.8").status == .noContent)
                // A real visitor reads (an engagement event) and is not flagged.
                #expect(try await post((0..<3).map { BeaconTests.event("r\($0)", extra: ["path": .string("/p\($0)")], ts: now.addingTimeInterval(Double($0))) }
                                       + [BeaconTests.event("r9", type: "engagement", extra: ["engaged_ms": .int(5_000)], ts: now.addingTimeInterval(4))],
                                       visitor: "vreader", ip: "8.8.8.8").status == .noContent)
                let sessions = try await s.tracking.sessions(site.id, limit: 50)
                #expect(sessions.first { $0.visitorKey == "vscraper" }?.isBot == true)
                #expect(sessions.first { $0.visitorKey == "vreader" }?.isBot == false)
                let live = try await s.trackingMaintenance.activeVisitors(site.id, since: now.addingTimeInterval(-90), limit: 50).map(\.visitorKey)
                #expect(live.contains("vreader") && !live.contains("vscraper"))
            }
        }
    }
}
