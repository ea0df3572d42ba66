import Foundation

/// How urgent a ticket is; sets the first-response SLA target and the queue order.
public enum TicketPriority: String, Sendable, Codable, CaseIterable {
    case low, normal, high, urgent
}

/// Where a ticket stands. `waitingOnCustomer` pauses the SLA clock.
public enum TicketStatus: String, Sendable, Codable, CaseIterable {
    case open, pending
    case waitingOnCustomer = "waiting_on_customer"
    case resolved, closed
}

/// Who wrote a message.
public enum TicketAuthorKind: String, Sendable, Codable, CaseIterable {
    case customer, agent, ai, system
}

/// A ticket as stored. `number` is per workspace and shown as `T-<number>`; `id` is internal.
public struct Ticket: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var number: Int64
    public var subject: String
    public var departmentID: Int64?
    public var priority: TicketPriority
    public var status: TicketStatus
    public var customerEmail: String
    public var customerName: String
    public var assigneeID: UserID?
    public var locked: Bool
    /// The surviving ticket's id when this one was merged into it.
    public var mergedInto: Int64?
    public var createdAt: Date
    public var updatedAt: Date
    public var firstResponseAt: Date?
    public var resolvedAt: Date?
    /// When the first agent reply is due (business hours, moved by Waiting-on-Customer pauses).
    public var firstResponseDueAt: Date?
    /// Set while the SLA clock is paused (status Waiting on Customer).
    public var slaPausedAt: Date?
    /// Business seconds spent paused so far.
    public var slaPausedSeconds: Int64
    /// When the SLA check found the first response overdue (the breach event is published once).
    public var slaBreachedAt: Date?
    /// When the next staff reply is due: set by a customer message after the first response, cleared by the reply.
    public var nextResponseDueAt: Date?
    public var nextResponseBreachedAt: Date?
    /// When the ticket should be resolved (business hours from creation, moved by pauses); nil without a target.
    public var resolutionDueAt: Date?
    public var resolutionBreachedAt: Date?

    public init(id: Int64, workspaceID: WorkspaceID, number: Int64, subject: String, departmentID: Int64?, priority: TicketPriority,
                status: TicketStatus, customerEmail: String, customerName: String, assigneeID: UserID?, locked: Bool, mergedInto: Int64?,
                createdAt: Date, updatedAt: Date, firstResponseAt: Date?, resolvedAt: Date?, firstResponseDueAt: Date?,
                slaPausedAt: Date?, slaPausedSeconds: Int64, slaBreachedAt: Date?, nextResponseDueAt: Date? = nil, nextResponseBreachedAt: Date? = nil,
                resolutionDueAt: Date? = nil, resolutionBreachedAt: Date? = nil) {
        self.id = id; self.workspaceID = workspaceID; self.number = number; self.subject = subject; self.departmentID = departmentID
        self.priority = priority; self.status = status; self.customerEmail = customerEmail; self.customerName = customerName
        self.assigneeID = assigneeID; self.locked = locked; self.mergedInto = mergedInto; self.createdAt = createdAt; self.updatedAt = updatedAt
        self.firstResponseAt = firstResponseAt; self.resolvedAt = resolvedAt; self.firstResponseDueAt = firstResponseDueAt
        self.slaPausedAt = slaPausedAt; self.slaPausedSeconds = slaPausedSeconds; self.slaBreachedAt = slaBreachedAt
        self.nextResponseDueAt = nextResponseDueAt; self.nextResponseBreachedAt = nextResponseBreachedAt
        self.resolutionDueAt = resolutionDueAt; self.resolutionBreachedAt = resolutionBreachedAt
    }

    /// Whether the ticket is finished (no clock runs).
    public var isFinished: Bool { mergedInto != nil || status == .resolved || status == .closed }

    /// The due time of one clock while it runs (nil when that clock is stopped or met).
    public func due(_ metric: SLAMetric) -> Date? {
        guard !isFinished else { return nil }
        switch metric {
        case .firstResponse: return firstResponseAt == nil ? firstResponseDueAt : nil
        case .nextResponse: return nextResponseDueAt
        case .resolution: return resolutionDueAt
        }
    }

    public func breachedAt(_ metric: SLAMetric) -> Date? {
        switch metric {
        case .firstResponse: return slaBreachedAt
        case .nextResponse: return nextResponseBreachedAt
        case .resolution: return resolutionBreachedAt
        }
    }

    /// The earliest running due time (nil while paused or when no clock runs); stored for sorting the queue.
    public var slaDueAt: Date? {
        guard slaPausedAt == nil else { return nil }
        return SLAMetric.allCases.compactMap(due).min()
    }

    /// The id people see and type: `T-<number>`.
    public var displayID: String { "T-\(number)" }
}

