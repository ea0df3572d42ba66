import Adapters
import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Ports
import Testing
@testable import WebApp

/// The web front end over a real (temporary) SQLite store.
@Suite struct WebTests {
    struct Env {
        let services: Services
        let app: Application<RouterResponder<AppContext>>
        let dir: URL
    }

    static func make() async throws -> Env {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-web-\(UUID().uuidString)")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let config = try AppConfig.load(environment: ["OPSIQ_DATA_DIR": dir.path])
        let services = try Services.build(config: config, logger: logger)
        try await services.migrations.migrate()
        let app = Application(router: try buildRouter(services: services, schema: SchemaState()))
        return Env(services: services, app: app, dir: dir)
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test func healthReadinessAndMetrics() async throws {
        let env = try await Self.make()
        try await env.app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/readyz", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains(#""migrations":"current""#))
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(text.contains("opsiq_database_up 1"))
                #expect(text.contains("opsiq_jobs{status=\"dead\"} 0"))
                #expect(text.contains("opsiq_http_requests_total{method=\"GET\",status=\"200\"} 2"), "the two requests before this one were counted")
            }
        }
        await env.services.db.shutdown()
    }

    @Test func readinessIs503WhileMigrationsArePending() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-web-\(UUID().uuidString)")
        let config = try AppConfig.load(environment: ["OPSIQ_DATA_DIR": dir.path])
        let services = try Services.build(config: config, logger: Logger(label: "t"))
        let app = Application(router: try buildRouter(services: services, schema: SchemaState()))
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body).contains("pending: run opsiq-admin migrate"))
            }
            try await services.migrations.migrate()
            try await client.execute(uri: "/readyz", method: .get) { r in #expect(r.status == .ok) }
        }
        await services.db.shutdown()
    }

    @Test func firstRunSetupCreatesOwnerAndSiteOnce() async throws {
        let env = try await Self.make()
        let token = env.services.setupToken
        try await env.app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .seeOther)
                #expect(r.headers[.location] == "/setup")
            }
            try await client.execute(uri: "/setup?token=\(token)", method: .get) { r in
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                #expect(html.contains("value=\"\(token)\""))
                #expect(html.contains("name=\"password\""))
                #expect(r.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            }
            // Wrong token: refused, nothing created.
            try await client.execute(uri: "/setup", method: .post, headers: Self.formHeaders,
                                     body: Self.form(["token": "nope", "name": "Ann", "email": "ann@example.com", "password": "correct horse battery", "site_name": "Shop", "domain": "shop.example.com"])) { r in
                #expect(r.status == .forbidden)
                #expect(String(buffer: r.body).contains("id=\"err-token\""))
            }
            // A short password: 422 with the message beside the field, other values kept.
            try await client.execute(uri: "/setup", method: .post, headers: Self.formHeaders,
                                     body: Self.form(["token": token, "name": "Ann", "email": "ann@example.com", "password": "short", "site_name": "Shop", "domain": "shop.example.com"])) { r in
                #expect(r.status == .unprocessableContent)
                let html = String(buffer: r.body)
                #expect(html.contains("id=\"err-password\""))
                #expect(html.contains("at least 12 characters"))
                #expect(html.contains("value=\"ann@example.com\""))
            }
            #expect(try await env.services.setup.needsSetup())
            // Values are escaped on the way out.
            try await client.execute(uri: "/setup", method: .post, headers: Self.formHeaders,
                                     body: Self.form(["token": token, "name": "<script>alert(1)</script>", "email": "x", "password": "short", "site_name": "S", "domain": "d.com"])) { r in
                let html = String(buffer: r.body)
                #expect(!html.contains("<script>alert(1)</script>"))
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            }
            // The real thing.
            try await client.execute(uri: "/setup", method: .post, headers: Self.formHeaders,
                                     body: Self.form(["token": token, "name": "Ann Owner", "email": "Ann@Example.com", "password": "correct horse battery", "site_name": "Ann's Shop", "domain": "https://shop.example.com/"])) { r in
                #expect(r.status == .created)
                let html = String(buffer: r.body)
                #expect(html.contains("id=\"setup-done\""))
                #expect(html.contains("data-site-key=&quot;site_"))
                #expect(html.contains("/widget.php"))
            }
            let owner = try #require(try await env.services.db.read { try await env.services.users.find(email: "ann@example.com", in: $0) })
            #expect(owner.role == .owner)
            #expect(owner.passwordHash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
            #expect(env.services.hasher.verify("correct horse battery", against: owner.passwordHash))
            let sites = try await env.services.db.read { try await env.services.workspaces.all(in: $0) }
            #expect(sites.count == 1)
            #expect(sites[0].domain == "shop.example.com")
            #expect(sites[0].siteKey.hasPrefix("site_") && sites[0].siteKey.count == 29)
            #expect(sites[0].siteSecret.hasPrefix("opsiq_whsec_"))
            // The secret is sealed at rest.
            let raw = try await env.services.db.read { try await $0.queryFirst("SELECT site_secret_enc FROM workspaces")?.string("site_secret_enc") }
            #expect(raw?.hasPrefix("v1:") == true)
            #expect(raw?.contains(sites[0].siteSecret) == false)
            // Setup events went to the outbox in the same transaction.
            let events = try await env.services.db.read { try await SQLOutboxStore().readAllWorkspaces(since: 0, limit: 10, in: $0) }
            #expect(events.map(\.type) == ["user.created", "workspace.created"])
            // A second attempt is refused: there is exactly one Owner.
            try await client.execute(uri: "/setup", method: .post, headers: Self.formHeaders,
                                     body: Self.form(["token": token, "name": "Mallory", "email": "m@example.com", "password": "correct horse battery", "site_name": "X", "domain": "x.com"])) { r in
                #expect(r.status == .conflict)
            }
            try await client.execute(uri: "/setup", method: .get) { r in #expect(r.status == .seeOther) }
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .seeOther)
                #expect(r.headers[.location] == "/admin", "once set up, / leads to the admin (and its sign-in)")
            }
            #expect(try await env.services.db.read { try await env.services.users.count(role: nil, in: $0) } == 1)
        }
        await env.services.db.shutdown()
    }

    @Test func unknownRoutesAre404NotCrashes() async throws {
        let env = try await Self.make()
        try await env.app.test(.router) { client in
            try await client.execute(uri: "/no/such/page", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/setup", method: .post, headers: Self.formHeaders, body: ByteBuffer(string: "%%%&&&=")) { r in
                #expect(r.status == .forbidden, "garbage form: treated as a missing token, not a 500")
            }
        }
        await env.services.db.shutdown()
    }
}

