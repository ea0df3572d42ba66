import Foundation
import Ports

/// Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps, 6 digits,
/// the form every authenticator app reads from an `otpauth://` URI.
public struct TOTP: Sendable {
    public let digests: any Digests
    public var step: TimeInterval = 30
    public var digits: Int = 6
    /// Codes one step early or late are accepted, for clocks that drift.
    public var allowedSkew: Int = 1

    public init(digests: any Digests) { self.digests = digests }

    public func code(secret: [UInt8], at time: Date) -> String {
        code(secret: secret, counter: UInt64(max(0, floor(time.timeIntervalSince1970 / step))))
    }

    public func code(secret: [UInt8], counter: UInt64) -> String {
        var c = counter.bigEndian
        let message = withUnsafeBytes(of: &c) { Array($0) }
        let mac = digests.hmacSHA1(key: secret, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var mod: UInt32 = 1
        for _ in 0..<digits { mod *= 10 }
        let s = String(binary % mod)
        return String(repeating: "0", count: digits - s.count) + s
    }

    /// The matching counter step if `code` is valid at `time` within the allowed skew, else nil.
    /// Callers store the last used step to refuse a replay of the same code.
    public func verify(_ code: String, secret: [UInt8], at time: Date) -> Int64? {
        let cleaned = code.filter { !$0.isWhitespace }
        guard cleaned.count == digits, cleaned.allSatisfy(\.isNumber) else { return nil }
        let now = Int64(floor(time.timeIntervalSince1970 / step))
        for delta in -allowedSkew...allowedSkew {
            let counter = now + Int64(delta)
            guard counter >= 0 else { continue }
            if constantTimeEquals(self.code(secret: secret, counter: UInt64(counter)), cleaned) { return counter }
        }
        return nil
    }

    /// The `otpauth://` URI an authenticator app scans.
    public func provisioningURI(secret: [UInt8], account: String, issuer: String) -> String {
        func enc(_ s: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
        }
        return "otpauth://totp/\(enc(issuer)):\(enc(account))?secret=\(Base32.encode(secret))&issuer=\(enc(issuer))&algorithm=SHA1&digits=\(digits)&period=\(Int(step))"
    }
}

/// RFC 4648 base32 without padding (how authenticator apps show secrets).
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = ""
        var buffer = 0, bits = 0
        for b in bytes {
            buffer = (buffer << 8) | Int(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for ch in text.uppercased() where ch != "=" && ch != " " && ch != "-" {
            guard let v = alphabet.firstIndex(of: ch) else { return nil }
            buffer = (buffer << 5) | v
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return out
    }
}

/// Compares two strings without an early exit, so timing does not reveal a partial match.
public func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}