/// A ticket to insert; the store assigns `id` and `number`.
public struct NewTicket: Sendable {
    public var subject: String
    public var departmentID: Int64?
    public var priority: TicketPriority
    public var status: TicketStatus
    public var customerEmail: String
    public var customerName: String
    public var assigneeID: UserID?
    public var firstResponseDueAt: Date?
    public var resolutionDueAt: Date?
    public var now: Date
    public init(subject: String, departmentID: Int64?, priority: TicketPriority, status: TicketStatus = .open, customerEmail: String,
                customerName: String, assigneeID: UserID? = nil, firstResponseDueAt: Date?, resolutionDueAt: Date? = nil, now: Date) {
        self.subject = subject; self.departmentID = departmentID; self.priority = priority; self.status = status
        self.customerEmail = customerEmail; self.customerName = customerName; self.assigneeID = assigneeID
        self.firstResponseDueAt = firstResponseDueAt; self.resolutionDueAt = resolutionDueAt; self.now = now
    }
}

/// One message in a ticket's conversation. Internal notes are staff-only.
public struct TicketMessage: Sendable, Equatable {
    public var id: Int64
    public var ticketID: Int64
    public var workspaceID: WorkspaceID
    public var authorKind: TicketAuthorKind
    public var authorUserID: UserID?
    public var authorEmail: String
    public var body: String
    public var internalNote: Bool
    public var createdAt: Date
    /// RFC 5322 Message-ID, for threading email replies (later slices).
    public var messageID: String?
    public init(id: Int64, ticketID: Int64, workspaceID: WorkspaceID, authorKind: TicketAuthorKind, authorUserID: UserID?, authorEmail: String,
                body: String, internalNote: Bool, createdAt: Date, messageID: String?) {
        self.id = id; self.ticketID = ticketID; self.workspaceID = workspaceID; self.authorKind = authorKind; self.authorUserID = authorUserID
        self.authorEmail = authorEmail; self.body = body; self.internalNote = internalNote; self.createdAt = createdAt; self.messageID = messageID
    }
}

public struct NewTicketMessage: Sendable {
    public var ticketID: Int64
    public var authorKind: TicketAuthorKind
    public var authorUserID: UserID?
    public var authorEmail: String
    public var body: String
    public var internalNote: Bool
    public var messageID: String?
    public var now: Date
    public init(ticketID: Int64, authorKind: TicketAuthorKind, authorUserID: UserID?, authorEmail: String, body: String, internalNote: Bool,
                messageID: String? = nil, now: Date) {
        self.ticketID = ticketID; self.authorKind = authorKind; self.authorUserID = authorUserID; self.authorEmail = authorEmail
        self.body = body; self.internalNote = internalNote; self.messageID = messageID; self.now = now
    }
}

/// The order of a queue.
public enum TicketSort: String, Sendable, CaseIterable {
    /// Latest activity first (the default).
    case updated
    /// The SLA clock closest to (or furthest past) its due time first; tickets without a running clock last, oldest first.
    case due
    /// Urgent first, then High, Normal, Low; latest activity first within a priority.
    case priority
    /// Newest first.
    case created
}

