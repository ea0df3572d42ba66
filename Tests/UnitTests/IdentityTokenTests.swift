import Adapters
import Foundation
import Testing
@testable import Domain

/// Vectors made outside Swift, the way the spec's PHP (json_encode: escaped slashes, \u escapes) and Node
/// (JSON.stringify, UTF-8) samples make them, with secret opsiq_whsec_your_secret.
@Suite struct IdentityTokenTests {
    let verifier = IdentityTokenVerifier(digests: CryptoDigests())
    let secret = "opsiq_whsec_your_secret"
    let at = Date(timeIntervalSince1970: 1_790_000_100)
    let php = "eyJzaXRlX2tleSI6InNpdGVfYWJjMTIzIiwiY3VzdG9tZXIiOnsiaWQiOjEwMDEsImVtYWlsIjoiamFuZUBleGFtcGxlLmNvbSIsIm5hbWUiOiJKYW5lIFNtXHUwMGVldGggXC8gQ28ifSwiaWF0IjoxNzkwMDAwMDAwLCJleHAiOjE3OTAwMDA5MDB9.e22a8861019bbff86bdad8906a8d030da45efba4ce09093ce3489e38743bbc1b"
    let node = "eyJzaXRlX2tleSI6InNpdGVfYWJjMTIzIiwiY3VzdG9tZXIiOnsiaWQiOiJjdXN0XzEwMDEiLCJlbWFpbCI6InVzZXJAZXhhbXBsZS5jb20iLCJuYW1lIjoiSsOkbmUifSwiaWF0IjoxNzkwMDAwMDAwLCJleHAiOjE3OTAwMDA5MDB9.7e90a72de0d0f59004d857fec06d4afea8cb2637b32fcd0b154eae38a66bb9ce"

    @Test func phpAndNodeTokensVerify() throws {
        let p = try verifier.verify(php, siteKey: "site_abc123", secret: secret, now: at)
        #expect(p.customerID == "1001" && p.email == "jane@example.com" && p.name == "Jane Smîth / Co")
        let n = try verifier.verify(node, siteKey: "site_abc123", secret: secret, now: at)
        #expect(n.customerID == "cust_1001" && n.name == "Jäne")
    }

    @Test func tamperedExpiredAndCrossSiteTokensAreRefused() {
        #expect(throws: IdentityTokenError.badSignature) { try verifier.verify(php, siteKey: "site_abc123", secret: "opsiq_whsec_other", now: at) }
        var bytes = Array(php.utf8)
        bytes[20] = bytes[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: (any Error).self) { try verifier.verify(String(decoding: bytes, as: UTF8.self), siteKey: "site_abc123", secret: secret, now: at) }
        #expect(throws: IdentityTokenError.expired) { try verifier.verify(php, siteKey: "site_abc123", secret: secret, now: at.addingTimeInterval(3600)) }
        #expect(throws: IdentityTokenError.notYetValid) { try verifier.verify(php, siteKey: "site_abc123", secret: secret, now: at.addingTimeInterval(-3600)) }
        #expect(throws: IdentityTokenError.wrongSite) { try verifier.verify(php, siteKey: "site_other", secret: secret, now: at) }
        #expect(throws: (any Error).self) { try verifier.verify("not a token", siteKey: "site_abc123", secret: secret, now: at) }
        #expect(throws: (any Error).self) { try verifier.verify("", siteKey: "site_abc123", secret: secret, now: at) }
    }
}
