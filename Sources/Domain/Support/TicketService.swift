import Foundation
import Ports

/// Who is acting on tickets and what they may see.
public struct TicketScope: Sendable, Equatable {
    /// nil: every ticket of the site; else only tickets in these departments (an Agent).
    public var visibleDepartments: Set<Int64>?
    /// The signed-in person, for "mine" and authorship.
    public var userID: UserID?
    /// Who to name in the audit log for changes made with this scope (nil: not audited, e.g. internal jobs).
    public var actor: TicketActor?
    public init(visibleDepartments: Set<Int64>?, userID: UserID?, actor: TicketActor? = nil) {
        self.visibleDepartments = visibleDepartments; self.userID = userID; self.actor = actor
    }
    /// The whole site (Owner, Full Admin, API keys, the system).
    public static let everything = TicketScope(visibleDepartments: nil, userID: nil)

    public func canSee(_ t: Ticket) -> Bool {
        guard let visible = visibleDepartments else { return true }
        return t.departmentID.map(visible.contains) ?? false
    }
}

/// The person, key or job behind a change, as the audit log names it.
public struct TicketActor: Sendable, Equatable {
    public var type: String
    public var id: Int64?
    public var label: String
    public var ip: String
    public init(type: String, id: Int64?, label: String, ip: String) { self.type = type; self.id = id; self.label = label; self.ip = ip }
    public static let system = TicketActor(type: "system", id: nil, label: "system", ip: "")
}

/// Who wrote a message.
public enum TicketAuthor: Sendable, Equatable {
    case customer(email: String, name: String)
    case agent(UserID?, email: String)
    case ai
    case system

    var kind: TicketAuthorKind {
        switch self {
        case .customer: return .customer
        case .agent: return .agent
        case .ai: return .ai
        case .system: return .system
        }
    }
}

/// A ticket with its conversation.
public struct TicketDetail: Sendable, Equatable {
    public var ticket: Ticket
    public var messages: [TicketMessage]
    /// Whether creating it wrote the automatic acknowledgement email.
    public var acknowledged = false
}

/// Fields `update` may change; nil leaves a field alone.
public struct TicketChanges: Sendable, Equatable {
    public var subject: String?
    public var priority: TicketPriority?
    public var status: TicketStatus?
    /// `.some(nil)` removes the department (admins only).
    public var departmentID: Int64??
    /// Email the customer when this change resolves or closes the ticket (false when the customer did it).
    public var notifyCustomer = true
    public init(subject: String? = nil, priority: TicketPriority? = nil, status: TicketStatus? = nil, departmentID: Int64?? = nil) {
        self.subject = subject; self.priority = priority; self.status = status; self.departmentID = departmentID
    }
}

/// The helpdesk rules: creating, replying, status and SLA clocks, assignment, locking, merging and queues.
/// Every change and its event are written in one transaction.
public struct TicketService: Sendable {
    public let db: any SQLDatabase
    public let store: any TicketStore
    public let departments: any DepartmentStore
    public let users: any UserStore
    public let settings: SettingsService
    public let outbox: Outbox
    public let clock: any TimeSource
    /// Where ticket changes are recorded for the audit log (set by the composition root).
    public var audit: (any AuditStore)?
    /// Mail out: public agent and AI replies are emailed to the customer (nil: no mail, as in domain tests).
    public var mailer: TicketMailer?

    public init(db: any SQLDatabase, store: any TicketStore, departments: any DepartmentStore, users: any UserStore, settings: SettingsService,
                outbox: Outbox, clock: any TimeSource) {
        self.db = db; self.store = store; self.departments = departments; self.users = users; self.settings = settings; self.outbox = outbox; self.clock = clock
    }

    public static let mergedTag = "[MERGED]"
    public static let maxSubject = 255

    // MARK: - Parsing helpers the actions share

    /// Accepts `T-123`, `t-123`, `123` or the number 123.
    public static func parseNumber(_ v: JSONValue?, field: String) throws -> Int64 {
        if let i = v?.intValue, i > 0 { return i }
        if let s = v?.stringValue?.trimmingCharacters(in: .whitespaces) {
            let digits = s.uppercased().hasPrefix("T-") ? String(s.dropFirst(2)) : s
            if let n = Int64(digits), n > 0 { return n }
        }
        throw DomainError.validation(field: field, message: "must be a ticket id like T-123 or 123")
    }

