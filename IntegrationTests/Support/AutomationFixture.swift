import Adapters
import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ports
import Testing
@testable import WebApp

/// Helpers for the automation tests: saving automations as the Owner, running the worker's jobs the
/// way `opsiq-worker` does (claim, run, record), and Stripe-style signing.
extension AccessFixture {
    func save(_ params: [String: JSONValue]) async throws -> JSONValue {
        try await invoke("automations.save", as: try await actor(owner), site: siteA, params)
    }

    /// Runs every due job until none is left (the worker's loop, without sleeping).
    func work() async throws {
        let runner = services.makeRunner(workerID: "test-worker")
        while try await runner.drain() > 0 {}
    }

    /// One scheduler pass at the clock's time, then the jobs it enqueued (and those they enqueued).
    func tickAndWork(_ scheduler: Scheduler) async throws {
        _ = try await scheduler.tick()
        try await work()
    }

    func runs(_ automation: JSONValue) async throws -> [AutomationRunRecord] {
        try await services.automations.runs(siteA.id, id: try #require(automation["id"]?.intValue))
    }

    func stripeHeader(_ body: String, secret: String, at t: Int64) -> String {
        "t=\(t),v1=" + CryptoDigests().hmacSHA256(key: Array(secret.utf8), message: Array("\(t).\(body)".utf8)).hexString
    }

    static func stripeOrder(id: String, intent: String, cents: Int64, email: String) -> String {
        #"{"id":"\#(id)","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"\#(intent)","object":"payment_intent","amount":\#(cents),"amount_received":\#(cents),"currency":"usd","receipt_email":"\#(email)"}}}"#
    }
}

func jsonBody(_ r: TestResponse) throws -> JSONValue { try JSONValue.parse(String(buffer: r.body)) }
