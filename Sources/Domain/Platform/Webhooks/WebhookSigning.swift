import Foundation
import Ports

/// The bytes and headers of one delivery attempt.
///
/// Signatures (documented in the README, Webhooks):
/// - `X-OpsIQ-Signature`: hex HMAC-SHA256 of the raw body, key = the endpoint secret's text
///   (`opsiq_whsec_…`), exactly what the spec's PHP and Node verifiers compute. Always the current secret.
/// - `X-OpsIQ-Signature-Previous`: the same with the previous secret, only during a rotation's grace period.
/// - Standard Webhooks: `webhook-id` (= event_id), `webhook-timestamp` (Unix seconds of this attempt) and
///   `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one entry per valid secret
///   (current first, space-separated), keyed with the base64-decoded part after `opsiq_whsec_`, so a
///   Standard Webhooks library works when given the secret without its `opsiq_` prefix (`whsec_…`).
public enum WebhookSigning {
    public static let secretPrefix = "opsiq_whsec_"
    public static let userAgent = "OpsIQ-Webhooks/1"

    /// A new secret: the prefix and 24 random bytes as base64 (32 characters, no padding).
    public static func newSecret(random: any RandomSource) -> String {
        secretPrefix + Data(random.bytes(24)).base64EncodedString()
    }

    /// The Standard Webhooks key: the base64 after the prefix, decoded (the secret's bytes if it is not base64).
    public static func standardKey(_ secret: String) -> [UInt8] {
        let tail = secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : secret
        return Data(base64Encoded: tail).map { [UInt8]($0) } ?? Array(tail.utf8)
    }

    /// The delivery body: `{"event_id","event","created_at","site_key","data"}` in that order, compact,
    /// with `data` written as JavaScript would re-write it (see `WebhookJSON`).
    public static func body(eventID: String, type: String, createdAt: Date, siteKey: String, payload: String) throws -> [UInt8] {
        var out = "{\"event_id\":"
        WebhookJSON.quote(eventID, into: &out)
        out += ",\"event\":"
        WebhookJSON.quote(type, into: &out)
        out += ",\"created_at\":"
        WebhookJSON.quote(timestamp(createdAt), into: &out)
        out += ",\"site_key\":"
        WebhookJSON.quote(siteKey, into: &out)
        out += ",\"data\":"
        let data = try WebhookJSON.parse(payload)
        guard case .object = data else { throw DomainError.validation(field: "payload", message: "an event payload must be a JSON object") }
        out += WebhookJSON.stringify(data)
        out += "}"
        return Array(out.utf8)
    }

    /// `2026-12-03T16:30:00.123Z`, as JavaScript's `toISOString()` writes it.
    public static func timestamp(_ d: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
        let millis = Int((d.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        func p(_ v: Int?, _ w: Int) -> String { let s = String(v ?? 0); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(p(c.year, 4))-\(p(c.month, 2))-\(p(c.day, 2))T\(p(c.hour, 2)):\(p(c.minute, 2)):\(p(c.second, 2)).\(p((millis + 1000) % 1000, 3))Z"
    }

    /// Every header of one attempt, signatures included. `secrets` holds the current secret first.
    public static func headers(eventID: String, sentAt: Date, body: [UInt8], secrets: [String], digests: any Digests) -> [(String, String)] {
        precondition(!secrets.isEmpty, "an endpoint always has a secret")
        let ts = String(Int64(sentAt.timeIntervalSince1970.rounded(.down)))
        var h: [(String, String)] = [("Content-Type", "application/json"), ("User-Agent", userAgent)]
        h.append(("X-OpsIQ-Signature", digests.hmacSHA256(key: Array(secrets[0].utf8), message: body).hexString))
        if secrets.count > 1 {
            h.append(("X-OpsIQ-Signature-Previous", digests.hmacSHA256(key: Array(secrets[1].utf8), message: body).hexString))
        }
        h.append(("X-OpsIQ-Event-Id", eventID))
        let signed = Array("\(eventID).\(ts).".utf8) + body
        let sigs = secrets.map { "v1," + Data(digests.hmacSHA256(key: standardKey($0), message: signed)).base64EncodedString() }
        h += [("webhook-id", eventID), ("webhook-timestamp", ts), ("webhook-signature", sigs.joined(separator: " "))]
        return h
    }

    /// True when `pattern` (`ticket.created`, `ticket.*`, `*`) covers the event type.
    public static func matches(_ pattern: String, _ type: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasSuffix(".*") { return type.hasPrefix(pattern.dropLast()) }
        return pattern == type
    }

    /// A valid subscription entry: dotted lower-case names, optionally ending in `.*`, or `*`.
    public static func isValidPattern(_ p: String) -> Bool {
        if p == "*" { return true }
        let core = p.hasSuffix(".*") ? String(p.dropLast(2)) : p
        guard !core.isEmpty, core.count <= 120 else { return false }
        return core.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
        }
    }
}
