import Foundation
import Ports

/// Turns committed outbox events into delivery rows, in sequence order, from a durable cursor.
///
/// The cursor row is locked for the whole transaction (FOR UPDATE on MariaDB, the single writer on
/// SQLite), so concurrent workers take turns and the cursor only moves together with the rows it
/// created. Outbox sequences are assigned in commit order, so reading `seq > cursor` never skips an
/// event that committed late. (endpoint, sequence) is unique, so a replayed pass is harmless.
/// It runs in the worker, never in the request that published the event.
public struct WebhookDispatcher: Sendable {
    public let db: any SQLDatabase
    public let store: any WebhookStore
    public let events: any OutboxStore
    public let clock: any TimeSource
    public var batchSize = 1000

    public init(db: any SQLDatabase, store: any WebhookStore, events: any OutboxStore, clock: any TimeSource) {
        self.db = db; self.store = store; self.events = events; self.clock = clock
    }

    /// One pass; returns the number of events read (0 when the cursor is at the end).
    @discardableResult
    public func dispatch() async throws -> (events: Int, deliveries: Int) {
        try await db.transaction { tx in
            let cursor = try await store.lockCursor(in: tx)
            let batch = try await events.readAllWorkspaces(since: cursor, limit: batchSize, in: tx)
            guard let last = batch.last else { return (0, 0) }
            let endpoints = try await store.endpointsAllWorkspaces(in: tx)
            var byWorkspace: [WorkspaceID: [WebhookEndpoint]] = [:]
            for e in endpoints { byWorkspace[e.workspaceID, default: []].append(e) }
            let now = clock.now()
            var rows: [WebhookDelivery] = []
            for ev in batch {
                guard let ws = ev.workspaceID, let candidates = byWorkspace[ws] else { continue }
                // An endpoint gets the events published after it was created (not older history).
                for e in candidates where ev.sequence > e.afterSequence && e.events.contains(where: { WebhookSigning.matches($0, ev.type) }) {
                    rows.append(WebhookDelivery(id: 0, workspaceID: ws, endpointID: e.id, eventSequence: ev.sequence, eventID: ev.eventID, eventType: ev.type,
                                                status: .pending, attempts: 0, nextAttemptAt: now, lastStatusCode: nil, lastError: nil,
                                                eventCreatedAt: ev.createdAt, createdAt: now, deliveredAt: nil))
                }
            }
            let created = try await store.insertDeliveries(rows, in: tx)
            try await store.setCursor(last.sequence, in: tx)
            return (batch.count, created)
        }
    }
}

/// When to try a failed delivery again: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 24 h (about 2.2
/// days after the first attempt), each with ±20 % jitter; then the delivery is given up (failed).
public struct WebhookRetrySchedule: Sendable, Equatable {
    public var delays: [TimeInterval]
    public var jitter: Double

    public init(delays: [TimeInterval] = [5, 300, 1800, 7200, 18000, 36000, 36000, 86400], jitter: Double = 0.2) {
        self.delays = delays; self.jitter = jitter
    }

    /// Attempts in all (the first and one per delay).
    public var maxAttempts: Int { delays.count + 1 }

    /// The wait after failed attempt `attempt` (1-based), or nil when it was the last.
    public func delay(afterAttempt attempt: Int, random: any RandomSource) -> TimeInterval? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        return delays[attempt - 1] * (1 - jitter + 2 * jitter * random.unit())
    }

    /// `Retry-After` as seconds or an HTTP date, clamped to 1 s ... 24 h.
    public static func retryAfter(_ header: String?, now: Date) -> TimeInterval? {
        guard let h = header?.trimmingCharacters(in: .whitespaces), !h.isEmpty else { return nil }
        if let s = Double(h), s.isFinite, s >= 0 { return min(86400, max(1, s)) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let d = f.date(from: h) else { return nil }
        return min(86400, max(1, d.timeIntervalSince(now)))
    }
}