@Suite struct PlatformAdapterTests {
    @Test func secretBoxSealsOpensAndDetectsTampering() throws {
        let box = try AESGCMSecretBox(masterKey: Array(repeating: 3, count: 32))
        let sealed = try box.seal("opsiq_whsec_abc")
        #expect(sealed.hasPrefix("v1:"))
        #expect(try box.open(sealed) == "opsiq_whsec_abc")
        #expect(try box.seal("x") != box.seal("x"), "fresh nonce each time")
        // Flip one bit of the ciphertext (decoded, so base64 padding bits cannot hide the change).
        let parts = sealed.split(separator: ":", maxSplits: 2).map(String.init)
        var raw = try #require(Data(base64Encoded: parts[2]))
        raw[14] ^= 0x01
        #expect(throws: (any Error).self) { try box.open("\(parts[0]):\(parts[1]):\(raw.base64EncodedString())") }
        let other = try AESGCMSecretBox(masterKey: Array(repeating: 4, count: 32))
        #expect(throws: (any Error).self) { try other.open(sealed) }
        // After a key rotation the old key still opens old secrets.
        let rotated = try AESGCMSecretBox(masterKey: Array(repeating: 4, count: 32), previousKeys: [Array(repeating: 3, count: 32)])
        #expect(try rotated.open(sealed) == "opsiq_whsec_abc")
        #expect(throws: (any Error).self) { try AESGCMSecretBox(masterKey: [1, 2, 3]) }
    }

