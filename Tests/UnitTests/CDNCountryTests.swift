import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports
import HummingbirdTesting
import Testing
@testable import WebApp

/// CF-IPCountry is believed only from a trusted proxy, and only as a real two-letter code.
@Suite struct CDNCountryTests {
    static let proxies = [CIDR("127.0.0.1")!, CIDR("10.0.0.0/8")!, CIDR("2001:db8::/32")!]

    @Test func trustedPeerAndValidCode() {
        #expect(CDNCountry.from(header: "DE", peer: "127.0.0.1", trustedProxies: Self.proxies) == "DE")
        #expect(CDNCountry.from(header: "de", peer: "10.1.2.3", trustedProxies: Self.proxies) == "DE", "upper-cased")
        #expect(CDNCountry.from(header: " US ", peer: "2001:db8::7", trustedProxies: Self.proxies) == "US")
    }

    @Test(arguments: ["XX", "T1", "", "USA", "U", "1A", "--", "Ü1", "A1"])
    func pseudoAndMalformedCodesAreIgnored(_ code: String) {
        #expect(CDNCountry.from(header: code, peer: "127.0.0.1", trustedProxies: Self.proxies) == nil)
    }

    @Test func untrustedPeerOrNoHeaderGivesNothing() {
        #expect(CDNCountry.from(header: "DE", peer: "203.0.113.9", trustedProxies: Self.proxies) == nil, "anyone can send the header")
        #expect(CDNCountry.from(header: "DE", peer: "", trustedProxies: Self.proxies) == nil)
        #expect(CDNCountry.from(header: nil, peer: "127.0.0.1", trustedProxies: Self.proxies) == nil)
        #expect(CDNCountry.from(header: "DE", peer: "127.0.0.1", trustedProxies: []) == nil, "OPSIQ_TRUSTED_PROXIES=none")
    }

    @Test func middlewareHelperReadsTheHeader() {
        let headers: HTTPFields = [HTTPField.Name("CF-IPCountry")!: "FR"]
        #expect(ClientMiddleware.cdnCountry(headers: headers, peer: "127.0.0.1", trusted: Self.proxies) == "FR")
        #expect(ClientMiddleware.cdnCountry(headers: [:], peer: "127.0.0.1", trusted: Self.proxies) == nil)
    }

    @Test func cdnCountryWinsAndKeepsTheCityOnlyWhenGeoIPAgrees() {
        let geo = GeoLocation(country: "US", city: "Mountain View")
        #expect(CDNCountry.merge(cdnCountry: nil, geo: geo) == geo)
        #expect(CDNCountry.merge(cdnCountry: "US", geo: geo) == geo)
        #expect(CDNCountry.merge(cdnCountry: "CA", geo: geo) == GeoLocation(country: "CA"))
        #expect(CDNCountry.merge(cdnCountry: "CA", geo: .unknown) == GeoLocation(country: "CA"))
        #expect(CDNCountry.merge(cdnCountry: nil, geo: .unknown) == .unknown)
    }

    static func app(trusted: [CIDR]) -> some ApplicationProtocol {
        let router = Router(context: AppContext.self)
        router.add(middleware: ClientMiddleware(trusted: trusted, baseIsHTTPS: false, baseURL: "http://127.0.0.1"))
        router.get("/country") { _, ctx in ctx.cdnCountry ?? "none" }
        return Application(router: router)
    }

    /// Over a real socket, so the peer is 127.0.0.1 as it would be behind nginx on the same host.
    @Test func contextCarriesTheCountryOnlyFromATrustedPeer() async throws {
        try await Self.app(trusted: [CIDR("127.0.0.1")!]).test(.live) { client in
            var r = try await client.execute(uri: "/country", method: .get, headers: [HTTPField.Name("CF-IPCountry")!: "NL"])
            #expect(String(buffer: r.body) == "NL")
            r = try await client.execute(uri: "/country", method: .get, headers: [HTTPField.Name("CF-IPCountry")!: "XX"])
            #expect(String(buffer: r.body) == "none")
            r = try await client.execute(uri: "/country", method: .get)
            #expect(String(buffer: r.body) == "none")
        }
        try await Self.app(trusted: [CIDR("10.0.0.0/8")!]).test(.live) { client in
            let r = try await client.execute(uri: "/country", method: .get, headers: [HTTPField.Name("CF-IPCountry")!: "NL"])
            #expect(String(buffer: r.body) == "none", "a loopback peer that is not a trusted proxy is not believed")
        }
    }
}

/// Prefixes that are not a multiple of 8 used to trap when building the last byte's mask.
@Test func cidrWithAPrefixThatIsNotAWholeByteMatchesItsRange() throws {
    let cgnat = try #require(CIDR("100.64.0.0/10"))
    #expect(cgnat.contains(try #require(IPAddress("100.64.0.1"))))
    #expect(cgnat.contains(try #require(IPAddress("100.127.255.254"))))
    #expect(!cgnat.contains(try #require(IPAddress("100.128.0.1"))))
    let v6 = try #require(CIDR("fc00::/7"))
    #expect(v6.contains(try #require(IPAddress("fd12::1"))))
    #expect(!v6.contains(try #require(IPAddress("fe80::1"))))
}
