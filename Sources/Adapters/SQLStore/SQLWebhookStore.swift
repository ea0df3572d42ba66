import Foundation
import Ports

/// Webhook endpoints, deliveries and attempts over either engine. Customer-data statements are
/// scoped by `workspace_id`; the dispatcher's cursor is a row of `sequences`.
public struct SQLWebhookStore: WebhookStore {
    public init() {}

    static let endpointColumns = """
        id, workspace_id, url, description, events, secret_sealed, previous_secret_sealed, previous_secret_expires_at, enabled,
        disabled_reason, disabled_at, consecutive_failures, after_seq, created_at, updated_at
        """
    static let deliveryColumns = """
        id, workspace_id, endpoint_id, event_seq, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error,
        event_created_at, created_at, delivered_at
        """

    static func encodeEvents(_ e: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(e)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func endpoint(_ r: SQLRow) throws -> WebhookEndpoint {
        let events = (try? JSONDecoder().decode([String].self, from: Data(try r.string("events").utf8))) ?? []
        return WebhookEndpoint(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), url: try r.string("url"),
                               description: try r.string("description"), events: events, secretSealed: try r.string("secret_sealed"),
                               previousSecretSealed: try r.optionalString("previous_secret_sealed"),
                               previousSecretExpiresAt: try r.optionalDate("previous_secret_expires_at"), enabled: try r.bool("enabled"),
                               disabledReason: try r.optionalString("disabled_reason"), disabledAt: try r.optionalDate("disabled_at"),
                               consecutiveFailures: Int(try r.int("consecutive_failures")), afterSequence: try r.int("after_seq"), createdAt: try r.date("created_at"),
                               updatedAt: try r.date("updated_at"))
    }

