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

/// tracking.script_path over HTTP: the widget is served at each site's own path, unknown paths stay 404,
/// and the admin's snippet uses the path.
@Suite struct ScriptPathTests {
    static func setScriptPath(_ client: some TestClientProtocol, _ b: BrowserSession, site: Workspace, _ value: String?) async throws -> TestResponse {
        let page = String(buffer: try await b.get(client, "/admin/settings?site=\(site.siteKey)").body)
        let csrf = try #require(BrowserSession.csrf(in: page))
        var fields = [("_csrf", csrf), ("site", site.siteKey), ("name", "tracking.script_path")]
        if let value { fields.append(("value", value)) } else { fields.append(("clear", "1")) }
        return try await b.post(client, "/admin/settings", fields)
    }

    @Test(arguments: Engine.all)
    func widgetIsServedAtEachSitesPath(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let base = f.services.config.baseURL
            try await f.app().test(.router) { client in
                func get(_ uri: String, method: HTTPRequest.Method = .get) async throws -> TestResponse {
                    try await client.execute(uri: uri, method: method, headers: [:], body: nil)
                }
                #expect(try await get("/js/site.js").status == .notFound, "no site uses it yet")
                #expect(try await get("/widget.php").status == .ok)

                let owner = BrowserSession()
                _ = try await owner.signIn(client, email: f.owner.email, password: AccessFixture.password)
                // A colliding path is refused with the setting named.
                var r = try await Self.setScriptPath(client, owner, site: f.siteA, "/admin/x.js")
                #expect(r.status == .unprocessableContent)
                #expect(String(buffer: r.body).contains("tracking.script_path"))
                #expect(try await get("/admin/x.js").status != .ok)

                r = try await Self.setScriptPath(client, owner, site: f.siteA, "/js/site.js")
                #expect(r.status == .seeOther)
                // Served at once in this process (the save clears the cache), to anyone.
                r = try await get("/js/site.js")
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/javascript; charset=utf-8")
                #expect(String(buffer: r.body) == String(buffer: try await get("/widget.php").body), "the same widget")
                #expect(try await get("/js/site.js", method: .head).status == .ok)
                #expect(try await get("/js/other.js").status == .notFound, "other .js paths still 404")
                #expect(try await get("/js/site.jsx").status == .notFound)
                #expect(try await client.execute(uri: "/js/site.js", method: .post, headers: [:], body: nil).status != .ok)
                #expect(try await get("/widget.js").status == .ok, "built-in scripts unaffected")
                #expect(try await get("/assets/opsiq.js").status == .ok)

                // The snippet on the Sites page: site A's own path, site B the default.
                let sites = String(buffer: try await owner.get(client, "/admin/sites").body)
                #expect(sites.contains("\(base)/js/site.js&quot; data-site-key=&quot;\(f.siteA.siteKey)&quot;"), "site A snippet uses its path")
                #expect(sites.contains("\(base)/widget.php&quot; data-site-key=&quot;\(f.siteB.siteKey)&quot;"), "site B keeps /widget.php")

                // A change made elsewhere (the API, another web process) shows within the cache's lifetime.
                _ = try await f.invoke("settings.set", as: try await f.actor(f.owner), site: f.siteB, ["name": .string("tracking.script_path"), "value": .string("/b/track.js")])
                #expect(try await get("/b/track.js").status == .notFound, "cached map not yet refreshed")
                f.clock.advance(f.services.enrichment.scriptPaths.ttl + 1)
                #expect(try await get("/b/track.js").status == .ok)
                #expect(try await get("/js/site.js").status == .ok, "both sites' paths are served")

                // Clearing the override ends the path at once; the installation default then applies.
                r = try await Self.setScriptPath(client, owner, site: f.siteA, nil)
                #expect(r.status == .seeOther)
                #expect(try await get("/js/site.js").status == .notFound)
                _ = try await f.invoke("settings.global.set", as: try await f.actor(f.owner), site: nil, ["name": .string("tracking.script_path"), "value": .string("/g/all.js")])
                f.clock.advance(f.services.enrichment.scriptPaths.ttl + 1)
                #expect(try await get("/g/all.js").status == .ok, "site A inherits the installation-wide path")
                #expect(try await f.services.enrichment.scriptPaths.current() == ["/g/all.js": [f.siteA.id], "/b/track.js": [f.siteB.id]])
            }
        }
    }
}
