import Foundation
import Ports

/// Who a signed identity token says the visitor is.
public struct IdentityClaims: Sendable, Equatable {
    public var siteKey: String
    /// The customer's id in the site's own system (numbers and strings both accepted, kept as text).
    public var customerID: String?
    public var email: String?
    public var name: String?
    public var issuedAt: Date
    public var expiresAt: Date
}

public enum IdentityTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case badSignature
    case expired
    case notYetValid
    case wrongSite

    public var description: String {
        switch self {
        case .malformed(let why): return "identity token is malformed: \(why)"
        case .badSignature: return "identity token signature does not match the site secret"
        case .expired: return "identity token has expired"
        case .notYetValid: return "identity token is issued in the future"
        case .wrongSite: return "identity token was made for another site"
        }
    }
}

/// Verifies tokens in the documented format: `base64(payload_json) + "." + hex(HMAC-SHA256(payload_json, site_secret))`
/// with payload `{site_key, customer:{id,email,name}, iat, exp}`. The MAC is checked over the exact decoded
/// bytes, so PHP's `json_encode` (escaped slashes, \u escapes) and Node's `JSON.stringify` both verify.
public struct IdentityTokenVerifier: Sendable {
    public let digests: any Digests
    /// Clock skew tolerated on `iat` and `exp`.
    public var leeway: TimeInterval = 60
    /// Tokens valid for longer than this are refused (the docs suggest 15 minutes).
    public var maxLifetime: TimeInterval = 24 * 3600

    public init(digests: any Digests) { self.digests = digests }

    public func verify(_ token: String, siteKey: String, secret: String, now: Date) throws -> IdentityClaims {
        let t = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.count <= 8192, let dot = t.lastIndex(of: ".") else { throw IdentityTokenError.malformed("expected base64(payload).hex(signature)") }
        var b64 = String(t[..<dot]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        let signature = t[t.index(after: dot)...].lowercased()
        guard let payload = Data(base64Encoded: b64) else { throw IdentityTokenError.malformed("the payload is not base64") }
        guard signature.count == 64, signature.allSatisfy(\.isHexDigit) else { throw IdentityTokenError.malformed("the signature is not 64 hex characters") }
        let mac = digests.hmacSHA256(key: Array(secret.utf8), message: Array(payload)).hexString
        guard constantTimeEquals(mac, signature) else { throw IdentityTokenError.badSignature }
        guard case .object(let o)? = try? JSONValue.parse(String(decoding: payload, as: UTF8.self)) else {
            throw IdentityTokenError.malformed("the payload is not a JSON object")
        }
        guard let sk = o["site_key"]?.stringValue else { throw IdentityTokenError.malformed("site_key is missing") }
        guard constantTimeEquals(sk, siteKey) else { throw IdentityTokenError.wrongSite }
        guard let iat = o["iat"]?.intValue, let exp = o["exp"]?.intValue else { throw IdentityTokenError.malformed("iat and exp (Unix seconds) are required") }
        let issued = Date(timeIntervalSince1970: TimeInterval(iat)), expires = Date(timeIntervalSince1970: TimeInterval(exp))
        guard issued.timeIntervalSince(now) <= leeway else { throw IdentityTokenError.notYetValid }
        guard now.timeIntervalSince(expires) <= leeway else { throw IdentityTokenError.expired }
        guard expires.timeIntervalSince(issued) <= maxLifetime else { throw IdentityTokenError.malformed("exp is more than 24 hours after iat") }
        var claims = IdentityClaims(siteKey: sk, customerID: nil, email: nil, name: nil, issuedAt: issued, expiresAt: expires)
        if case .object(let c)? = o["customer"] {
            switch c["id"] {
            case .string(let s)?: claims.customerID = s
            case .int(let i)?: claims.customerID = String(i)
            case .double(let d)?: claims.customerID = String(Int64(d))
            default: break
            }
            claims.email = c["email"]?.stringValue?.lowercased()
            claims.name = c["name"]?.stringValue
        }
        guard claims.customerID != nil || claims.email != nil else { throw IdentityTokenError.malformed("customer needs an id or an email") }
        return claims
    }
}
