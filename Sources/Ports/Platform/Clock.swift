import Foundation

/// Where the current time comes from. Tests pass a settable clock so SLA, retries and leases are deterministic.
public protocol TimeSource: Sendable {
    func now() -> Date
}

/// Where randomness comes from (ids, jitter, secrets). Tests pass a seeded source.
public protocol RandomSource: Sendable {
    /// `count` cryptographically strong random bytes (the live adapter uses the system CSPRNG).
    func bytes(_ count: Int) -> [UInt8]
    /// A uniformly distributed number in 0..<1.
    func unit() -> Double
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex, two characters a byte (digests, MACs, tokens).
    public var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(underestimatedCount * 2)
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0F)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension RandomSource {
    /// 32 lowercase hex characters from 16 random bytes.
    public func hexToken(bytes count: Int = 16) -> String { bytes(count).hexString }

    private static var base62: [Character] { Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") }

    /// `length` base62 characters without modulo bias (rejection sampling over random bytes).
    public func base62(length: Int) -> String {
        let alphabet = Self.base62
        var out = ""
        out.reserveCapacity(length)
        while out.count < length {
            for b in bytes(length * 2) where b < 248 {  // 248 = 62 * 4: unbiased
                out.append(alphabet[Int(b) % 62])
                if out.count == length { break }
            }
        }
        return out
    }
}

/// Encrypts secrets at rest (provider keys, connector credentials, site secrets) with an AEAD under the
/// master key. The sealed form names the key version so the key can be rotated.
public protocol SecretBox: Sendable {
    func seal(_ plaintext: String) throws -> String
    func open(_ sealed: String) throws -> String
    /// The value sealed again under the current key, or nil when it already is (key rotation).
    func reseal(_ sealed: String) throws -> String?
}