    /// The site's support hours in its time zone; a stored value that no longer parses falls back to the default hours.
    public func hours(_ ws: WorkspaceID) async throws -> BusinessHours {
        let all = try await settings.resolved(workspace: ws)
        let tz = all.first { $0.name == "timezone" }?.value.stringValue.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
        let text = all.first { $0.name == "support.hours" }?.value.stringValue ?? "Mon-Fri 09:00-17:00"
        let parsed = (try? BusinessHours.parse(text, timeZone: tz)) ?? (try? BusinessHours.parse("Mon-Fri 09:00-17:00", timeZone: tz))
        return parsed ?? BusinessHours.default
    }

    /// A department of this site by id or by name (not archived).
    public func department(_ ws: WorkspaceID, _ ref: JSONValue, field: String = "department") async throws -> Department {
        let all = try await departments.list(ws, includeArchived: false)
        if let id = ref.intValue ?? ref.stringValue.flatMap({ Int64($0) }), let d = all.first(where: { $0.id == id }) { return d }
        if let name = ref.stringValue?.trimmingCharacters(in: .whitespaces), let d = all.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) { return d }
        throw DomainError.validation(field: field, message: "no department \(ref.stringValue ?? ref.encoded()) in this site (departments.list shows them)")
    }

    /// The SLA targets of every department of the site (archived ones too), by id; tickets without a
    /// department, or in one without its own targets, use `SLATargets.standard`.
    public func slaTargets(_ ws: WorkspaceID) async throws -> SLATargetBook {
        SLATargetBook(byDepartment: Dictionary(try await departments.list(ws, includeArchived: true).compactMap { d in d.sla.map { (d.id, $0) } },
                                               uniquingKeysWith: { a, _ in a }))
    }

    /// Records a change in the audit log, in the transaction that makes it, when the scope names an actor.
    func recordAudit(_ scope: TicketScope, _ ws: WorkspaceID, action: String, target: String, details: [String: JSONValue] = [:],
                     in tx: any SQLConnection) async throws {
        guard let audit, let a = scope.actor else { return }
        try await audit.record(AuditEntry(at: clock.now(), actorType: a.type, actorID: a.id, actorLabel: a.label, workspaceID: ws, action: action,
                                          target: target, details: JSONValue.object(details).encoded(), ip: a.ip), in: tx)
    }

    static func clean(_ s: String, field: String, max: Int) throws -> String {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty else { throw DomainError.validation(field: field, message: "cannot be empty") }
        guard t.count <= max else { throw DomainError.validation(field: field, message: "must be at most \(max) characters") }
        return t
    }

    // MARK: - Reading

    func load(_ ws: WorkspaceID, _ number: Int64, _ scope: TicketScope, forUpdate tx: (any SQLConnection)?) async throws -> Ticket {
        let t: Ticket?
        if let tx { t = try await store.findForUpdate(ws, number: number, in: tx) } else { t = try await db.read { try await store.find(ws, number: number, in: $0) } }
        guard let t, scope.canSee(t) else { throw DomainError.notFound("no ticket T-\(number) in this site") }
        return t
    }

    public func get(_ ws: WorkspaceID, number: Int64, includeInternal: Bool, scope: TicketScope) async throws -> TicketDetail {
        let t = try await load(ws, number, scope, forUpdate: nil)
        let m = try await db.read { try await store.messages(ws, ticketID: t.id, includeInternal: includeInternal, in: $0) }
        return TicketDetail(ticket: t, messages: m)
    }

    public func list(_ ws: WorkspaceID, _ filter: TicketFilter, scope: TicketScope) async throws -> (tickets: [Ticket], total: Int) {
        var f = filter
        if let visible = scope.visibleDepartments {
            f.visibleDepartments = f.visibleDepartments.map { $0.intersection(visible) } ?? visible
        }
        return try await db.read { try await store.list(ws, f, in: $0) }
    }

    // MARK: - Creating and replying

    public struct NewTicketInput: Sendable {
        public var subject: String
        public var message: String
        public var departmentID: Int64?
        public var customerEmail: String
        public var customerName: String
        public var priority: TicketPriority
        /// The Message-ID of the email that opened the ticket (threading and import-once).
        public var messageID: String? = nil
        /// Write the automatic "we received your request" email (mail import, for mail a person wrote).
        public var acknowledge = false
        public init(subject: String, message: String, departmentID: Int64?, customerEmail: String, customerName: String = "", priority: TicketPriority = .normal) {
            self.subject = subject; self.message = message; self.departmentID = departmentID; self.customerEmail = customerEmail
            self.customerName = customerName; self.priority = priority
        }
    }

    /// Opens a ticket; the first message is the customer's request. First-response SLA due time is stored.
    public func create(_ ws: WorkspaceID, _ input: NewTicketInput, scope: TicketScope) async throws -> TicketDetail {
        let subject = try Self.clean(input.subject, field: "subject", max: Self.maxSubject)
        let body = try Self.clean(input.message, field: "message", max: 200_000)
        let email = input.customerEmail.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.count <= 190, email.split(separator: "@").count == 2, !email.contains(" ") else {
            throw DomainError.validation(field: "customer_email", message: "must be an email address like jane@example.com")
        }
        if let visible = scope.visibleDepartments {
            guard let d = input.departmentID, visible.contains(d) else {
                throw DomainError.validation(field: "department", message: "Agents can only open tickets in their own departments")
            }
        }
        if let d = input.departmentID, !(try await departments.list(ws, includeArchived: false)).contains(where: { $0.id == d }) {
            throw DomainError.validation(field: "department", message: "no department \(d) in this site")
        }
        let hours = try await hours(ws)
        let targets = try await slaTargets(ws).targets(input.departmentID)
        let now = clock.now()
        let due = targets.due(.firstResponse, priority: input.priority, from: now, pausedSeconds: 0, hours: hours)
        let resolutionDue = targets.due(.resolution, priority: input.priority, from: now, pausedSeconds: 0, hours: hours)
        return try await db.retryingTransaction { tx in
            let t = try await store.insert(ws, NewTicket(subject: subject, departmentID: input.departmentID, priority: input.priority, customerEmail: email,
                                                         customerName: input.customerName.trimmingCharacters(in: .whitespaces), firstResponseDueAt: due,
                                                         resolutionDueAt: resolutionDue, now: now), in: tx)
            let m = try await store.addMessage(ws, NewTicketMessage(ticketID: t.id, authorKind: .customer, authorUserID: nil, authorEmail: email, body: body,
                                                                    internalNote: false, messageID: input.messageID, now: now), in: tx)
            var acknowledged = false
            if input.acknowledge, let mailer { acknowledged = try await mailer.acknowledge(ws, ticket: t, in: tx).mail != nil }
            try await outbox.publish("ticket.created", workspace: ws, payload: [
                "ticket_id": .string(t.displayID), "number": .int(t.number), "subject": .string(t.subject),
                "department_id": t.departmentID.map { .int($0) } ?? .null, "priority": .string(t.priority.rawValue), "status": .string(t.status.rawValue),
                "customer_email": .string(email), "first_response_due_at": due.map { .string(Self.iso($0)) } ?? .null,
                "resolution_due_at": resolutionDue.map { .string(Self.iso($0)) } ?? .null,
            ], in: tx)
            try await recordAudit(scope, ws, action: "tickets.create", target: t.displayID, details: ["priority": .string(t.priority.rawValue)], in: tx)
            return TicketDetail(ticket: t, messages: [m], acknowledged: acknowledged)
        }
    }

    /// Adds a reply or an internal note. A customer reply reopens a closed, resolved or waiting ticket;
    /// the first public agent reply records the first response and its SLA outcome. Locked tickets take
    /// no customer or AI replies. A reply to a merged ticket goes to the ticket it was merged into.
    public func reply(_ ws: WorkspaceID, number: Int64, body: String, author: TicketAuthor, internalNote: Bool = false, messageID: String? = nil,
                      scope: TicketScope) async throws -> TicketMessage {
        let text = try Self.clean(body, field: "message", max: 200_000)
        if internalNote, case .customer = author { throw DomainError.validation(field: "internal", message: "customers cannot write internal notes") }
        if internalNote, case .ai = author { throw DomainError.validation(field: "internal", message: "the AI does not write internal notes here") }
        let hours = try await hours(ws)
        let book = try await slaTargets(ws)
        let mails = mailer != nil && !internalNote && (author.kind == .agent || author.kind == .ai)
        return try await db.retryingTransaction { tx in
            var t = try await load(ws, number, scope, forUpdate: tx)
            if let survivor = t.mergedInto {
                guard let s = try await store.find(ws, id: survivor, in: tx) else { throw DomainError.notFound("\(t.displayID) was merged into a ticket that no longer exists") }
                t = try await load(ws, s.number, scope, forUpdate: tx)
            }
            if t.locked, author.kind == .customer || author.kind == .ai {
                throw DomainError.conflict("\(t.displayID) is locked: customers and the AI cannot add replies")
            }
            let now = clock.now()
            var userID: UserID? = nil, email = ""
            switch author {
            case .customer(let e, _): email = e
            case .agent(let u, let e): userID = u; email = e
            case .ai, .system: break
            }
            // A reply that is emailed gets its Message-ID now, so the customer's answer threads back to this message.
            let ownID = mails ? (messageID ?? mailer?.newMessageID(ticket: t)) : messageID
            let m = try await store.addMessage(ws, NewTicketMessage(ticketID: t.id, authorKind: author.kind, authorUserID: userID, authorEmail: email,
                                                                    body: text, internalNote: internalNote, messageID: ownID, now: now), in: tx)
            t.updatedAt = now
            let targets = book.targets(t.departmentID)
            if author.kind == .customer, [.closed, .resolved, .waitingOnCustomer].contains(t.status) {
                try await changeStatus(&t, to: .open, now: now, hours: hours, targets: targets, reason: "customer_reply", in: tx)
            }
            if author.kind == .customer, t.firstResponseAt != nil, t.nextResponseDueAt == nil {
                // The customer wrote again after we answered: the next staff reply is now due.
                t.nextResponseDueAt = targets.due(.nextResponse, priority: t.priority, from: now, pausedSeconds: 0, hours: hours)
                t.nextResponseBreachedAt = nil
            }
            if author.kind == .agent, !internalNote {
                if t.firstResponseAt == nil {
                    t.firstResponseAt = now
                    if let due = effectiveDue(t, .firstResponse, now: now, hours: hours, targets: targets) {
                        try await store.recordSLAOutcome(ws, TicketSLAOutcome(ticketID: t.id, metric: SLAMetric.firstResponse.rawValue, priority: t.priority,
                                                                              dueAt: due, achievedAt: now, hit: now <= due), now: now, in: tx)
                    }
                } else if let due = t.nextResponseDueAt {
                    let running = t.slaPausedAt.map { Int64(hours.businessSeconds(from: $0, to: now)) } ?? 0
                    let effective = running > 0 ? hours.add(seconds: TimeInterval(running), to: due) : due
                    try await store.recordSLAOutcome(ws, TicketSLAOutcome(ticketID: t.id, metric: SLAMetric.nextResponse.rawValue, priority: t.priority,
                                                                          dueAt: effective, achievedAt: now, hit: now <= effective), now: now, in: tx)
                }
                t.nextResponseDueAt = nil
                t.nextResponseBreachedAt = nil
            }
            try await store.update(ws, t, in: tx)
            if mails, let mailer { _ = try await mailer.replyWritten(ws, ticket: t, message: m, in: tx) }
            try await outbox.publish("ticket.replied", workspace: ws, payload: [
                "ticket_id": .string(t.displayID), "number": .int(t.number), "message_id": .int(m.id), "author_kind": .string(author.kind.rawValue),
                "internal": .bool(internalNote),
            ], in: tx)
            if author.kind != .customer {
                try await recordAudit(scope, ws, action: internalNote ? "tickets.note" : "tickets.reply", target: t.displayID, details: ["message_id": .int(m.id)], in: tx)
            }
            return m
        }
    }

    // MARK: - Status, SLA pauses and other changes

    /// A creation-based due time (first response, resolution) including a pause still running at `now`.
    func effectiveDue(_ t: Ticket, _ metric: SLAMetric, now: Date, hours: BusinessHours, targets: SLATargets) -> Date? {
        let stored = metric == .firstResponse ? t.firstResponseDueAt : t.resolutionDueAt
        guard stored != nil else { return nil }
        let running = t.slaPausedAt.map { Int64(hours.businessSeconds(from: $0, to: now)) } ?? 0
        return targets.due(metric, priority: t.priority, from: t.createdAt, pausedSeconds: t.slaPausedSeconds + running, hours: hours)
    }

    /// Works the creation-based due times out again (after a pause, or a change of priority or department).
    func recomputeDues(_ t: inout Ticket, hours: BusinessHours, targets: SLATargets) {
        if t.firstResponseAt == nil {
            t.firstResponseDueAt = targets.due(.firstResponse, priority: t.priority, from: t.createdAt, pausedSeconds: t.slaPausedSeconds, hours: hours)
        }
        t.resolutionDueAt = targets.due(.resolution, priority: t.priority, from: t.createdAt, pausedSeconds: t.slaPausedSeconds, hours: hours)
    }

    /// Moves the status, pausing or resuming the SLA clocks, records the resolution outcome the first time the
    /// ticket is resolved or closed, and publishes `ticket.status_changed`.
    func changeStatus(_ t: inout Ticket, to new: TicketStatus, now: Date, hours: BusinessHours, targets: SLATargets, reason: String,
                      in tx: any SQLConnection) async throws {
        let old = t.status
        guard old != new else { return }
        if let paused = t.slaPausedAt {
            let delta = Int64(hours.businessSeconds(from: paused, to: now))
            t.slaPausedSeconds += delta
            t.slaPausedAt = nil
            recomputeDues(&t, hours: hours, targets: targets)
            if let next = t.nextResponseDueAt, delta > 0 { t.nextResponseDueAt = hours.add(seconds: TimeInterval(delta), to: next) }
        }
        if new == .waitingOnCustomer { t.slaPausedAt = now }
        if new == .resolved || new == .closed {
            if t.resolvedAt == nil { t.resolvedAt = now }
            if let due = t.resolutionDueAt, t.mergedInto == nil,
               !(try await store.slaOutcomes(t.workspaceID, ticketID: t.id, in: tx)).contains(where: { $0.metric == SLAMetric.resolution.rawValue }) {
                try await store.recordSLAOutcome(t.workspaceID, TicketSLAOutcome(ticketID: t.id, metric: SLAMetric.resolution.rawValue, priority: t.priority,
                                                                                 dueAt: due, achievedAt: now, hit: now <= due), now: now, in: tx)
            }
            t.nextResponseDueAt = nil
        } else {
            t.resolvedAt = nil
        }
        t.status = new
        t.updatedAt = now
        try await outbox.publish("ticket.status_changed", workspace: t.workspaceID, payload: [
            "ticket_id": .string(t.displayID), "number": .int(t.number), "from": .string(old.rawValue), "to": .string(new.rawValue), "reason": .string(reason),
        ], in: tx)
    }

    /// `notifyCustomer`: send the `ticket_resolved` email when this resolves or closes the ticket.
    public func setStatus(_ ws: WorkspaceID, number: Int64, to status: TicketStatus, scope: TicketScope, notifyCustomer: Bool = true) async throws -> Ticket {
        var c = TicketChanges(status: status)
        c.notifyCustomer = notifyCustomer
        return try await update(ws, number: number, c, scope: scope)
    }

    public func update(_ ws: WorkspaceID, number: Int64, _ c: TicketChanges, scope: TicketScope) async throws -> Ticket {
        let subject = try c.subject.map { try Self.clean($0, field: "subject", max: Self.maxSubject) }
        if case .some(.some(let d)) = c.departmentID, !(try await departments.list(ws, includeArchived: false)).contains(where: { $0.id == d }) {
            throw DomainError.validation(field: "department", message: "no department \(d) in this site")
        }
        if case .some(.none) = c.departmentID, scope.visibleDepartments != nil {
            throw DomainError.validation(field: "department", message: "Agents cannot remove a ticket's department")
        }
        let hours = try await hours(ws)
        let book = try await slaTargets(ws)
        return try await db.retryingTransaction { tx in
            var t = try await load(ws, number, scope, forUpdate: tx)
            if t.mergedInto != nil, c.status != nil, c.status != .closed {
                throw DomainError.validation(field: "status", message: "\(t.displayID) was merged; reply to or change the ticket it was merged into")
            }
            let now = clock.now()
            var changed: [String: JSONValue] = [:]
            if let subject, subject != t.subject { t.subject = subject; changed["subject"] = .string(subject) }
            if let p = c.priority, p != t.priority { t.priority = p; changed["priority"] = .string(p.rawValue) }
            if let d = c.departmentID, d != t.departmentID { t.departmentID = d; changed["department_id"] = d.map { .int($0) } ?? .null }
            let targets = book.targets(t.departmentID)
            if changed["priority"] != nil || changed["department_id"] != nil { recomputeDues(&t, hours: hours, targets: targets) }
            var resolvedNow = false
            if let s = c.status, s != t.status {
                let wasDone = t.status == .resolved || t.status == .closed
                try await changeStatus(&t, to: s, now: now, hours: hours, targets: targets, reason: "update", in: tx)
                changed["status"] = .string(s.rawValue)
                resolvedNow = !wasDone && (s == .resolved || s == .closed)
            }
            if !changed.isEmpty {
                t.updatedAt = now
                var payload = changed
                payload.removeValue(forKey: "status")
                payload["ticket_id"] = .string(t.displayID); payload["number"] = .int(t.number)
                if payload.count > 2 { try await outbox.publish("ticket.updated", workspace: ws, payload: payload, in: tx) }
                try await recordAudit(scope, ws, action: "tickets.update", target: t.displayID, details: changed, in: tx)
            }
            try await store.update(ws, t, in: tx)
            // Resolved -> closed sends nothing more; a merged ticket's closing is internal.
            if resolvedNow, c.notifyCustomer, t.mergedInto == nil, let mailer { _ = try await mailer.resolvedNotice(ws, ticket: t, in: tx) }
            return t
        }
    }

    /// Assigns to a team member who may see the ticket's department (nil unassigns).
    public func assign(_ ws: WorkspaceID, number: Int64, to assignee: UserID?, scope: TicketScope) async throws -> Ticket {
        var user: User? = nil
        var agentDepartments: Set<Int64>? = nil
        if let id = assignee {
            guard let u = try await db.read({ try await users.find(id, in: $0) }), u.active else {
                throw DomainError.validation(field: "assignee_id", message: "no active team member with id \(id)")
            }
            user = u
            if u.role == .agent {
                let live = Set(try await departments.list(ws, includeArchived: false).map(\.id))
                agentDepartments = Set(try await departments.assignments(user: u.id)).intersection(live)
            }
        }
        return try await db.retryingTransaction { tx in
            var t = try await load(ws, number, scope, forUpdate: tx)
            if let user, let mine = agentDepartments {
                guard let d = t.departmentID, mine.contains(d) else {
                    throw DomainError.validation(field: "assignee_id", message: "\(user.email) is an Agent outside this ticket's department and cannot see \(t.displayID)")
                }
            }
            guard t.assigneeID != assignee else { return t }
            t.assigneeID = assignee
            t.updatedAt = clock.now()
            try await store.update(ws, t, in: tx)
            try await outbox.publish("ticket.assigned", workspace: ws, payload: [
                "ticket_id": .string(t.displayID), "number": .int(t.number), "assignee_id": assignee.map { .int($0.raw) } ?? .null,
            ], in: tx)
            try await recordAudit(scope, ws, action: "tickets.assign", target: t.displayID, details: ["assignee_id": assignee.map { .int($0.raw) } ?? .null], in: tx)
            return t
        }
    }

    /// Locks (or unlocks) the thread: customers and the AI can no longer reply; staff still can.
    public func lock(_ ws: WorkspaceID, number: Int64, locked: Bool, scope: TicketScope) async throws -> Ticket {
        try await db.retryingTransaction { tx in
            var t = try await load(ws, number, scope, forUpdate: tx)
            guard t.locked != locked else { return t }
            t.locked = locked
            t.updatedAt = clock.now()
            try await store.update(ws, t, in: tx)
            try await outbox.publish("ticket.locked", workspace: ws, payload: ["ticket_id": .string(t.displayID), "number": .int(t.number), "locked": .bool(locked)], in: tx)
            try await recordAudit(scope, ws, action: "tickets.lock", target: t.displayID, details: ["locked": .bool(locked)], in: tx)
            return t
        }
    }

    /// Merges `source` into `target`: the survivor keeps every message of both (in time order); the merged
    /// ticket is tagged `[MERGED]`, closed and points at the survivor.
    public func merge(_ ws: WorkspaceID, number source: Int64, into target: Int64, scope: TicketScope) async throws -> TicketDetail {
        guard source != target else { throw DomainError.validation(field: "into_ticket_id", message: "cannot merge T-\(source) into itself") }
        let hours = try await hours(ws)
        let book = try await slaTargets(ws)
        let survivor: Ticket = try await db.retryingTransaction { tx in
            // Lock in number order so two opposite merges cannot deadlock.
            let first = try await load(ws, min(source, target), scope, forUpdate: tx)
            let second = try await load(ws, max(source, target), scope, forUpdate: tx)
            var s = first.number == source ? first : second
            var into = first.number == target ? first : second
            if let m = s.mergedInto {
                let other = try await store.find(ws, id: m, in: tx).map(\.displayID) ?? "another ticket"
                throw DomainError.validation(field: "ticket_id", message: "\(s.displayID) was already merged into \(other)")
            }
            if let m = into.mergedInto {
                let other = try await store.find(ws, id: m, in: tx).map(\.displayID) ?? "another ticket"
                throw DomainError.validation(field: "into_ticket_id", message: "\(into.displayID) was merged into \(other); merge into \(other) instead")
            }
            let now = clock.now()
            try await store.moveMessages(ws, from: s.id, to: into.id, in: tx)
            if !s.subject.hasPrefix(Self.mergedTag) { s.subject = String((Self.mergedTag + " " + s.subject).prefix(Self.maxSubject)) }
            s.mergedInto = into.id
            try await changeStatus(&s, to: .closed, now: now, hours: hours, targets: book.targets(s.departmentID), reason: "merged", in: tx)
            s.updatedAt = now
            into.updatedAt = now
            try await store.update(ws, s, in: tx)
            try await store.update(ws, into, in: tx)
            try await outbox.publish("ticket.merged", workspace: ws, payload: [
                "ticket_id": .string(s.displayID), "number": .int(s.number), "into_ticket_id": .string(into.displayID), "into_number": .int(into.number),
            ], in: tx)
            try await recordAudit(scope, ws, action: "tickets.merge", target: s.displayID, details: ["into_ticket_id": .string(into.displayID)], in: tx)
            return into
        }
        return try await get(ws, number: survivor.number, includeInternal: true, scope: scope)
    }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: d)
    }
}

