import Foundation
import Ports

/// The periodic `tickets.sla_check`: flags tickets whose first response is overdue and publishes
/// `ticket.sla_breached` once per ticket (the flag and the event share one transaction).
public struct TicketSLACheck: Sendable {
    public static let jobKind = "tickets.sla_check"
    public let db: any SQLDatabase
    public let workspaces: any WorkspaceStore
    public let store: any TicketStore
    public let outbox: Outbox
    public let clock: any TimeSource
    public var batch = 500

    public init(db: any SQLDatabase, workspaces: any WorkspaceStore, store: any TicketStore, outbox: Outbox, clock: any TimeSource) {
        self.db = db; self.workspaces = workspaces; self.store = store; self.outbox = outbox; self.clock = clock
    }

    public static var periodicTask: PeriodicTask {
        PeriodicTask(name: jobKind, schedule: try! CronExpression("*/5 * * * *")) { _ in
            NewJob(kind: jobKind, payload: "{}", queue: "default", uniqueKey: jobKind)
        }
    }

    /// Returns how many tickets were newly flagged.
    @discardableResult
    public func run() async throws -> Int {
        let now = clock.now()
        var flagged = 0
        for ws in try await db.read({ try await workspaces.all(in: $0) }) {
            while true {
                let due = try await db.read { try await store.overdue(ws.id, now: now, limit: batch, in: $0) }
                for t in due {
                    let won = try await db.transaction { tx in
                        guard try await store.markBreached(ws.id, id: t.id, now: now, in: tx) else { return false }
                        try await outbox.publish("ticket.sla_breached", workspace: ws.id, payload: [
                            "ticket_id": .string(t.displayID), "number": .int(t.number), "priority": .string(t.priority.rawValue), "metric": .string("first_response"),
                            "due_at": .string(TicketService.iso(t.firstResponseDueAt ?? now)), "department_id": t.departmentID.map { .int($0) } ?? .null,
                        ], in: tx)
                        return true
                    }
                    if won { flagged += 1 }
                }
                if due.count < batch { break }
            }
        }
        return flagged
    }
}
