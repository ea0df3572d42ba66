import Foundation
import Ports

/// The outgoing-mail store over either engine. Every statement is scoped by `workspace_id`.
public struct SQLMailOutboxStore: MailOutboxStore {
    public init() {}

    static let columns = """
        id, workspace_id, ticket_id, kind, automatic, status, to_email, to_name, from_email, from_name, reply_to, subject, message_id, headers,
        text_body, html_body, attempts, last_error, created_at, sent_at
        """

    /// Extra headers travel as a JSON array of `[name, value]` pairs (order kept).
    static func encodeHeaders(_ h: [(String, String)]) -> String {
        let data = (try? JSONEncoder().encode(h.map { [$0.0, $0.1] })) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeHeaders(_ s: String) -> [(String, String)] {
        guard let pairs = try? JSONDecoder().decode([[String]].self, from: Data(s.utf8)) else { return [] }
        return pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
    }

    static func decode(_ r: SQLRow) throws -> StoredMail {
        let toName = try r.string("to_name"), fromName = try r.string("from_name"), replyTo = try r.string("reply_to")
        let mail = OutgoingMail(from: MailAddress(try r.string("from_email"), name: fromName.isEmpty ? nil : fromName),
                                to: [MailAddress(try r.string("to_email"), name: toName.isEmpty ? nil : toName)],
                                replyTo: replyTo.isEmpty ? nil : MailAddress(replyTo), subject: try r.string("subject"), textBody: try r.string("text_body"),
                                htmlBody: try r.optionalString("html_body"), headers: decodeHeaders(try r.string("headers")))
        return StoredMail(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), ticketID: try r.optionalInt("ticket_id"),
                          kind: try r.string("kind"), automatic: try r.bool("automatic"),
                          status: StoredMailStatus(rawValue: try r.string("status")) ?? .failed, mail: mail, messageID: try r.string("message_id"),
                          attempts: Int(try r.int("attempts")), lastError: try r.optionalString("last_error"), createdAt: try r.date("created_at"),
                          sentAt: try r.optionalDate("sent_at"))
    }

    public func insert(_ workspace: WorkspaceID, _ m: NewStoredMail, in tx: any SQLConnection) async throws -> StoredMail {
        let to = m.mail.to.first ?? MailAddress("")
        let id = try await tx.execute("""
            INSERT INTO mail_outbox (workspace_id, ticket_id, kind, automatic, status, to_email, to_name, from_email, from_name, reply_to, subject, message_id,
              headers, text_body, html_body, attempts, last_error, created_at, sent_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, NULL)
            """, [.int(workspace.raw), SQLValue(m.ticketID), .text(m.kind), SQLValue(m.automatic), .text(m.status.rawValue), .text(to.email.lowercased()),
                  .text(to.name ?? ""), .text(m.mail.from.email), .text(m.mail.from.name ?? ""), .text(m.mail.replyTo?.email ?? ""), .text(m.mail.subject),
                  .text(m.messageID), .text(Self.encodeHeaders(m.mail.headers)), .text(m.mail.textBody), SQLValue(m.mail.htmlBody),
                  .int(m.now.epochMillis)]).lastInsertID
        return StoredMail(id: id, workspaceID: workspace, ticketID: m.ticketID, kind: m.kind, automatic: m.automatic, status: m.status, mail: m.mail,
                          messageID: m.messageID, attempts: 0, lastError: nil, createdAt: Date(epochMillis: m.now.epochMillis), sentAt: nil)
    }

