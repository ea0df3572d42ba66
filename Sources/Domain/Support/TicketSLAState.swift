import Foundation
import Ports

/// Where a ticket's first-response clock stands, for queues and highlighting.
public enum TicketSLAState: String, Sendable, Equatable {
    /// No target (answered, finished, or never had one).
    case none
    /// The clock is paused (Waiting on Customer).
    case paused
    case onTrack = "on_track"
    /// Due within `TicketSLAState.dueSoonWindow`.
    case dueSoon = "due_soon"
    case overdue
    /// How close a due time must be to count as "due soon" (one hour, the shortest SLA target).
    public static let dueSoonWindow: TimeInterval = 3600
}

extension Ticket {
    /// The first-response clock at `now`: only unanswered, unfinished tickets with a due time have one.
    public func slaState(now: Date) -> TicketSLAState {
        guard let due = firstResponseDueAt, firstResponseAt == nil, mergedInto == nil, status != .resolved, status != .closed else { return .none }
        if slaPausedAt != nil { return .paused }
        if now >= due { return .overdue }
        return due.timeIntervalSince(now) <= TicketSLAState.dueSoonWindow ? .dueSoon : .onTrack
    }
}