    static func delivery(_ r: SQLRow) throws -> WebhookDelivery {
        WebhookDelivery(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), endpointID: try r.int("endpoint_id"),
                        eventSequence: try r.int("event_seq"), eventID: try r.string("event_id"), eventType: try r.string("event_type"),
                        status: WebhookDeliveryStatus(rawValue: try r.string("status")) ?? .failed, attempts: Int(try r.int("attempts")),
                        nextAttemptAt: try r.date("next_attempt_at"), lastStatusCode: try r.optionalInt("last_status_code").map(Int.init),
                        lastError: try r.optionalString("last_error"), eventCreatedAt: try r.date("event_created_at"),
                        createdAt: try r.date("created_at"), deliveredAt: try r.optionalDate("delivered_at"))
    }

    public func insertEndpoint(_ e: WebhookEndpoint, in tx: any SQLConnection) async throws -> WebhookEndpoint {
        // The events counter as this transaction sees it: the endpoint hears what is published after.
        let after = try await tx.queryFirst("SELECT value FROM sequences WHERE name = 'events'").map { try $0.int("value") } ?? 0
        let id = try await tx.execute("""
            INSERT INTO webhook_endpoints (workspace_id, url, description, events, secret_sealed, previous_secret_sealed, previous_secret_expires_at,
              enabled, disabled_reason, disabled_at, consecutive_failures, after_seq, lease_holder, lease_until, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)
            """, [.int(e.workspaceID.raw), .text(e.url), .text(e.description), .text(Self.encodeEvents(e.events)), .text(e.secretSealed),
                  SQLValue(e.previousSecretSealed), SQLValue(e.previousSecretExpiresAt), SQLValue(e.enabled), SQLValue(e.disabledReason),
                  SQLValue(e.disabledAt), .int(Int64(e.consecutiveFailures)), .int(after), SQLValue(e.createdAt), SQLValue(e.updatedAt)]).lastInsertID
        var out = e
        out.id = id
        out.afterSequence = after
        return out
    }

    public func endpoint(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> WebhookEndpoint? {
        try await conn.queryFirst("SELECT \(Self.endpointColumns) FROM webhook_endpoints WHERE workspace_id = ? AND id = ?",
                                  [.int(workspace.raw), .int(id)]).map(Self.endpoint)
    }

    public func endpoints(_ workspace: WorkspaceID, in conn: any SQLConnection) async throws -> [WebhookEndpoint] {
        try await conn.query("SELECT \(Self.endpointColumns) FROM webhook_endpoints WHERE workspace_id = ? ORDER BY id", [.int(workspace.raw)]).map(Self.endpoint)
    }

    public func updateEndpoint(_ e: WebhookEndpoint, in tx: any SQLConnection) async throws {
        try await tx.execute("""
            UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, secret_sealed = ?, previous_secret_sealed = ?, previous_secret_expires_at = ?,
              enabled = ?, disabled_reason = ?, disabled_at = ?, consecutive_failures = ?, updated_at = ?
            WHERE workspace_id = ? AND id = ?
            """, [.text(e.url), .text(e.description), .text(Self.encodeEvents(e.events)), .text(e.secretSealed), SQLValue(e.previousSecretSealed),
                  SQLValue(e.previousSecretExpiresAt), SQLValue(e.enabled), SQLValue(e.disabledReason), SQLValue(e.disabledAt),
                  .int(Int64(e.consecutiveFailures)), SQLValue(e.updatedAt), .int(e.workspaceID.raw), .int(e.id)])
    }

    public func deleteEndpoint(_ workspace: WorkspaceID, id: Int64, in tx: any SQLConnection) async throws -> Bool {
        let n = try await tx.execute("DELETE FROM webhook_endpoints WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).affectedRows
        try await tx.execute("DELETE FROM webhook_attempts WHERE workspace_id = ? AND endpoint_id = ?", [.int(workspace.raw), .int(id)])
        try await tx.execute("DELETE FROM webhook_deliveries WHERE workspace_id = ? AND endpoint_id = ?", [.int(workspace.raw), .int(id)])
        return n > 0
    }

    public func lockCursor(in tx: any SQLConnection) async throws -> Int64 {
        let lock = tx.dialect == .mariadb ? " FOR UPDATE" : ""
        guard let row = try await tx.queryFirst("SELECT value FROM sequences WHERE name = 'webhook_dispatch'\(lock)") else {
            throw SQLError.engine(code: 0, message: "the webhook_dispatch cursor row is missing (migration 15)")
        }
        return try row.int("value")
    }

    public func setCursor(_ sequence: Int64, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE sequences SET value = ? WHERE name = 'webhook_dispatch'", [.int(sequence)])
    }

    public func endpointsAllWorkspaces(in conn: any SQLConnection) async throws -> [WebhookEndpoint] {
        try await conn.query("SELECT \(Self.endpointColumns) FROM webhook_endpoints ORDER BY id").map(Self.endpoint)
    }

    public func insertDeliveries(_ ds: [WebhookDelivery], in tx: any SQLConnection) async throws -> Int {
        guard !ds.isEmpty else { return 0 }
        let ignore = tx.dialect == .mariadb ? "INSERT IGNORE" : "INSERT OR IGNORE"
        var total = 0
        for chunk in stride(from: 0, to: ds.count, by: 200).map({ Array(ds[$0..<min($0 + 200, ds.count)]) }) {
            var binds: [SQLValue] = []
            for d in chunk {
                binds += [.int(d.workspaceID.raw), .int(d.endpointID), .int(d.eventSequence), .text(d.eventID), .text(d.eventType), .text(d.status.rawValue),
                          .int(Int64(d.attempts)), SQLValue(d.nextAttemptAt), SQLValue(d.eventCreatedAt), SQLValue(d.createdAt)]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, NULL)", count: chunk.count).joined(separator: ", ")
            total += try await tx.execute("""
                \(ignore) INTO webhook_deliveries (workspace_id, endpoint_id, event_seq, event_id, event_type, status, attempts, next_attempt_at,
                  last_status_code, last_error, event_created_at, created_at, delivered_at) VALUES \(values)
                """, binds).affectedRows
        }
        return total
    }

    public func dueEndpointsAllWorkspaces(now: Date, limit: Int, in conn: any SQLConnection) async throws -> [(WorkspaceID, Int64)] {
        try await conn.query("""
            SELECT DISTINCT d.workspace_id AS w, d.endpoint_id AS e FROM webhook_deliveries d
            JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.workspace_id = d.workspace_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND e.enabled = 1 AND (e.lease_until IS NULL OR e.lease_until < ?)
            LIMIT ?
            """, [SQLValue(now), SQLValue(now), .int(Int64(max(1, limit)))]).map { (WorkspaceID(try $0.int("w")), try $0.int("e")) }
    }

    public func leaseEndpoint(_ workspace: WorkspaceID, id: Int64, holder: String, now: Date, until: Date, in tx: any SQLConnection) async throws -> Bool {
        try await tx.execute("""
            UPDATE webhook_endpoints SET lease_holder = ?, lease_until = ?
            WHERE workspace_id = ? AND id = ? AND (lease_until IS NULL OR lease_until < ? OR lease_holder = ?)
            """, [.text(holder), SQLValue(until), .int(workspace.raw), .int(id), SQLValue(now), .text(holder)]).affectedRows > 0
    }

    public func releaseEndpoint(_ workspace: WorkspaceID, id: Int64, holder: String, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE webhook_endpoints SET lease_holder = NULL, lease_until = NULL WHERE workspace_id = ? AND id = ? AND lease_holder = ?",
                             [.int(workspace.raw), .int(id), .text(holder)])
    }

    public func pendingDeliveries(_ workspace: WorkspaceID, endpoint: Int64, limit: Int, in conn: any SQLConnection) async throws -> [WebhookDelivery] {
        try await conn.query("""
            SELECT \(Self.deliveryColumns) FROM webhook_deliveries WHERE workspace_id = ? AND endpoint_id = ? AND status = 'pending'
            ORDER BY event_seq LIMIT ?
            """, [.int(workspace.raw), .int(endpoint), .int(Int64(max(1, min(limit, 1000))))]).map(Self.delivery)
    }

    public func updateDelivery(_ d: WebhookDelivery, in tx: any SQLConnection) async throws {
        try await tx.execute("""
            UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ?
            WHERE workspace_id = ? AND id = ?
            """, [.text(d.status.rawValue), .int(Int64(d.attempts)), SQLValue(d.nextAttemptAt), SQLValue(d.lastStatusCode.map(Int64.init)),
                  SQLValue(d.lastError), SQLValue(d.deliveredAt), .int(d.workspaceID.raw), .int(d.id)])
    }

    public func delivery(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> WebhookDelivery? {
        try await conn.queryFirst("SELECT \(Self.deliveryColumns) FROM webhook_deliveries WHERE workspace_id = ? AND id = ?",
                                  [.int(workspace.raw), .int(id)]).map(Self.delivery)
    }

    public func deliveries(_ workspace: WorkspaceID, endpoint: Int64, status: WebhookDeliveryStatus?, limit: Int, in conn: any SQLConnection) async throws -> [WebhookDelivery] {
        var sql = "SELECT \(Self.deliveryColumns) FROM webhook_deliveries WHERE workspace_id = ? AND endpoint_id = ?"
        var binds: [SQLValue] = [.int(workspace.raw), .int(endpoint)]
        if let status { sql += " AND status = ?"; binds.append(.text(status.rawValue)) }
        sql += " ORDER BY event_seq DESC LIMIT ?"
        binds.append(.int(Int64(max(1, min(limit, 10_000)))))
        return try await conn.query(sql, binds).map(Self.delivery)
    }

    public func insertAttempts(_ workspace: WorkspaceID, _ all: [WebhookAttempt], in tx: any SQLConnection) async throws {
        for chunk in stride(from: 0, to: all.count, by: 50).map({ Array(all[$0..<min($0 + 50, all.count)]) }) {
            var binds: [SQLValue] = []
            for a in chunk {
                binds += [.int(workspace.raw), .int(a.deliveryID), .int(a.endpointID), .int(Int64(a.attempt)), SQLValue(a.at), .text(a.requestHeaders),
                          .text(a.requestBody), SQLValue(a.statusCode.map(Int64.init)), .text(a.responseExcerpt), SQLValue(a.error), .int(Int64(a.durationMillis))]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            try await tx.execute("""
                INSERT INTO webhook_attempts (workspace_id, delivery_id, endpoint_id, attempt, at, request_headers, request_body, status_code, response_excerpt, error, duration_ms)
                VALUES \(values)
                """, binds)
        }
    }

    public func attempts(_ workspace: WorkspaceID, delivery: Int64, in conn: any SQLConnection) async throws -> [WebhookAttempt] {
        try await conn.query("""
            SELECT id, delivery_id, endpoint_id, attempt, at, request_headers, request_body, status_code, response_excerpt, error, duration_ms
            FROM webhook_attempts WHERE workspace_id = ? AND delivery_id = ? ORDER BY id DESC
            """, [.int(workspace.raw), .int(delivery)]).map { r in
            WebhookAttempt(id: try r.int("id"), deliveryID: try r.int("delivery_id"), endpointID: try r.int("endpoint_id"), attempt: Int(try r.int("attempt")),
                           at: try r.date("at"), requestHeaders: try r.string("request_headers"), requestBody: try r.string("request_body"),
                           statusCode: try r.optionalInt("status_code").map(Int.init), responseExcerpt: try r.string("response_excerpt"),
                           error: try r.optionalString("error"), durationMillis: Int(try r.int("duration_ms")))
        }
    }

    public func replay(_ workspace: WorkspaceID, endpoint: Int64, since: Date, now: Date, in tx: any SQLConnection) async throws -> Int {
        try await tx.execute("""
            UPDATE webhook_deliveries SET status = 'failed', last_error = 'skipped: older than the replay point chosen when the endpoint was re-enabled'
            WHERE workspace_id = ? AND endpoint_id = ? AND status = 'pending' AND event_created_at < ?
            """, [.int(workspace.raw), .int(endpoint), SQLValue(since)])
        return try await tx.execute("""
            UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?
            WHERE workspace_id = ? AND endpoint_id = ? AND status IN ('pending', 'failed') AND event_created_at >= ?
            """, [SQLValue(now), .int(workspace.raw), .int(endpoint), SQLValue(since)]).affectedRows
    }

    public func pruneLog(before: Date, limit: Int, in tx: any SQLConnection) async throws -> Int {
        // Pages through the oldest rows by primary key (ids grow with creation time) and stops at the
        // first row that is new enough, so a pass never scans the whole table.
        var ids: [Int64] = []
        var after: Int64 = 0
        page: while ids.count < limit {
            let rows = try await tx.query("SELECT id, status, created_at FROM webhook_deliveries WHERE id > ? ORDER BY id LIMIT 500", [.int(after)])
            for r in rows {
                after = try r.int("id")
                if try r.date("created_at") >= before { break page }
                if try r.string("status") != WebhookDeliveryStatus.pending.rawValue { ids.append(after) }
                if ids.count >= limit { break page }
            }
            if rows.count < 500 { break }
        }
        guard !ids.isEmpty else { return 0 }
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            try await tx.execute("DELETE FROM webhook_attempts WHERE delivery_id IN (\(marks))", chunk.map { .int($0) })
            try await tx.execute("DELETE FROM webhook_deliveries WHERE id IN (\(marks))", chunk.map { .int($0) })
        }
        return ids.count
    }
}