    public func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> StoredMail? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM mail_outbox WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).map(Self.decode)
    }

    public func list(_ workspace: WorkspaceID, status: StoredMailStatus?, ticketID: Int64?, limit: Int, offset: Int,
                     in conn: any SQLConnection) async throws -> (mails: [StoredMail], total: Int) {
        var whereSQL = "workspace_id = ?"
        var binds: [SQLValue] = [.int(workspace.raw)]
        if let status { whereSQL += " AND status = ?"; binds.append(.text(status.rawValue)) }
        if let ticketID { whereSQL += " AND ticket_id = ?"; binds.append(.int(ticketID)) }
        let total = Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM mail_outbox WHERE \(whereSQL)", binds)?.int("n") ?? 0)
        let rows = try await conn.query("SELECT \(Self.columns) FROM mail_outbox WHERE \(whereSQL) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                                        binds + [.int(Int64(max(1, min(limit, 500)))), .int(Int64(max(0, offset)))])
        return (try rows.map(Self.decode), total)
    }

    public func recordAttempt(_ workspace: WorkspaceID, id: Int64, status: StoredMailStatus, error: String?, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("""
            UPDATE mail_outbox SET status = ?, attempts = attempts + 1, last_error = ?, sent_at = ? WHERE workspace_id = ? AND id = ?
            """, [.text(status.rawValue), SQLValue(error), status == .sent ? .int(now.epochMillis) : .null, .int(workspace.raw), .int(id)])
    }

    public func countAutomatic(_ workspace: WorkspaceID, ticketID: Int64?, toEmail: String?, since: Date, in conn: any SQLConnection) async throws -> Int {
        var sql = "SELECT COUNT(*) AS n FROM mail_outbox WHERE workspace_id = ? AND automatic = 1 AND created_at >= ?"
        var binds: [SQLValue] = [.int(workspace.raw), .int(since.epochMillis)]
        if let ticketID { sql += " AND ticket_id = ?"; binds.append(.int(ticketID)) }
        if let toEmail { sql += " AND to_email = ?"; binds.append(.text(toEmail.lowercased())) }
        return Int(try await conn.queryFirst(sql, binds)?.int("n") ?? 0)
    }

    public func ticketID(_ workspace: WorkspaceID, messageIDs: [String], in conn: any SQLConnection) async throws -> Int64? {
        for id in messageIDs.prefix(50) {
            if let t = try await conn.queryFirst("SELECT ticket_id FROM ticket_messages WHERE workspace_id = ? AND message_id = ? ORDER BY id LIMIT 1",
                                                 [.int(workspace.raw), .text(id)])?.int("ticket_id") { return t }
            if let t = try await conn.queryFirst("SELECT ticket_id FROM mail_outbox WHERE workspace_id = ? AND message_id = ? AND ticket_id IS NOT NULL ORDER BY id LIMIT 1",
                                                 [.int(workspace.raw), .text(id)])?.optionalInt("ticket_id") { return t }
        }
        return nil
    }

    public func messageImported(_ workspace: WorkspaceID, messageID: String, in conn: any SQLConnection) async throws -> Bool {
        try await conn.queryFirst("SELECT id FROM ticket_messages WHERE workspace_id = ? AND message_id = ? AND author_kind = 'customer' LIMIT 1",
                                  [.int(workspace.raw), .text(messageID)]) != nil
    }
}

/// Edited email templates over either engine.
public struct SQLEmailTemplateStore: EmailTemplateStore {
    public init() {}

    public func all(_ workspace: WorkspaceID, in conn: any SQLConnection) async throws -> [EmailTemplateOverride] {
        try await conn.query("SELECT template_key, subject, body, updated_at FROM email_templates WHERE workspace_id = ? ORDER BY template_key", [.int(workspace.raw)]).map {
            EmailTemplateOverride(key: try $0.string("template_key"), subject: try $0.string("subject"), body: try $0.string("body"), updatedAt: try $0.date("updated_at"))
        }
    }

    public func save(_ workspace: WorkspaceID, key: String, subject: String, body: String, by: UserID?, now: Date, in tx: any SQLConnection) async throws {
        // Read, then update or insert: the same statements on both engines; the unique index settles a race.
        if try await tx.queryFirst("SELECT id FROM email_templates WHERE workspace_id = ? AND template_key = ?", [.int(workspace.raw), .text(key)]) != nil {
            try await tx.execute("UPDATE email_templates SET subject = ?, body = ?, updated_by = ?, updated_at = ? WHERE workspace_id = ? AND template_key = ?",
                                 [.text(subject), .text(body), SQLValue(by?.raw), .int(now.epochMillis), .int(workspace.raw), .text(key)])
        } else {
            try await tx.execute("INSERT INTO email_templates (workspace_id, template_key, subject, body, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                                 [.int(workspace.raw), .text(key), .text(subject), .text(body), SQLValue(by?.raw), .int(now.epochMillis)])
        }
    }

    public func reset(_ workspace: WorkspaceID, key: String, in tx: any SQLConnection) async throws -> Bool {
        try await tx.execute("DELETE FROM email_templates WHERE workspace_id = ? AND template_key = ?", [.int(workspace.raw), .text(key)]).affectedRows == 1
    }
}
