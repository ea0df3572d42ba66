import Foundation

/// A domain event to append in the same transaction as the change it describes.
public struct NewEvent: Sendable {
    public var type: String
    public var workspaceID: WorkspaceID?
    /// JSON object text.
    public var payload: String
    public init(type: String, workspaceID: WorkspaceID?, payload: String) {
        self.type = type; self.workspaceID = workspaceID; self.payload = payload
    }
}

/// An event as committed. `sequence` is strictly increasing in commit order, so a reader that
/// pages with `since_id` never skips one.
public struct StoredEvent: Sendable, Equatable {
    public var sequence: Int64
    public var eventID: String
    public var workspaceID: WorkspaceID?
    public var type: String
    public var payload: String
    public var createdAt: Date
    public init(sequence: Int64, eventID: String, workspaceID: WorkspaceID?, type: String, payload: String, createdAt: Date) {
        self.sequence = sequence; self.eventID = eventID; self.workspaceID = workspaceID; self.type = type; self.payload = payload; self.createdAt = createdAt
    }
}

public protocol OutboxStore: Sendable {
    /// Appends events inside `tx`; sequences are assigned so that commit order equals sequence order.
    func append(_ events: [NewEvent], eventIDs: [String], now: Date, in tx: any SQLConnection) async throws -> [StoredEvent]
    /// Events of one workspace after `sinceSequence`, oldest first.
    func read(_ workspace: WorkspaceID, since sinceSequence: Int64, limit: Int, types: [String]?, in conn: any SQLConnection) async throws -> [StoredEvent]
    /// System-wide read for the installation's own consumers (webhook dispatch, triggers): every workspace.
    func readAllWorkspaces(since sinceSequence: Int64, limit: Int, in conn: any SQLConnection) async throws -> [StoredEvent]
    /// The events of one workspace with these sequences (any order; missing ones are left out).
    func events(_ workspace: WorkspaceID, sequences: [Int64], in conn: any SQLConnection) async throws -> [StoredEvent]
    func latestSequence(in conn: any SQLConnection) async throws -> Int64
}
