import Adapters
import Composition
import Testing

/// The SSRF rules without the network: every spelling and range the guard must refuse.
@Suite struct OutboundAddressPolicyTests {
    let strict = OutboundAddressPolicy()

    func blocked(_ literal: String, _ policy: OutboundAddressPolicy? = nil) -> Bool {
        guard let ip = OutboundIP.literal(literal) else { Issue.record("\(literal) did not parse"); return false }
        return (policy ?? strict).refusal(for: ip, host: literal) != nil
    }

    @Test func legacyIPv4SpellingsReadAsLibcReadsThem() {
        #expect(OutboundIP.literal("2130706433")?.description == "127.0.0.1")
        #expect(OutboundIP.literal("0177.0.0.1")?.description == "127.0.0.1")
        #expect(OutboundIP.literal("0x7f.1")?.description == "127.0.0.1")
        #expect(OutboundIP.literal("127.1")?.description == "127.0.0.1")
        #expect(OutboundIP.literal("0x7f000001")?.description == "127.0.0.1")
        #expect(OutboundIP.literal("10.1.0x1")?.description == "10.1.0.1")
        #expect(OutboundIP.literal("0")?.description == "0.0.0.0")
        #expect(OutboundIP.literal("[::ffff:127.0.0.1]")?.isV4 == true)
        #expect(OutboundIP.literal("256.1.1.1") == nil)
        #expect(OutboundIP.literal("1.2.3.4.5") == nil)
        #expect(OutboundIP.literal("example.com") == nil)
        #expect(OutboundIP.looksNumeric("0x7f.1") && OutboundIP.looksNumeric("1.2.3.999") && !OutboundIP.looksNumeric("1.example.com"))
    }

    @Test func everyBlockedIPv4RangeIsRefused() {
        for a in ["0.0.0.0", "0.1.2.3", "10.0.0.1", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.255.0.9",
                  "169.254.169.254", "169.254.0.1", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1",
                  "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.1", "198.51.100.7", "203.0.113.9",
                  "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
                  "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0xa9fea9fe"] {
            #expect(blocked(a), "\(a) must be refused")
        }
        for a in ["8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.0.1", "172.32.0.1", "198.17.0.1", "198.20.0.1", "93.184.215.14"] {
            #expect(!blocked(a), "\(a) is public")
        }
    }

    @Test func everyBlockedIPv6FormIsRefused() {
        for a in ["::", "::1", "fe80::1", "febf::1", "fec0::1", "fc00::1", "fd12:3456::1", "ff02::1", "100::1", "2001:db8::1",
                  "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::127.0.0.1", "::10.0.0.1",
                  "64:ff9b::7f00:1", "64:ff9b::10.0.0.1", "64:ff9b:1::1", "2002:7f00:1::", "2002:a9fe:a9fe::1",
                  "2001:0:4136:e378:8000:63bf:80ff:fffe"] {  // Teredo whose client is 127.0.0.1
            #expect(blocked(a), "\(a) must be refused")
        }
        for a in ["2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            #expect(!blocked(a), "\(a) is public")
        }
    }

    @Test func allowListOpensNetworksAndNamesButNotTheUnreachable() throws {
        let p = try OutboundAddressPolicy.parse(allow: "10.0.0.0/8, 192.168.1.20 ,hooks.internal,*.corp.example,fd00::/8", allowHTTP: false)
        #expect(p.allowedNetworks.map(\.description) == ["10.0.0.0/8", "192.168.1.20/32", "fd00::/8"])
        #expect(p.allowedHosts == ["hooks.internal", "*.corp.example"])
        #expect(!blocked("10.9.8.7", p) && !blocked("::ffff:10.1.1.1", p) && !blocked("192.168.1.20", p) && !blocked("fd00::5", p))
        #expect(blocked("192.168.1.21", p) && blocked("127.0.0.1", p) && blocked("fc00::1", p))
        let loop = OutboundIP.literal("127.0.0.1")!
        #expect(p.refusal(for: loop, host: "hooks.internal") == nil)
        #expect(p.refusal(for: loop, host: "a.b.corp.example") == nil)
        #expect(p.refusal(for: loop, host: "corp.example.evil") != nil)
        #expect(p.refusal(for: OutboundIP.literal("0.0.0.0")!, host: "hooks.internal") != nil, "unspecified stays refused")
        #expect(p.refusal(for: OutboundIP.literal("224.0.0.1")!, host: "hooks.internal") != nil, "multicast stays refused")
    }

    @Test func badAllowEntriesAreNamed() {
        for bad in ["10.0.0.0/33", "0x7f.1", "not a host", "-bad.example", "300.1.1.1/8"] {
            #expect(throws: OutboundHTTPPolicyError.self) { try OutboundAddressPolicy.parse(allow: bad, allowHTTP: false) }
        }
        do {
            _ = try AppConfig.load(environment: ["OPSIQ_OUTBOUND_ALLOW": "10.0.0.0/8,bad host"])
            Issue.record("accepted a bad allow entry")
        } catch let e as ConfigError {
            #expect(e.setting == "OPSIQ_OUTBOUND_ALLOW" && e.message.contains("bad host"))
        } catch { Issue.record("\(error)") }
        #expect(throws: ConfigError.self) { try AppConfig.load(environment: ["OPSIQ_OUTBOUND_ALLOW_HTTP": "maybe"]) }
    }

    @Test func configDefaultsAreStrict() throws {
        let c = try AppConfig.load(environment: [:])
        #expect(c.outboundPolicy == OutboundAddressPolicy())
        let open = try AppConfig.load(environment: ["OPSIQ_OUTBOUND_ALLOW": "127.0.0.0/8", "OPSIQ_OUTBOUND_ALLOW_HTTP": "true"])
        #expect(open.outboundPolicy.allowHTTP && open.outboundPolicy.allowedNetworks.count == 1)
    }
}