extension Ticket {
    /// The API view of a ticket.
    public var json: JSONValue {
        func d(_ x: Date?) -> JSONValue { x.map { .string(TicketService.iso($0)) } ?? .null }
        return .object([
            "id": .string(displayID), "number": .int(number), "subject": .string(subject), "department_id": departmentID.map { .int($0) } ?? .null,
            "priority": .string(priority.rawValue), "status": .string(status.rawValue), "customer_email": .string(customerEmail),
            "customer_name": .string(customerName), "assignee_id": assigneeID.map { .int($0.raw) } ?? .null, "locked": .bool(locked),
            "merged": .bool(mergedInto != nil), "created_at": d(createdAt), "updated_at": d(updatedAt), "first_response_at": d(firstResponseAt),
            "resolved_at": d(resolvedAt), "first_response_due_at": d(firstResponseDueAt), "sla_paused": .bool(slaPausedAt != nil),
            "sla_breached": .bool(slaBreachedAt != nil), "next_response_due_at": d(nextResponseDueAt), "resolution_due_at": d(resolutionDueAt),
            "sla_due_at": d(slaDueAt),
            "sla_breaches": .array(SLAMetric.allCases.filter { breachedAt($0) != nil }.map { .string($0.rawValue) }),
        ])
    }
}

extension TicketMessage {
    public var json: JSONValue {
        .object(["id": .int(id), "author_kind": .string(authorKind.rawValue), "author_user_id": authorUserID.map { .int($0.raw) } ?? .null,
                 "author_email": .string(authorEmail), "body": .string(body), "internal": .bool(internalNote),
                 "created_at": .string(TicketService.iso(createdAt))])
    }
}

/// The SLA targets of a site's departments, looked up per ticket.
public struct SLATargetBook: Sendable {
    public var byDepartment: [Int64: SLATargets]
    public init(byDepartment: [Int64: SLATargets]) { self.byDepartment = byDepartment }
    public func targets(_ department: Int64?) -> SLATargets { department.flatMap { byDepartment[$0] } ?? .standard }
}
