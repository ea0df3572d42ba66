import Foundation
import Ports
import Testing
@testable import Domain

/// Exclusions (tracking.excluded_ips, tracking.excluded_paths) and the custom script path.
@Suite struct TrackingSettingsTests {
    static func definition(_ name: String) throws -> SettingDefinition {
        try #require(SettingsService.builtIn.first { $0.name == name })
    }

    static func resolved(_ values: [String: String]) -> [SettingsService.Resolved] {
        values.map { SettingsService.Resolved(name: $0.key, value: .string($0.value), source: "workspace") }
    }

    @Test func excludedIPsAreValidatedEntryByEntryAndNormalised() throws {
        let d = try Self.definition("tracking.excluded_ips")
        #expect(d.group == "Tracking" && !d.globalOnly && d.defaultValue == .string(""))
        #expect(try d.validate(.string("203.0.113.7, 198.51.100.0/24\n2001:db8::/32,,  ")) == .string("203.0.113.7/32, 198.51.100.0/24, 2001:db8::/32"))
        #expect(try d.validate(.string("")) == .string(""))
        do {
            _ = try d.validate(.string("203.0.113.7, 10.0.0.0/33, 192.168.1.1"))
            Issue.record("accepted a /33")
        } catch let DomainError.validation(field, message) {
            #expect(field == "tracking.excluded_ips")
            #expect(message.contains("'10.0.0.0/33'"), "names the bad entry: \(message)")
        }
        #expect(throws: DomainError.self) { try d.validate(.string("office")) }
        #expect(throws: DomainError.self) { try d.validate(.int(5)) }
        let many = (0..<201).map { "10.0.\($0 / 250).\($0 % 250)" }.joined(separator: ",")
        #expect(throws: DomainError.self) { try d.validate(.string(many)) }
    }

    @Test func excludedPathsAreValidated() throws {
        let d = try Self.definition("tracking.excluded_paths")
        #expect(try d.validate(.string(" /admin/*,/checkout/*/debug \n */preview ")) == .string("/admin/*, /checkout/*/debug, */preview"))
        for bad in ["admin/*", "/a b", "/search?q=*", "/x#y"] {
            do {
                _ = try d.validate(.string("/ok, \(bad)"))
                Issue.record("accepted \(bad)")
            } catch let DomainError.validation(field, message) {
                #expect(field == "tracking.excluded_paths")
                #expect(message.contains("'\(bad)'"), "names the bad entry: \(message)")
            }
        }
    }

    @Test func exclusionsMatchAddressesAndPages() throws {
        let ex = TrackingExclusions(settings: Self.resolved(["tracking.excluded_ips": "203.0.113.7/32, 198.51.100.0/24, 2001:db8::/32",
                                                             "tracking.excluded_paths": "/admin/*, /checkout/*/debug",
                                                             "tracking.anonymize_ip": "ignored"]))
        #expect(ex.networks.count == 3 && ex.pathPatterns == ["/admin/*", "/checkout/*/debug"])
        #expect(ex.excludes(ip: "203.0.113.7"))
        #expect(!ex.excludes(ip: "203.0.113.8"))
        #expect(ex.excludes(ip: "198.51.100.250"))
        #expect(ex.excludes(ip: "::ffff:198.51.100.1"), "IPv4-mapped IPv6 is the IPv4 address")
        #expect(ex.excludes(ip: "2001:db8:1::5"))
        #expect(!ex.excludes(ip: "2001:db9::1"))
        #expect(!ex.excludes(ip: "") && !ex.excludes(ip: "garbage"))
        #expect(ex.excludes(path: "/admin/"))
        #expect(ex.excludes(path: "/admin/users?page=2"))
        #expect(ex.excludes(path: "/checkout/42/debug"))
        #expect(ex.excludes(path: "/checkout/a/b/debug"), "* spans slashes, as PagePattern defines")
        #expect(!ex.excludes(path: "/checkout/42"))
        #expect(!ex.excludes(path: "/administrator"))
        #expect(!ex.excludes(path: "/"))
    }

    @Test func noSettingsExcludeNothing() {
        let ex = TrackingExclusions(settings: [])
        #expect(ex.isEmpty)
        #expect(!ex.excludes(ip: "203.0.113.7") && !ex.excludes(path: "/admin/x"))
        // A stored value that no longer parses is skipped, not fatal.
        let partly = TrackingExclusions(settings: Self.resolved(["tracking.excluded_ips": "bogus, 203.0.113.0/24"]))
        #expect(partly.networks.map(\.text) == ["203.0.113.0/24"])
    }

    @Test(arguments: ["/js/site.js", "/s.js", "/static-files/a/b/c.min.js", "/JS/Track_1.js", "/admin.js", "/widget-2.js"])
    func scriptPathsAccepted(_ path: String) throws {
        #expect(try Self.definition("tracking.script_path").validate(.string(path)) == .string(path))
    }

    @Test(arguments: [
        ("js/site.js", "start with /"), ("/js/site.php", "end with .js"), ("/js/si te.js", "only letters"), ("/js/sïte.js", "only letters"),
        ("/admin/x.js", "used by OpsIQ"), ("/API/x.js", "used by OpsIQ"), ("/assets/opsiq.js", "used by OpsIQ"), ("/widget.js", "used by OpsIQ"),
        ("/beacon.php/x.js", "used by OpsIQ"), ("/healthz/a.js", "used by OpsIQ"), ("/setup/a.js", "used by OpsIQ"), ("/login/a.js", "used by OpsIQ"),
        ("/js//site.js", "segments"), ("/js/../admin/x.js", "segments"), ("/.js", "file name"), ("/js/.js", "file name"),
        ("/js/site.js?v=1", "only letters"), ("/" + String(repeating: "a", count: 120) + ".js", "at most"),
    ])
    func scriptPathsRefused(_ path: String, _ why: String) throws {
        do {
            _ = try Self.definition("tracking.script_path").validate(.string(path))
            Issue.record("accepted \(path)")
        } catch let DomainError.validation(field, message) {
            #expect(field == "tracking.script_path")
            #expect(message.contains(why), "\(path): \(message)")
        }
    }

    @Test func emptyScriptPathMeansTheDefault() throws {
        #expect(try Self.definition("tracking.script_path").validate(.string("  ")) == .string(""))
        #expect(ScriptPath.snippet(baseURL: "https://opsiq.example.com", siteKey: "site_abc", customPath: nil)
                == #"<script src="https://opsiq.example.com/widget.php" data-site-key="site_abc" async></script>"#)
        #expect(ScriptPath.snippet(baseURL: "https://opsiq.example.com", siteKey: "site_abc", customPath: "")
                == #"<script src="https://opsiq.example.com/widget.php" data-site-key="site_abc" async></script>"#)
        #expect(ScriptPath.snippet(baseURL: "https://opsiq.example.com", siteKey: "site_abc", customPath: "/js/site.js")
                == #"<script src="https://opsiq.example.com/js/site.js" data-site-key="site_abc" async></script>"#)
    }
}
