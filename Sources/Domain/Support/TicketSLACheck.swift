import Foundation
import Ports

/// The periodic `tickets.sla_check`: flags tickets whose first-response, next-response or resolution clock
/// is overdue and publishes `ticket.sla_breached` once per ticket and clock (the flag and the event share
/// one transaction). In a department whose targets say `escalate`, a breach also raises the priority one
/// step (when it is not Urgent yet) and publishes `ticket.escalated`; the audit log names the system as the actor.
public struct TicketSLACheck: Sendable {
    public static let jobKind = "tickets.sla_check"
    public let db: any SQLDatabase
    public let workspaces: any WorkspaceStore
    public let store: any TicketStore
    public let outbox: Outbox
    public let clock: any TimeSource
    /// Where escalation targets come from; nil: no department escalates.
    public var departments: (any DepartmentStore)?
    public var audit: (any AuditStore)?
    public var batch = 500

    public init(db: any SQLDatabase, workspaces: any WorkspaceStore, store: any TicketStore, outbox: Outbox, clock: any TimeSource,
                departments: (any DepartmentStore)? = nil, audit: (any AuditStore)? = nil) {
        self.db = db; self.workspaces = workspaces; self.store = store; self.outbox = outbox; self.clock = clock
        self.departments = departments; self.audit = audit
    }

    public static var periodicTask: PeriodicTask {
        PeriodicTask(name: jobKind, schedule: try! CronExpression("*/5 * * * *")) { _ in
            NewJob(kind: jobKind, payload: "{}", queue: "default", uniqueKey: jobKind)
        }
    }

    static func raised(_ p: TicketPriority) -> TicketPriority {
        switch p {
        case .low: return .normal
        case .normal: return .high
        case .high, .urgent: return .urgent
        }
    }

    /// Returns how many breaches were newly flagged.
    @discardableResult
    public func run() async throws -> Int {
        let now = clock.now()
        var flagged = 0
        for ws in try await db.read({ try await workspaces.all(in: $0) }) {
            let escalating = Set(try await departments?.list(ws.id, includeArchived: true).filter { $0.sla?.escalate == true }.map(\.id) ?? [])
            for metric in SLAMetric.allCases {
                while true {
                    let due = try await db.read { try await store.overdue(ws.id, metric: metric, now: now, limit: batch, in: $0) }
                    for t in due {
                        let won = try await db.transaction { tx in
                            guard try await store.markBreached(ws.id, id: t.id, metric: metric, now: now, in: tx) else { return false }
                            try await outbox.publish("ticket.sla_breached", workspace: ws.id, payload: [
                                "ticket_id": .string(t.displayID), "number": .int(t.number), "priority": .string(t.priority.rawValue),
                                "metric": .string(metric.rawValue), "due_at": .string(TicketService.iso(t.due(metric) ?? now)),
                                "department_id": t.departmentID.map { .int($0) } ?? .null,
                            ], in: tx)
                            if let d = t.departmentID, escalating.contains(d), let fresh = try await store.find(ws.id, id: t.id, in: tx),
                               Self.raised(fresh.priority) != fresh.priority {
                                var up = fresh
                                let from = up.priority
                                up.priority = Self.raised(from)
                                up.updatedAt = now
                                try await store.update(ws.id, up, in: tx)
                                try await outbox.publish("ticket.escalated", workspace: ws.id, payload: [
                                    "ticket_id": .string(t.displayID), "number": .int(t.number), "metric": .string(metric.rawValue),
                                    "from_priority": .string(from.rawValue), "priority": .string(up.priority.rawValue),
                                    "department_id": .int(d),
                                ], in: tx)
                                try await audit?.record(AuditEntry(at: now, actorType: "system", actorID: nil, actorLabel: "SLA check", workspaceID: ws.id,
                                                                   action: "tickets.escalate", target: t.displayID,
                                                                   details: JSONValue.object(["metric": .string(metric.rawValue), "from": .string(from.rawValue),
                                                                                              "to": .string(up.priority.rawValue)]).encoded(), ip: ""), in: tx)
                            }
                            return true
                        }
                        if won { flagged += 1 }
                    }
                    if due.count < batch { break }
                }
            }
        }
        return flagged
    }
}