/// Which tickets a queue shows.
public struct TicketFilter: Sendable, Equatable {
    public enum Assignee: Sendable, Equatable {
        case anyone, nobody
        case user(UserID)
    }
    public var statuses: [TicketStatus]
    public var departmentID: Int64?
    public var priority: TicketPriority?
    public var assignee: Assignee
    /// nil: every department (and tickets without one); else only these departments (an Agent's view).
    public var visibleDepartments: Set<Int64>?
    /// Only tickets of this customer (exact email, lower case).
    public var customerEmail: String?
    public var sort: TicketSort
    public var limit: Int
    public var offset: Int
    public init(statuses: [TicketStatus] = [], departmentID: Int64? = nil, priority: TicketPriority? = nil, assignee: Assignee = .anyone,
                visibleDepartments: Set<Int64>? = nil, customerEmail: String? = nil, sort: TicketSort = .updated, limit: Int = 25, offset: Int = 0) {
        self.statuses = statuses; self.departmentID = departmentID; self.priority = priority; self.assignee = assignee
        self.visibleDepartments = visibleDepartments; self.customerEmail = customerEmail; self.sort = sort; self.limit = limit; self.offset = offset
    }
}

/// Whether one SLA target was met, kept for reports.
public struct TicketSLAOutcome: Sendable, Equatable {
    public var ticketID: Int64
    public var metric: String
    public var priority: TicketPriority
    public var dueAt: Date
    public var achievedAt: Date
    public var hit: Bool
    public init(ticketID: Int64, metric: String, priority: TicketPriority, dueAt: Date, achievedAt: Date, hit: Bool) {
        self.ticketID = ticketID; self.metric = metric; self.priority = priority; self.dueAt = dueAt; self.achievedAt = achievedAt; self.hit = hit
    }
}

/// Tickets and their messages. Every method takes the workspace first; nothing reads across workspaces.
public protocol TicketStore: Sendable {
    func insert(_ workspace: WorkspaceID, _ t: NewTicket, in tx: any SQLConnection) async throws -> Ticket
    func find(_ workspace: WorkspaceID, number: Int64, in conn: any SQLConnection) async throws -> Ticket?
    func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> Ticket?
    /// Locks the row for the rest of the transaction (MariaDB `FOR UPDATE`; SQLite has one writer).
    func findForUpdate(_ workspace: WorkspaceID, number: Int64, in tx: any SQLConnection) async throws -> Ticket?
    /// Writes every mutable field of `t`.
    func update(_ workspace: WorkspaceID, _ t: Ticket, in tx: any SQLConnection) async throws
    func addMessage(_ workspace: WorkspaceID, _ m: NewTicketMessage, in tx: any SQLConnection) async throws -> TicketMessage
    /// Oldest first (time, then id). Internal notes only when `includeInternal`.
    func messages(_ workspace: WorkspaceID, ticketID: Int64, includeInternal: Bool, in conn: any SQLConnection) async throws -> [TicketMessage]
    /// Moves every message of `from` to `to` (merge); tickets merged into `from` now point at `to`.
    func moveMessages(_ workspace: WorkspaceID, from: Int64, to: Int64, in tx: any SQLConnection) async throws
    /// A page of the queue, newest activity first, and the total matching.
    func list(_ workspace: WorkspaceID, _ filter: TicketFilter, in conn: any SQLConnection) async throws -> (tickets: [Ticket], total: Int)
    func recordSLAOutcome(_ workspace: WorkspaceID, _ o: TicketSLAOutcome, now: Date, in tx: any SQLConnection) async throws
    func slaOutcomes(_ workspace: WorkspaceID, ticketID: Int64, in conn: any SQLConnection) async throws -> [TicketSLAOutcome]
    /// Unpaused, unfinished, not yet flagged tickets whose `metric` clock was due before `now`.
    func overdue(_ workspace: WorkspaceID, metric: SLAMetric, now: Date, limit: Int, in conn: any SQLConnection) async throws -> [Ticket]
    /// Flags the breach of `metric`; false when another worker flagged it first.
    func markBreached(_ workspace: WorkspaceID, id: Int64, metric: SLAMetric, now: Date, in tx: any SQLConnection) async throws -> Bool
}
