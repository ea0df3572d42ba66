import Foundation
import Ports

/// Tickets, messages and SLA outcomes over either engine. Every statement is scoped by `workspace_id`.
public struct SQLTicketStore: TicketStore {
    public init() {}

    /// `sla_due_at` of a ticket without a running clock (9999-12-31, epoch milliseconds): sorts after every real due time.
    public static let noDue: Int64 = 253_402_300_799_999

    static func slaOrder(_ t: Ticket) -> SQLValue { .int(t.slaDueAt?.epochMillis ?? noDue) }

    static let columns = """
        id, workspace_id, number, subject, department_id, priority, status, customer_email, customer_name, assignee_id, locked, merged_into,
        created_at, updated_at, first_response_at, resolved_at, first_response_due_at, sla_paused_at, sla_paused_seconds, sla_breached_at,
        next_response_due_at, next_response_breached_at, resolution_due_at, resolution_breached_at
        """

    static func decode(_ r: SQLRow) throws -> Ticket {
        let p = try r.string("priority"), s = try r.string("status")
        guard let priority = TicketPriority(rawValue: p) else { throw SQLError.decoding(column: "priority", expected: "a ticket priority, got \(p)") }
        guard let status = TicketStatus(rawValue: s) else { throw SQLError.decoding(column: "status", expected: "a ticket status, got \(s)") }
        return Ticket(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), number: try r.int("number"), subject: try r.string("subject"),
                      departmentID: try r.optionalInt("department_id"), priority: priority, status: status,
                      customerEmail: try r.string("customer_email"), customerName: try r.string("customer_name"),
                      assigneeID: try r.optionalInt("assignee_id").map(UserID.init), locked: try r.bool("locked"), mergedInto: try r.optionalInt("merged_into"),
                      createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"), firstResponseAt: try r.optionalDate("first_response_at"),
                      resolvedAt: try r.optionalDate("resolved_at"), firstResponseDueAt: try r.optionalDate("first_response_due_at"),
                      slaPausedAt: try r.optionalDate("sla_paused_at"), slaPausedSeconds: try r.int("sla_paused_seconds"),
                      slaBreachedAt: try r.optionalDate("sla_breached_at"), nextResponseDueAt: try r.optionalDate("next_response_due_at"),
                      nextResponseBreachedAt: try r.optionalDate("next_response_breached_at"), resolutionDueAt: try r.optionalDate("resolution_due_at"),
                      resolutionBreachedAt: try r.optionalDate("resolution_breached_at"))
    }

    static func decodeMessage(_ r: SQLRow) throws -> TicketMessage {
        let k = try r.string("author_kind")
        guard let kind = TicketAuthorKind(rawValue: k) else { throw SQLError.decoding(column: "author_kind", expected: "an author kind, got \(k)") }
        return TicketMessage(id: try r.int("id"), ticketID: try r.int("ticket_id"), workspaceID: WorkspaceID(try r.int("workspace_id")), authorKind: kind,
                             authorUserID: try r.optionalInt("author_user_id").map(UserID.init), authorEmail: try r.string("author_email"),
                             body: try r.string("body"), internalNote: try r.bool("internal"), createdAt: try r.date("created_at"),
                             messageID: try r.optionalString("message_id"))
    }

    /// The next `T-` number of a site. The counter row stays locked until commit, so numbers never repeat.
    func nextNumber(_ workspace: WorkspaceID, in tx: any SQLConnection) async throws -> Int64 {
        switch tx.dialect {
        case .mariadb:
            try await tx.execute("INSERT INTO ticket_counters (workspace_id, last_number) VALUES (?, 1) ON DUPLICATE KEY UPDATE last_number = last_number + 1", [.int(workspace.raw)])
        case .sqlite:
            try await tx.execute("INSERT INTO ticket_counters (workspace_id, last_number) VALUES (?, 1) ON CONFLICT(workspace_id) DO UPDATE SET last_number = last_number + 1", [.int(workspace.raw)])
        }
        guard let row = try await tx.queryFirst("SELECT last_number FROM ticket_counters WHERE workspace_id = ?", [.int(workspace.raw)]) else {
            throw SQLError.engine(code: 0, message: "the ticket counter of workspace \(workspace) is missing")
        }
        return try row.int("last_number")
    }

    public func insert(_ workspace: WorkspaceID, _ t: NewTicket, in tx: any SQLConnection) async throws -> Ticket {
        let number = try await nextNumber(workspace, in: tx)
        let id = try await tx.execute("""
            INSERT INTO tickets (workspace_id, number, subject, department_id, priority, status, customer_email, customer_name, assignee_id, locked,
                                 created_at, updated_at, first_response_due_at, sla_paused_seconds, resolution_due_at, sla_due_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?)
            """, [.int(workspace.raw), .int(number), .text(t.subject), SQLValue(t.departmentID), .text(t.priority.rawValue), .text(t.status.rawValue),
                  .text(t.customerEmail), .text(t.customerName), SQLValue(t.assigneeID?.raw), .int(t.now.epochMillis), .int(t.now.epochMillis),
                  SQLValue(t.firstResponseDueAt), SQLValue(t.resolutionDueAt), .int(Self.noDue)]).lastInsertID
        let ticket = Ticket(id: id, workspaceID: workspace, number: number, subject: t.subject, departmentID: t.departmentID, priority: t.priority, status: t.status,
                            customerEmail: t.customerEmail, customerName: t.customerName, assigneeID: t.assigneeID, locked: false, mergedInto: nil,
                            createdAt: Date(epochMillis: t.now.epochMillis), updatedAt: Date(epochMillis: t.now.epochMillis), firstResponseAt: nil, resolvedAt: nil,
                            firstResponseDueAt: t.firstResponseDueAt.map { Date(epochMillis: $0.epochMillis) }, slaPausedAt: nil, slaPausedSeconds: 0, slaBreachedAt: nil,
                            resolutionDueAt: t.resolutionDueAt.map { Date(epochMillis: $0.epochMillis) })
        if ticket.slaDueAt != nil {
            try await tx.execute("UPDATE tickets SET sla_due_at = ? WHERE workspace_id = ? AND id = ?", [Self.slaOrder(ticket), .int(workspace.raw), .int(id)])
        }
        return ticket
    }

    public func find(_ workspace: WorkspaceID, number: Int64, in conn: any SQLConnection) async throws -> Ticket? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM tickets WHERE workspace_id = ? AND number = ?", [.int(workspace.raw), .int(number)]).map(Self.decode)
    }

    public func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> Ticket? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM tickets WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).map(Self.decode)
    }

    public func findForUpdate(_ workspace: WorkspaceID, number: Int64, in tx: any SQLConnection) async throws -> Ticket? {
        let lock = tx.dialect == .mariadb ? " FOR UPDATE" : ""
        return try await tx.queryFirst("SELECT \(Self.columns) FROM tickets WHERE workspace_id = ? AND number = ?\(lock)", [.int(workspace.raw), .int(number)]).map(Self.decode)
    }

    public func update(_ workspace: WorkspaceID, _ t: Ticket, in tx: any SQLConnection) async throws {
        try await tx.execute("""
            UPDATE tickets SET subject = ?, department_id = ?, priority = ?, status = ?, customer_email = ?, customer_name = ?, assignee_id = ?, locked = ?,
                               merged_into = ?, updated_at = ?, first_response_at = ?, resolved_at = ?, first_response_due_at = ?, sla_paused_at = ?,
                               sla_paused_seconds = ?, sla_breached_at = ?, next_response_due_at = ?, next_response_breached_at = ?, resolution_due_at = ?,
                               resolution_breached_at = ?, sla_due_at = ?
            WHERE workspace_id = ? AND id = ?
            """, [.text(t.subject), SQLValue(t.departmentID), .text(t.priority.rawValue), .text(t.status.rawValue), .text(t.customerEmail), .text(t.customerName),
                  SQLValue(t.assigneeID?.raw), SQLValue(t.locked), SQLValue(t.mergedInto), SQLValue(t.updatedAt), SQLValue(t.firstResponseAt), SQLValue(t.resolvedAt),
                  SQLValue(t.firstResponseDueAt), SQLValue(t.slaPausedAt), .int(t.slaPausedSeconds), SQLValue(t.slaBreachedAt),
                  SQLValue(t.nextResponseDueAt), SQLValue(t.nextResponseBreachedAt), SQLValue(t.resolutionDueAt), SQLValue(t.resolutionBreachedAt),
                  Self.slaOrder(t), .int(workspace.raw), .int(t.id)])
    }

    public func addMessage(_ workspace: WorkspaceID, _ m: NewTicketMessage, in tx: any SQLConnection) async throws -> TicketMessage {
        let id = try await tx.execute("""
            INSERT INTO ticket_messages (ticket_id, workspace_id, author_kind, author_user_id, author_email, body, internal, created_at, message_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(m.ticketID), .int(workspace.raw), .text(m.authorKind.rawValue), SQLValue(m.authorUserID?.raw), .text(m.authorEmail), .text(m.body),
                  SQLValue(m.internalNote), .int(m.now.epochMillis), SQLValue(m.messageID)]).lastInsertID
        return TicketMessage(id: id, ticketID: m.ticketID, workspaceID: workspace, authorKind: m.authorKind, authorUserID: m.authorUserID, authorEmail: m.authorEmail,
                             body: m.body, internalNote: m.internalNote, createdAt: Date(epochMillis: m.now.epochMillis), messageID: m.messageID)
    }

    public func messages(_ workspace: WorkspaceID, ticketID: Int64, includeInternal: Bool, in conn: any SQLConnection) async throws -> [TicketMessage] {
        try await conn.query("""
            SELECT id, ticket_id, workspace_id, author_kind, author_user_id, author_email, body, internal, created_at, message_id
            FROM ticket_messages WHERE workspace_id = ? AND ticket_id = ?\(includeInternal ? "" : " AND internal = 0") ORDER BY created_at, id
            """, [.int(workspace.raw), .int(ticketID)]).map(Self.decodeMessage)
    }

    public func moveMessages(_ workspace: WorkspaceID, from: Int64, to: Int64, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE ticket_messages SET ticket_id = ? WHERE workspace_id = ? AND ticket_id = ?", [.int(to), .int(workspace.raw), .int(from)])
        // Attachments follow their messages to the surviving ticket.
        try await tx.execute("UPDATE ticket_attachments SET ticket_id = ? WHERE workspace_id = ? AND ticket_id = ?", [.int(to), .int(workspace.raw), .int(from)])
        try await tx.execute("UPDATE tickets SET merged_into = ? WHERE workspace_id = ? AND merged_into = ?", [.int(to), .int(workspace.raw), .int(from)])
    }

    public func list(_ workspace: WorkspaceID, _ f: TicketFilter, in conn: any SQLConnection) async throws -> (tickets: [Ticket], total: Int) {
        var sql = " FROM tickets WHERE workspace_id = ?"
        var binds: [SQLValue] = [.int(workspace.raw)]
        if !f.statuses.isEmpty {
            sql += " AND status IN (\(Array(repeating: "?", count: f.statuses.count).joined(separator: ", ")))"
            binds += f.statuses.map { .text($0.rawValue) }
        }
        if let d = f.departmentID { sql += " AND department_id = ?"; binds.append(.int(d)) }
        if let p = f.priority { sql += " AND priority = ?"; binds.append(.text(p.rawValue)) }
        if let e = f.customerEmail { sql += " AND customer_email = ?"; binds.append(.text(e)) }
        switch f.assignee {
        case .anyone: break
        case .nobody: sql += " AND assignee_id IS NULL"
        case .user(let u): sql += " AND assignee_id = ?"; binds.append(.int(u.raw))
        }
        if let visible = f.visibleDepartments {
            // An Agent with no departments here sees nothing; `IN ()` is not valid SQL.
            if visible.isEmpty { return ([], 0) }
            sql += " AND department_id IN (\(Array(repeating: "?", count: visible.count).joined(separator: ", ")))"
            binds += visible.sorted().map { .int($0) }
        }
        let total = try await conn.queryFirst("SELECT COUNT(*) AS n" + sql, binds).map { try $0.int("n") } ?? 0
        let order: String
        switch f.sort {
        case .updated: order = "updated_at DESC, id DESC"
        // Tickets with a running clock first (earliest due first), then the rest (the sentinel) oldest first.
        case .due: order = "sla_due_at, id"
        case .priority: order = "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, updated_at DESC, id DESC"
        case .created: order = "created_at DESC, id DESC"
        }
        let rows = try await conn.query("SELECT \(Self.columns)" + sql + " ORDER BY \(order) LIMIT ? OFFSET ?",
                                        binds + [.int(Int64(f.limit)), .int(Int64(f.offset))])
        return (try rows.map(Self.decode), Int(total))
    }

    public func recordSLAOutcome(_ workspace: WorkspaceID, _ o: TicketSLAOutcome, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("""
            INSERT INTO ticket_sla_outcomes (workspace_id, ticket_id, metric, priority, due_at, achieved_at, hit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(workspace.raw), .int(o.ticketID), .text(o.metric), .text(o.priority.rawValue), SQLValue(o.dueAt), SQLValue(o.achievedAt),
                  SQLValue(o.hit), SQLValue(now)])
    }

    public func slaOutcomes(_ workspace: WorkspaceID, ticketID: Int64, in conn: any SQLConnection) async throws -> [TicketSLAOutcome] {
        try await conn.query("SELECT ticket_id, metric, priority, due_at, achieved_at, hit FROM ticket_sla_outcomes WHERE workspace_id = ? AND ticket_id = ? ORDER BY id",
                             [.int(workspace.raw), .int(ticketID)]).map { r in
            TicketSLAOutcome(ticketID: try r.int("ticket_id"), metric: try r.string("metric"), priority: TicketPriority(rawValue: try r.string("priority")) ?? .normal,
                             dueAt: try r.date("due_at"), achievedAt: try r.date("achieved_at"), hit: try r.bool("hit"))
        }
    }

    static func clockColumns(_ m: SLAMetric) -> (due: String, breached: String, running: String) {
        switch m {
        case .firstResponse: return ("first_response_due_at", "sla_breached_at", "first_response_at IS NULL")
        case .nextResponse: return ("next_response_due_at", "next_response_breached_at", "1 = 1")
        case .resolution: return ("resolution_due_at", "resolution_breached_at", "1 = 1")
        }
    }

    public func overdue(_ workspace: WorkspaceID, metric: SLAMetric, now: Date, limit: Int, in conn: any SQLConnection) async throws -> [Ticket] {
        let c = Self.clockColumns(metric)
        return try await conn.query("""
            SELECT \(Self.columns) FROM tickets
            WHERE workspace_id = ? AND \(c.running) AND \(c.due) IS NOT NULL AND \(c.due) < ?
              AND \(c.breached) IS NULL AND sla_paused_at IS NULL AND merged_into IS NULL AND status IN ('open', 'pending')
            ORDER BY \(c.due), id LIMIT ?
            """, [.int(workspace.raw), SQLValue(now), .int(Int64(limit))]).map(Self.decode)
    }

    public func markBreached(_ workspace: WorkspaceID, id: Int64, metric: SLAMetric, now: Date, in tx: any SQLConnection) async throws -> Bool {
        let c = Self.clockColumns(metric)
        return try await tx.execute("UPDATE tickets SET \(c.breached) = ? WHERE workspace_id = ? AND id = ? AND \(c.breached) IS NULL",
                                    [SQLValue(now), .int(workspace.raw), .int(id)]).affectedRows == 1
    }
}
