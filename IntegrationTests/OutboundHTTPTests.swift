import Adapters
import Foundation
import Ports
import Testing

/// The libcurl client with its SSRF guard against real loopback servers and real name resolution.
@Suite(.serialized) struct OutboundHTTPTests {
    /// Loopback is blocked by default; these tests open it the way an operator would.
    static let loopbackOpen = OutboundAddressPolicy(allowedNetworks: [OutboundNetwork("127.0.0.0/8")!], allowHTTP: true)

    func client(_ policy: OutboundAddressPolicy = loopbackOpen) -> CurlOutboundHTTPClient {
        CurlOutboundHTTPClient(policy: policy, threads: 2, userAgent: "OpsIQ-Test/1")
    }

    func refusal(_ c: CurlOutboundHTTPClient, _ url: String) async -> OutboundHTTPError? {
        do {
            _ = try await c.send(OutboundRequest(url: url, body: Array("x".utf8), timeout: 5))
            return nil
        } catch { return error }
    }

    @Test func postsBodyAndHeadersAndReadsTheAnswer() async throws {
        let r = try await HTTPReceiver()
        defer { r.stop() }
        let body = Array(#"{"a":"é/ü"}"#.utf8)
        let res = try await client().send(OutboundRequest(url: "\(r.base)/echo?x=1", headers: [("Content-Type", "application/json"), ("X-Sig", "abc")], body: body))
        #expect(res.status == 200 && res.bodyText == "ok:" + #"{"a":"é/ü"}"#)
        #expect(res.remoteAddress == "127.0.0.1" && !res.truncated)
        let got = try #require(r.requests.first)
        #expect(got.method == "POST" && got.path == "/echo?x=1" && got.body == body)
        #expect(got.header("X-Sig") == "abc" && got.header("Content-Type") == "application/json" && got.header("User-Agent") == "OpsIQ-Test/1")
        #expect(got.header("Expect") == nil)
    }

    @Test func statusesAndHeadersComeBackAsTheyAre() async throws {
        let r = try await HTTPReceiver()
        defer { r.stop() }
        let c = client()
        let r429 = try await c.send(OutboundRequest(url: "\(r.base)/status/429?retry_after=7"))
        #expect(r429.status == 429 && r429.headers["retry-after"] == "7")
        #expect(try await c.send(OutboundRequest(url: "\(r.base)/status/410")).status == 410)
        #expect(try await c.send(OutboundRequest(url: "\(r.base)/status/500")).status == 500)
    }

    @Test func redirectsAreNotFollowed() async throws {
        let r = try await HTTPReceiver()
        defer { r.stop() }
        let res = try await client().send(OutboundRequest(url: "\(r.base)/redirect?to=\(r.base)/landed"))
        #expect(res.status == 302 && res.headers["location"] == "\(r.base)/landed")
        #expect(r.requests.map(\.path).allSatisfy { !$0.hasPrefix("/landed") }, "the Location was not visited")
    }

    @Test func responseBodyIsCappedAndTheStatusKept() async throws {
        let r = try await HTTPReceiver()
        defer { r.stop() }
        let res = try await client().send(OutboundRequest(url: "\(r.base)/big/3000000", maxResponseBytes: 1000))
        #expect(res.status == 200 && res.truncated && res.body.count == 1000)
        let small = try await client().send(OutboundRequest(url: "\(r.base)/big/999", maxResponseBytes: 1000))
        #expect(!small.truncated && small.body.count == 999)
    }

    @Test func slowReceiverTimesOut() async throws {
        let r = try await HTTPReceiver()
        defer { r.stop() }
        let started = Date()
        do {
            _ = try await client().send(OutboundRequest(url: "\(r.base)/sleep/3", timeout: 0.5))
            Issue.record("no timeout")
        } catch {
            #expect(error == .timedOut(after: 0.5))
        }
        #expect(Date().timeIntervalSince(started) < 12)
    }

    @Test func connectionRefusedIsItsOwnError() async throws {
        let port = try freePort()
        let e = await refusal(client(), "http://127.0.0.1:\(port)/")
        guard case .connectionRefused = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func plainHTTPNeedsTheOperatorsConsent() async throws {
        let c = client(OutboundAddressPolicy(allowedNetworks: [OutboundNetwork("127.0.0.0/8")!], allowHTTP: false))
        #expect(await refusal(c, "http://127.0.0.1:9/") == .insecureScheme("http://127.0.0.1:9/"))
        for bad in ["ftp://example.com/", "https://user:pw@example.com/", "example.com/hook", "https://exa mple.com/", "https://example.com:0/",
                    "https://[::1/", "https://1.2.3.999/", "https:///path"] {
            guard case .invalidURL = await refusal(c, bad) else { Issue.record("\(bad) was not refused as invalid"); continue }
        }
    }

    @Test func everySpelledBlockedAddressIsRefusedBeforeConnecting() async throws {
        let r = try await HTTPReceiver()
        defer { r.stop() }
        let c = client(OutboundAddressPolicy(allowHTTP: true))
        for host in ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001", "[::1]", "[::ffff:127.0.0.1]",
                     "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "169.254.169.254", "0.0.0.0", "0", "10.0.0.1",
                     "[fe80::1]", "[fd00::1]", "100.64.0.1", "192.168.0.1", "172.16.0.1", "224.0.0.1", "240.0.0.1"] {
            let e = await refusal(c, "http://\(host):\(r.port)/x")
            guard case .blockedAddress = e else { Issue.record("\(host) not refused: \(String(describing: e))"); continue }
        }
        #expect(r.requests.isEmpty, "nothing reached the receiver")
    }

    @Test func namesResolvingToBlockedAddressesAreRefusedAndAllowListedOnesDelivered() async throws {
        let r = try await HTTPReceiver()
        defer { r.stop() }
        let hosts = try EtcHosts([("127.0.0.1", "ssrf-loop.opsiq.test"), ("10.1.2.3", "ssrf-private.opsiq.test"),
                                  ("169.254.169.254", "ssrf-meta.opsiq.test"), ("::1", "ssrf-v6.opsiq.test"),
                                  ("::ffff:127.0.0.1", "ssrf-mapped.opsiq.test"), ("8.8.8.8", "ssrf-mixed.opsiq.test"),
                                  ("127.0.0.1", "ssrf-mixed.opsiq.test"), ("127.0.0.1", "hooks.opsiq.test")])
        defer { hosts.remove() }
        let strict = client(OutboundAddressPolicy(allowHTTP: true))
        for name in ["ssrf-loop", "ssrf-private", "ssrf-meta", "ssrf-v6", "ssrf-mapped", "ssrf-mixed", "hooks"] {
            let e = await refusal(strict, "http://\(name).opsiq.test:\(r.port)/x")
            guard case .blockedAddress(let h, _, _) = e else { Issue.record("\(name) not refused: \(String(describing: e))"); continue }
            #expect(h == "\(name).opsiq.test")
        }
        #expect(r.requests.isEmpty)
        // The operator's allow-list: by name, and by network.
        let byName = client(try OutboundAddressPolicy.parse(allow: "hooks.opsiq.test", allowHTTP: true))
        let ok = try await byName.send(OutboundRequest(url: "http://hooks.opsiq.test:\(r.port)/named"))
        #expect(ok.status == 200 && ok.remoteAddress == "127.0.0.1")
        #expect(r.requests.last?.header("Host") == "hooks.opsiq.test:\(r.port)", "the Host header keeps the name")
        guard case .blockedAddress = await refusal(byName, "http://ssrf-loop.opsiq.test:\(r.port)/x") else {
            Issue.record("an allow-listed name must not open other names"); return
        }
        let byNet = client(try OutboundAddressPolicy.parse(allow: "127.0.0.0/8", allowHTTP: true))
        #expect(try await byNet.send(OutboundRequest(url: "http://ssrf-loop.opsiq.test:\(r.port)/net")).status == 200)
        #expect(try await byNet.send(OutboundRequest(url: "http://0x7f.1:\(r.port)/hex")).status == 200)
        guard case .blockedAddress = await refusal(byNet, "http://ssrf-meta.opsiq.test:\(r.port)/x") else {
            Issue.record("metadata must stay blocked"); return
        }
    }

    @Test func theCheckRunsAgainOnEveryRequest() async throws {
        let r = try await HTTPReceiver()
        defer { r.stop() }
        let c = client(try OutboundAddressPolicy.parse(allow: "127.0.0.2", allowHTTP: true))
        let first = try EtcHosts([("127.0.0.2", "rebind.opsiq.test")])
        // The receiver listens on 127.0.0.1 only, so 127.0.0.2 is refused by the kernel: what matters is that it was tried.
        let e1 = await refusal(c, "http://rebind.opsiq.test:\(r.port)/x")
        first.remove()
        guard case .connectionRefused = e1 else { Issue.record("first: \(String(describing: e1))"); return }
        let second = try EtcHosts([("127.0.0.1", "rebind.opsiq.test")])
        defer { second.remove() }
        guard case .blockedAddress(_, let a, _) = await refusal(c, "http://rebind.opsiq.test:\(r.port)/x") else {
            Issue.record("the new answer was not checked"); return
        }
        #expect(a == "127.0.0.1")
    }
}

extension OutboundResponse {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}
