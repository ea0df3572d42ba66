import Adapters
import Composition
import Domain
import Foundation
import Ports

/// An installation (AccessFixture) whose SSRF guard lets loopback through, the way an operator
/// allow-lists an internal receiver, plus the worker's webhook loop driven by hand with its clock.
struct WebhookFixture {
    let f: AccessFixture
    let service: WebhookDeliveryService
    var s: Services { f.services }
    var clock: ManualClock { f.clock }
    static let env = ["OPSIQ_OUTBOUND_ALLOW": "127.0.0.0/8", "OPSIQ_OUTBOUND_ALLOW_HTTP": "true", "OPSIQ_WEBHOOK_TIMEOUT_SECONDS": "1"]

    static func make(_ t: TestDatabase, env extra: [String: String] = [:]) async throws -> WebhookFixture {
        let f = try await AccessFixture.make(t, env: env.merging(extra) { _, b in b })
        return WebhookFixture(f: f, service: f.services.makeWebhookService(workerID: "test-worker"))
    }

    func invoke(_ action: String, _ params: [String: JSONValue]) async throws -> JSONValue {
        try await f.invoke(action, as: try await f.actor(f.owner), site: f.siteA, params)
    }

    /// Creates an endpoint through the action; returns its id and secret.
    func create(url: String, events: [String]) async throws -> (id: Int64, secret: String) {
        let r = try await invoke("webhooks.endpoints.create", ["url": .string(url), "events": .array(events.map { .string($0) })])
        return (r["id"]!.intValue!, r["secret"]!.stringValue!)
    }

    func setURL(_ id: Int64, _ url: String) async throws {
        _ = try await invoke("webhooks.endpoints.update", ["id": .int(id), "url": .string(url)])
    }

    @discardableResult
    func publish(_ type: String, _ payload: String = "{}", site: Workspace? = nil) async throws -> StoredEvent {
        let ws = (site ?? f.siteA).id
        let outbox = s.outbox
        return try await s.db.transaction { try await outbox.publish([NewEvent(type: type, workspaceID: ws, payload: payload)], in: $0)[0] }
    }

    /// Runs dispatch and send passes until nothing more is due now.
    func drain() async throws {
        var rounds = 0
        while try await service.runOnce() {
            rounds += 1
            if rounds > 10_000 { throw TestServerFailure(message: "webhook loop does not settle") }
        }
    }

    func endpoint(_ id: Int64) async throws -> WebhookEndpoint { try await s.webhooks.get(f.siteA.id, id: id) }

    func deliveries(_ id: Int64) async throws -> [WebhookDelivery] {
        try await s.webhooks.deliveries(f.siteA.id, endpoint: id, status: nil, limit: 1000).sorted { $0.eventSequence < $1.eventSequence }
    }

    /// Moves the clock to the endpoint's next due attempt; false when nothing is pending.
    func advanceToNextAttempt(_ id: Int64) async throws -> Bool {
        guard let head = try await s.db.read({ try await s.webhooks.store.pendingDeliveries(f.siteA.id, endpoint: id, limit: 1, in: $0) }).first else { return false }
        if head.nextAttemptAt > clock.now() { clock.set(head.nextAttemptAt.addingTimeInterval(0.001)) }
        return true
    }
}

extension ReceivedRequest {
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    var eventID: String? { json?["event_id"] as? String }
}
