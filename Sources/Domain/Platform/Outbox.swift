import Foundation
import Ports

/// Appends domain events in the caller's transaction and reads them back by cursor.
public struct Outbox: Sendable {
    public let store: any OutboxStore
    public let clock: any TimeSource
    public let random: any RandomSource

    public init(store: any OutboxStore, clock: any TimeSource, random: any RandomSource) {
        self.store = store; self.clock = clock; self.random = random
    }

    /// A new stable event id, `evt_` and 32 hex characters.
    public func newEventID() -> String { "evt_" + random.hexToken() }

    @discardableResult
    public func publish(_ events: [NewEvent], in tx: any SQLConnection) async throws -> [StoredEvent] {
        try await store.append(events, eventIDs: events.map { _ in newEventID() }, now: clock.now(), in: tx)
    }

    @discardableResult
    public func publish(_ type: String, workspace: WorkspaceID?, payload: [String: JSONValue], in tx: any SQLConnection) async throws -> StoredEvent {
        try await publish([NewEvent(type: type, workspaceID: workspace, payload: JSONValue.object(payload).encoded())], in: tx)[0]
    }

    /// A page of one workspace's events after `since` (the `since_id` feed), oldest first.
    public func feed(_ workspace: WorkspaceID, since: Int64, limit: Int, types: [String]? = nil, db: any SQLDatabase) async throws -> [StoredEvent] {
        try await db.read { try await store.read(workspace, since: since, limit: limit, types: types, in: $0) }
    }
}