    @Test func argon2idHashesVerifyAndCarryParameters() throws {
        let h = Argon2PasswordHasher(random: SystemRandom())
        let a = try h.hash("correct horse battery")
        let b = try h.hash("correct horse battery")
        #expect(a != b, "salted")
        #expect(a.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(h.verify("correct horse battery", against: a))
        #expect(!h.verify("correct horse batterz", against: a))
        #expect(!h.verify("x", against: "not a hash"))
        // A hash made with other parameters still verifies (parameters travel with the hash).
        let light = Argon2PasswordHasher(random: SystemRandom(), memoryKiB: 8192, iterations: 1)
        #expect(h.verify("pw-123456789", against: try light.hash("pw-123456789")))
    }

    @Test func geoIPCountryFromDebiansDatabase() throws {
        let path = "/usr/share/GeoIP/GeoIP.dat"
        let geo = try GeoIPCountryDatabase(path: path)
        #expect(geo.countryCode(ip: "8.8.8.8") == "US")
        #expect(geo.countryCode(ip: "10.1.2.3") == nil)
        #expect(throws: (any Error).self) { try GeoIPCountryDatabase(path: "/nonexistent/GeoIP.dat") }
    }

    @Test func formDataDecodesPercentAndPlus() {
        let f = FormData("a=1&b=hello+world&c=%E2%9C%93&a=2&empty=&flag")
        #expect(f["a"] == "1" && f["b"] == "hello world" && f["c"] == "✓" && f["empty"] == "" && f["flag"] == "" && f["missing"] == "")
    }

    @Test func constantTimeCompare() {
        #expect(constantTimeEquals("abc", "abc"))
        #expect(!constantTimeEquals("abc", "abd"))
        #expect(!constantTimeEquals("abc", "abcd"))
        #expect(!constantTimeEquals("", "a"))
    }
}

@Suite struct WidgetServingTests {
    @Test func servedWidgetIsTheAssetFile() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/WebApp/Assets/widget.js")
        let disk = try String(contentsOf: file, encoding: .utf8)
        #expect(WidgetScript.source + "\n" == disk, "run scripts/gen-widget.sh after editing widget.js")
        let env = try await WebTests.make()
        try await env.app.test(.router) { client in
            for path in ["/widget.php", "/widget.js"] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .ok)
                    #expect(r.headers[.contentType]?.hasPrefix("application/javascript") == true)
                    #expect(String(buffer: r.body) == disk)
                }
            }
        }
        await env.services.db.shutdown()
    }

    @Test func servedPortalIsTheAssetFileAndTheTrackingCoreStaysSmall() async throws {
        let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/WebApp/Assets")
        let disk = try String(contentsOf: assets.appendingPathComponent("widget-portal.js"), encoding: .utf8)
        #expect(PortalScript.source + "\n" == disk, "run scripts/gen-widget.sh after editing widget-portal.js")
        // The portal UI never builds markup from strings: ticket data only reaches the page as text.
        #expect(!disk.contains("innerHTML") && !disk.contains("insertAdjacentHTML") && !disk.contains("document.write"))
        #expect(!disk.contains("document.cookie") && !WidgetScript.source.contains("document.cookie"))
        // The widget loads the portal only in tickets mode, and the portal lives in its own file.
        #expect(WidgetScript.source.contains("attr(\"mode\") === \"tickets\"") && WidgetScript.source.contains("/widget-portal.js"))
        #expect(!WidgetScript.source.contains("portal/v1"))
        let env = try await WebTests.make()
        try await env.app.test(.router) { client in
            try await client.execute(uri: "/widget-portal.js", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("application/javascript") == true)
                #expect(String(buffer: r.body) == disk)
            }
        }
        await env.services.db.shutdown()
    }
}
