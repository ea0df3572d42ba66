import Domain
import Foundation
import Ports
import Testing

/// The queue's SLA highlighting: overdue, due within the hour, paused, and no clock once answered or finished.
@Suite struct TicketSLAStateTests {
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    func ticket(due: TimeInterval?, status: TicketStatus = .open, answered: Bool = false, paused: Bool = false) -> Ticket {
        Ticket(id: 1, workspaceID: WorkspaceID(1), number: 1, subject: "s", departmentID: nil, priority: .normal, status: status, customerEmail: "c@example.com",
               customerName: "", assigneeID: nil, locked: false, mergedInto: nil, createdAt: now.addingTimeInterval(-60), updatedAt: now,
               firstResponseAt: answered ? now : nil, resolvedAt: nil, firstResponseDueAt: due.map { now.addingTimeInterval($0) },
               slaPausedAt: paused ? now : nil, slaPausedSeconds: 0, slaBreachedAt: nil)
    }

    @Test func statesFollowTheDueTime() {
        #expect(ticket(due: -1).slaState(now: now) == .overdue)
        #expect(ticket(due: 0).slaState(now: now) == .overdue)
        #expect(ticket(due: 3600).slaState(now: now) == .dueSoon)
        #expect(ticket(due: 3601).slaState(now: now) == .onTrack)
        #expect(ticket(due: -1, paused: true).slaState(now: now) == .paused)
        #expect(ticket(due: -1, answered: true).slaState(now: now) == .none, "answered: the first-response clock is done")
        #expect(ticket(due: -1, status: .closed).slaState(now: now) == .none)
        #expect(ticket(due: -1, status: .resolved).slaState(now: now) == .none)
        #expect(ticket(due: nil).slaState(now: now) == .none)
    }
}
