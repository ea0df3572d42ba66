import Foundation
import Ports

/// Portal access keys and the customer's ticket list over either engine. Every statement is scoped by
/// `workspace_id`, and the last-author lookup reads public messages only (`internal = 0`).
public struct SQLTicketPortalStore: TicketPortalStore {
    public init() {}

    public func insertKey(_ workspace: WorkspaceID, ticketID: Int64, keyHash: String, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("INSERT INTO ticket_portal_keys (workspace_id, ticket_id, key_hash, created_at) VALUES (?, ?, ?, ?)",
                             [.int(workspace.raw), .int(ticketID), .text(keyHash), .int(now.epochMillis)])
    }

    public func keyHashes(_ workspace: WorkspaceID, ticketID: Int64, in conn: any SQLConnection) async throws -> [String] {
        try await conn.query("SELECT key_hash FROM ticket_portal_keys WHERE workspace_id = ? AND ticket_id = ? ORDER BY id",
                             [.int(workspace.raw), .int(ticketID)]).map { try $0.string("key_hash") }
    }

    /// `!` escapes LIKE wildcards the same way on both engines.
    static func likePattern(_ s: String) -> String {
        var out = ""
        for c in s.lowercased() {
            if c == "!" || c == "%" || c == "_" { out.append("!") }
            out.append(c)
        }
        return "%" + out + "%"
    }

    public func list(_ workspace: WorkspaceID, _ q: PortalTicketQuery, in conn: any SQLConnection) async throws -> [PortalTicketRow] {
        var sql = "SELECT \(SQLTicketStore.columns) FROM tickets WHERE workspace_id = ? AND merged_into IS NULL"
        var binds: [SQLValue] = [.int(workspace.raw)]
        switch q.owner {
        case .email(let e):
            sql += " AND customer_email = ?"
            binds.append(.text(e.lowercased()))
        case .tickets(let ids):
            if ids.isEmpty { return [] }
            sql += " AND id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))"
            binds += ids.map { .int($0) }
        }
        if !q.statuses.isEmpty {
            sql += " AND status IN (\(Array(repeating: "?", count: q.statuses.count).joined(separator: ", ")))"
            binds += q.statuses.map { .text($0.rawValue) }
        }
        let search = q.search.trimmingCharacters(in: .whitespaces)
        if !search.isEmpty {
            let digits = search.uppercased().hasPrefix("T-") ? String(search.dropFirst(2)) : search
            if let n = Int64(digits) {
                sql += " AND (number = ? OR LOWER(subject) LIKE ? ESCAPE '!')"
                binds += [.int(n), .text(Self.likePattern(search))]
            } else {
                sql += " AND LOWER(subject) LIKE ? ESCAPE '!'"
                binds.append(.text(Self.likePattern(search)))
            }
        }
        sql += " ORDER BY updated_at DESC, id DESC LIMIT ?"
        binds.append(.int(Int64(max(1, min(q.limit, 200)))))
        let tickets = try await conn.query(sql, binds).map(SQLTicketStore.decode)
        if tickets.isEmpty { return [] }
        // The author of each ticket's newest public message (internal notes are never read here).
        let ids = tickets.map(\.id)
        let rows = try await conn.query("""
            SELECT m.ticket_id, m.author_kind FROM ticket_messages m
            WHERE m.workspace_id = ? AND m.internal = 0 AND m.ticket_id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))
              AND m.id = (SELECT MAX(m2.id) FROM ticket_messages m2
                          WHERE m2.workspace_id = m.workspace_id AND m2.ticket_id = m.ticket_id AND m2.internal = 0
                            AND m2.created_at = (SELECT MAX(m3.created_at) FROM ticket_messages m3
                                                 WHERE m3.workspace_id = m.workspace_id AND m3.ticket_id = m.ticket_id AND m3.internal = 0))
            """, [.int(workspace.raw)] + ids.map { .int($0) })
        var last: [Int64: TicketAuthorKind] = [:]
        for r in rows { last[try r.int("ticket_id")] = TicketAuthorKind(rawValue: try r.string("author_kind")) }
        return tickets.map { PortalTicketRow(ticket: $0, lastPublicAuthor: last[$0.id]) }
    }
}
