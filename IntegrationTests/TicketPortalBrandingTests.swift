import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ports
import Testing
@testable import WebApp

/// Portal branding from settings on both engines: title, accent colour and logo URL reach the embed
/// through the `branding` operation, validated when saved (colours #rrggbb, https-only URLs), with
/// defaults when nothing is set; the embed script applies them as text, a CSS property and an image.
@Suite struct TicketPortalBrandingTests {
    @Test(arguments: Engine.all)
    func brandingComesFromValidatedSettings(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            try await f.app().test(.live) { client in
                let p = TicketPortalTests.Portal(client: client, siteKey: f.siteA.siteKey)
                var r = try await p.post("branding", [:])
                #expect(r.status == .ok && r.json["title"]?.stringValue == "Support tickets" && r.json["color"]?.stringValue == "#3558e6" && r.json["logo_url"] == .null)
                for (name, bad) in [("branding.color", "red;background:url(x)"), ("branding.logo_url", "http://shop.example/logo.png"),
                                    ("branding.logo_url", "https://shop.example/\"><script>"), ("tickets.portal_title", String(repeating: "x", count: 121))] {
                    do {
                        _ = try await f.invoke("settings.set", as: owner, site: f.siteA, ["name": .string(name), "value": .string(bad)])
                        Issue.record("\(name) = \(bad) must be refused")
                    } catch DomainError.validation(let field, _) { #expect(field == name) }
                }
                for (name, value) in [("branding.color", "#AA3300"), ("branding.logo_url", "https://shop.example/logo.png"), ("tickets.portal_title", "Help from <Shop> & co")] {
                    _ = try await f.invoke("settings.set", as: owner, site: f.siteA, ["name": .string(name), "value": .string(value)])
                }
                r = try await p.post("branding", [:])
                #expect(r.json["title"]?.stringValue == "Help from <Shop> & co", "sent as data; the embed sets it as text")
                #expect(r.json["color"]?.stringValue == "#aa3300" && r.json["logo_url"]?.stringValue == "https://shop.example/logo.png")
                // Another site keeps its own (default) look.
                let other = try await TicketPortalTests.Portal(client: client, siteKey: f.siteB.siteKey, origin: "https://b.example.com").post("branding", [:])
                #expect(other.json["title"]?.stringValue == "Support tickets")
            }
            // The embed applies them only as text, a checked colour and a checked https image.
            let js = PortalScript.source
            #expect(js.contains("title.textContent = b.title") && js.contains("/^#[0-9a-fA-F]{6}$/.test(b.color)") && js.contains("var(--oq-accent,#3558e6)"))
            #expect(!js.contains("innerHTML"))
        }
    }
}
