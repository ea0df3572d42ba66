import Foundation
import Ports

/// Stripe's webhook signing: `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>…]`, where each v1
/// is HMAC-SHA256 of `"<t>.<raw body>"` with the endpoint's `whsec_…` secret. Any v1 may match
/// (Stripe sends several while a secret is being rolled); the timestamp must be within 300 seconds.
public struct StripeWebhook: InboundPlatform {
    public let slug = "stripe"
    public let name = "Stripe"
    public let secretHint = "Stripe Dashboard > Developers > Webhooks > your endpoint > Signing secret (whsec_…)"
    public static let tolerance: TimeInterval = 300
    public init() {}

    public func validateSecret(_ secret: String) throws {
        guard secret.hasPrefix("whsec_"), secret.count >= 20 else {
            throw DomainError.validation(field: "secret", message: "a Stripe signing secret starts with whsec_ (\(secretHint))")
        }
    }

    public func verify(headers: [String: String], body: [UInt8], secret: String, now: Date, digests: any Digests) throws(InboundWebhookRejection) {
        guard let header = headers["stripe-signature"], !header.isEmpty else { throw InboundWebhookRejection("missing Stripe-Signature header") }
        var timestamp: Int64? = nil
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { continue }
            if kv[0] == "t" { timestamp = Int64(kv[1]) }
            if kv[0] == "v1" { signatures.append(kv[1].lowercased()) }
        }
        guard let t = timestamp else { throw InboundWebhookRejection("Stripe-Signature has no timestamp (t=)") }
        guard !signatures.isEmpty else { throw InboundWebhookRejection("Stripe-Signature has no v1 signature") }
        let expected = digests.hmacSHA256(key: Array(secret.utf8), message: Array("\(t).".utf8) + body).hexString
        // Every candidate is compared in full, so the time taken does not tell which one was close.
        var ok = false
        for s in signatures where constantTimeEquals(expected, s) { ok = true }
        guard ok else { throw InboundWebhookRejection("no v1 signature matches the body (check the signing secret)") }
        guard abs(now.timeIntervalSince1970 - Double(t)) <= Self.tolerance else {
            throw InboundWebhookRejection("the timestamp is more than \(Int(Self.tolerance)) seconds away from now (a replayed or delayed delivery)")
        }
    }

    /// Currencies Stripe counts in whole units, and those with three decimals.
    static let zeroDecimal: Set<String> = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
    static let threeDecimal: Set<String> = ["bhd", "jod", "kwd", "omr", "tnd"]

    public static func majorUnits(_ minor: Int64, currency: String) -> Double {
        let c = currency.lowercased()
        if zeroDecimal.contains(c) { return Double(minor) }
        if threeDecimal.contains(c) { return Double(minor) / 1000 }
        return Double(minor) / 100
    }

    public func parse(body: [UInt8]) throws(InboundWebhookRejection) -> InboundPlatformEvent {
        guard let v = try? JSONValue.parse(String(decoding: body, as: UTF8.self)), case .object(let o) = v else {
            throw InboundWebhookRejection("the body is not a JSON object")
        }
        guard let id = o["id"]?.stringValue, !id.isEmpty, id.count <= 190 else { throw InboundWebhookRejection("the event has no id") }
        guard let type = o["type"]?.stringValue, !type.isEmpty else { throw InboundWebhookRejection("the event has no type") }
        let obj = o["data"]?["object"] ?? .object([:])
        func order(amount: Int64?, email: String?, paymentIntent: String?) -> [PlatformEventOut] {
            guard let amount, let currency = obj["currency"]?.stringValue else { return [] }
            return [PlatformEventOut(type: "order.completed", payload: [
                "order_id": .string(obj["id"]?.stringValue ?? id), "platform": .string("stripe"), "platform_event_id": .string(id),
                "amount": .double(Self.majorUnits(amount, currency: currency)), "currency": .string(currency.uppercased()),
                "customer_email": email.map { .string($0) } ?? .null, "status": .string("paid"),
            ], onceKey: paymentIntent.map { "order:\($0)" })]
        }
        var out: [PlatformEventOut] = []
        switch type {
        case "checkout.session.completed":
            // An unpaid session (delayed payment methods) completes later with payment_intent.succeeded.
            if obj["payment_status"]?.stringValue != "unpaid" {
                out = order(amount: obj["amount_total"]?.intValue,
                            email: obj["customer_details"]?["email"]?.stringValue ?? obj["customer_email"]?.stringValue,
                            paymentIntent: obj["payment_intent"]?.stringValue)
            }
        case "payment_intent.succeeded":
            out = order(amount: obj["amount_received"]?.intValue ?? obj["amount"]?.intValue, email: obj["receipt_email"]?.stringValue,
                        paymentIntent: obj["id"]?.stringValue)
        default: break
        }
        return InboundPlatformEvent(externalID: id, type: type, events: out)
    }
}
