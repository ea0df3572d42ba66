import Foundation
import Ports

/// Where a ticket's SLA clocks stand, for queues and highlighting: the state of the running clock that is
/// due first (first response, next response or resolution).
public enum TicketSLAState: String, Sendable, Equatable {
    /// No clock runs (answered and nothing else due, finished, or never had a target).
    case none
    /// The clocks are paused (Waiting on Customer).
    case paused
    case onTrack = "on_track"
    /// Due within `TicketSLAState.dueSoonWindow`.
    case dueSoon = "due_soon"
    case overdue
    /// How close a due time must be to count as "due soon" (one hour, the shortest SLA target).
    public static let dueSoonWindow: TimeInterval = 3600
}

extension Ticket {
    /// The running clock due first, with its due time (nil when no clock runs).
    public var nearestClock: (metric: SLAMetric, due: Date)? {
        SLAMetric.allCases.compactMap { m in due(m).map { (m, $0) } }.min { $0.1 < $1.1 }
    }

    /// The state of the clock due first at `now`.
    public func slaState(now: Date) -> TicketSLAState {
        guard let (_, due) = nearestClock else { return .none }
        if slaPausedAt != nil { return .paused }
        if now >= due { return .overdue }
        return due.timeIntervalSince(now) <= TicketSLAState.dueSoonWindow ? .dueSoon : .onTrack
    }
}

extension SLAMetric {
    /// How people read the clock's name.
    public var label: String {
        switch self {
        case .firstResponse: return "First response"
        case .nextResponse: return "Next response"
        case .resolution: return "Resolution"
        }
    }
}
