import Foundation
import Ports

/// The event outbox. Sequences come from a counter row updated inside the appending transaction: the row
/// lock is held until commit, so sequence order is commit order and a `since_id` reader never skips an
/// event that commits late (auto-increment ids would not guarantee that under concurrency).
public struct SQLOutboxStore: OutboxStore {
    public init() {}

    static func decode(_ r: SQLRow) throws -> StoredEvent {
        StoredEvent(sequence: try r.int("seq"), eventID: try r.string("event_id"),
                    workspaceID: try r.optionalInt("workspace_id").map(WorkspaceID.init), type: try r.string("type"),
                    payload: try r.string("payload"), createdAt: try r.date("created_at"))
    }

    public func append(_ events: [NewEvent], eventIDs: [String], now: Date, in tx: any SQLConnection) async throws -> [StoredEvent] {
        guard !events.isEmpty else { return [] }
        precondition(eventIDs.count == events.count, "one event id per event")
        let n = Int64(events.count)
        let last: Int64
        switch tx.dialect {
        case .mariadb:
            last = try await tx.execute("UPDATE sequences SET value = LAST_INSERT_ID(value + ?) WHERE name = 'events'", [.int(n)]).lastInsertID
        case .sqlite:
            guard let row = try await tx.queryFirst("UPDATE sequences SET value = value + ? WHERE name = 'events' RETURNING value", [.int(n)]) else {
                throw SQLError.engine(code: 0, message: "the events sequence row is missing")
            }
            last = try row.int("value")
        }
        let first = last - n + 1
        var stored: [StoredEvent] = []
        var binds: [SQLValue] = []
        for (i, e) in events.enumerated() {
            let ev = StoredEvent(sequence: first + Int64(i), eventID: eventIDs[i], workspaceID: e.workspaceID, type: e.type, payload: e.payload, createdAt: now)
            stored.append(ev)
            binds += [.int(ev.sequence), .text(ev.eventID), SQLValue(ev.workspaceID?.raw), .text(ev.type), .text(ev.payload), .int(now.epochMillis)]
        }
        let values = Array(repeating: "(?, ?, ?, ?, ?, ?)", count: events.count).joined(separator: ", ")
        try await tx.execute("INSERT INTO events (seq, event_id, workspace_id, type, payload, created_at) VALUES \(values)", binds)
        return stored
    }

    public func read(_ workspace: WorkspaceID, since sinceSequence: Int64, limit: Int, types: [String]?, in conn: any SQLConnection) async throws -> [StoredEvent] {
        var sql = "SELECT seq, event_id, workspace_id, type, payload, created_at FROM events WHERE workspace_id = ? AND seq > ?"
        var binds: [SQLValue] = [.int(workspace.raw), .int(sinceSequence)]
        if let types, !types.isEmpty {
            sql += " AND type IN (\(Array(repeating: "?", count: types.count).joined(separator: ", ")))"
            binds += types.map { .text($0) }
        }
        sql += " ORDER BY seq LIMIT ?"
        binds.append(.int(Int64(max(1, min(limit, 1000)))))
        return try await conn.query(sql, binds).map(Self.decode)
    }

    public func readAllWorkspaces(since sinceSequence: Int64, limit: Int, in conn: any SQLConnection) async throws -> [StoredEvent] {
        try await conn.query("SELECT seq, event_id, workspace_id, type, payload, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                             [.int(sinceSequence), .int(Int64(max(1, min(limit, 10000))))]).map(Self.decode)
    }

    public func events(_ workspace: WorkspaceID, sequences: [Int64], in conn: any SQLConnection) async throws -> [StoredEvent] {
        var out: [StoredEvent] = []
        for chunk in stride(from: 0, to: sequences.count, by: 500).map({ Array(sequences[$0..<min($0 + 500, sequences.count)]) }) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            out += try await conn.query("SELECT seq, event_id, workspace_id, type, payload, created_at FROM events WHERE workspace_id = ? AND seq IN (\(marks))",
                                        [.int(workspace.raw)] + chunk.map { .int($0) }).map(Self.decode)
        }
        return out
    }

    public func latestSequence(in conn: any SQLConnection) async throws -> Int64 {
        try await conn.queryFirst("SELECT COALESCE(MAX(seq), 0) AS s FROM events").map { try $0.int("s") } ?? 0
    }
}
