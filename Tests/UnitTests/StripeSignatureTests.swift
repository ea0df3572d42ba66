import Adapters
import Domain
import Foundation
import Testing

/// Stripe's `Stripe-Signature` scheme against a vector computed independently (Python's hmac module):
/// valid, several v1 values, wrong secret, expired and future timestamps, malformed headers.
@Suite struct StripeSignatureTests {
    static let secret = "whsec_test_secret_0123456789"
    static let body = Array(#"{"id":"evt_vec1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount_received":12550,"currency":"usd","receipt_email":"buyer@example.com"}}}"#.utf8)
    static let t: Int64 = 1_790_000_000
    static let v1 = "b27859c7787e2bae810e4d8f805f5f698c29b379ed605661b5ae24a9b9a3ff0a"
    let stripe = StripeWebhook()
    let digests = CryptoDigests()

    func verify(_ header: String?, secret: String = secret, now: Int64 = t + 10, body: [UInt8] = body) throws(InboundWebhookRejection) {
        try stripe.verify(headers: header.map { ["stripe-signature": $0] } ?? [:], body: body, secret: secret, now: Date(timeIntervalSince1970: Double(now)), digests: digests)
    }

    func reason(_ f: () throws -> Void) -> String? {
        do { try f(); return nil } catch let e as InboundWebhookRejection { return e.reason } catch { return "unexpected \(error)" }
    }

    @Test func validSignaturesAreAccepted() throws {
        try verify("t=\(Self.t),v1=\(Self.v1)")
        // Any of several v1 values may match (a secret being rolled); v0 is ignored.
        try verify("t=\(Self.t),v1=\(String(repeating: "0", count: 64)),v1=\(Self.v1),v0=abc")
        // At the edge of the 300-second tolerance, both ways.
        try verify("t=\(Self.t),v1=\(Self.v1)", now: Self.t + 300)
        try verify("t=\(Self.t),v1=\(Self.v1)", now: Self.t - 300)
    }

    @Test func refusalsSayWhy() {
        #expect(reason { try verify("t=\(Self.t),v1=\(Self.v1)", secret: "whsec_some_other_secret_000") } == "no v1 signature matches the body (check the signing secret)")
        #expect(reason { try verify("t=\(Self.t),v1=\(Self.v1)", now: Self.t + 301) } == "the timestamp is more than 300 seconds away from now (a replayed or delayed delivery)")
        #expect(reason { try verify("t=\(Self.t),v1=\(Self.v1)", now: Self.t - 301) } == "the timestamp is more than 300 seconds away from now (a replayed or delayed delivery)")
        #expect(reason { try verify("t=\(Self.t + 1),v1=\(Self.v1)", now: Self.t) } == "no v1 signature matches the body (check the signing secret)")
        #expect(reason { try verify("t=\(Self.t),v1=\(Self.v1)", body: Self.body + [0x20]) } == "no v1 signature matches the body (check the signing secret)")
        #expect(reason { try verify(nil) } == "missing Stripe-Signature header")
        #expect(reason { try verify("v1=\(Self.v1)") } == "Stripe-Signature has no timestamp (t=)")
        #expect(reason { try verify("t=\(Self.t),v0=\(Self.v1)") } == "Stripe-Signature has no v1 signature")
    }

    @Test func eventsMapToOrderCompletedInMajorUnits() throws {
        let e = try stripe.parse(body: Self.body)
        #expect(e.externalID == "evt_vec1" && e.type == "payment_intent.succeeded")
        #expect(e.events.count == 1)
        #expect(e.events[0].type == "order.completed")
        #expect(e.events[0].payload["amount"] == .double(125.5))
        #expect(e.events[0].payload["currency"] == .string("USD"))
        #expect(e.events[0].payload["customer_email"] == .string("buyer@example.com"))
        let jpy = try stripe.parse(body: Array(#"{"id":"evt_2","type":"checkout.session.completed","data":{"object":{"id":"cs_1","amount_total":5000,"currency":"jpy","payment_status":"paid","customer_details":{"email":"k@example.jp"}}}}"#.utf8))
        #expect(jpy.events.first?.payload["amount"] == .double(5000))
        #expect(jpy.events.first?.payload["customer_email"] == .string("k@example.jp"))
        #expect(StripeWebhook.majorUnits(1234, currency: "KWD") == 1.234)
        let other = try stripe.parse(body: Array(#"{"id":"evt_3","type":"customer.created","data":{"object":{}}}"#.utf8))
        #expect(other.events.isEmpty)
        #expect(throws: InboundWebhookRejection("the event has no id")) { try stripe.parse(body: Array(#"{"type":"x"}"#.utf8)) }
    }
}
