import Foundation
import Ports

/// Automations, their runs and the outbox cursors over either engine. Customer rows are always read
/// and written with `workspace_id` first.
public struct SQLAutomationStore: AutomationStore {
    public init() {}

    static let columns = """
        id, workspace_id, name, trigger_kind, trigger_config, hook_token, hook_secret_sealed, condition_text, steps, enabled, created_by, created_at, updated_at
        """
    static let runColumns = """
        id, workspace_id, automation_id, trigger_kind, dedupe_key, status, input, steps_log, error, dry_run, created_at, started_at, finished_at, duration_ms
        """

    static func decode(_ r: SQLRow) throws -> AutomationRecord {
        AutomationRecord(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), name: try r.string("name"),
                         triggerKind: AutomationTriggerKind(rawValue: try r.string("trigger_kind")) ?? .manual, trigger: try r.string("trigger_config"),
                         hookToken: try r.string("hook_token"), hookSecretSealed: try r.optionalString("hook_secret_sealed"),
                         condition: try r.string("condition_text"), steps: try r.string("steps"), enabled: try r.bool("enabled"),
                         createdBy: try r.optionalInt("created_by").map(UserID.init), createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"))
    }

    static func decodeRun(_ r: SQLRow) throws -> AutomationRunRecord {
        AutomationRunRecord(id: try r.int("id"), workspaceID: WorkspaceID(try r.int("workspace_id")), automationID: try r.int("automation_id"),
                            triggerKind: AutomationTriggerKind(rawValue: try r.string("trigger_kind")) ?? .manual, dedupeKey: try r.optionalString("dedupe_key"),
                            status: AutomationRunStatus(rawValue: try r.string("status")) ?? .failed, input: try r.string("input"),
                            stepsLog: try r.string("steps_log"), error: try r.optionalString("error"), dryRun: try r.bool("dry_run"),
                            createdAt: try r.date("created_at"), startedAt: try r.optionalDate("started_at"), finishedAt: try r.optionalDate("finished_at"),
                            durationMs: try r.optionalInt("duration_ms"))
    }

    public func insert(_ workspace: WorkspaceID, _ a: AutomationRecord, in tx: any SQLConnection) async throws -> Int64 {
        try await tx.execute("""
            INSERT INTO automations (workspace_id, name, trigger_kind, trigger_config, hook_token, hook_secret_sealed, condition_text, steps, enabled, created_by,
              created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(workspace.raw), .text(a.name), .text(a.triggerKind.rawValue), .text(a.trigger), .text(a.hookToken), SQLValue(a.hookSecretSealed),
                  .text(a.condition), .text(a.steps), SQLValue(a.enabled), SQLValue(a.createdBy?.raw), .int(a.createdAt.epochMillis), .int(a.updatedAt.epochMillis)]).lastInsertID
    }

    public func update(_ workspace: WorkspaceID, _ a: AutomationRecord, in tx: any SQLConnection) async throws -> Bool {
        try await tx.execute("""
            UPDATE automations SET name = ?, trigger_kind = ?, trigger_config = ?, hook_secret_sealed = ?, condition_text = ?, steps = ?, enabled = ?, updated_at = ?
            WHERE workspace_id = ? AND id = ?
            """, [.text(a.name), .text(a.triggerKind.rawValue), .text(a.trigger), SQLValue(a.hookSecretSealed), .text(a.condition), .text(a.steps),
                  SQLValue(a.enabled), .int(a.updatedAt.epochMillis), .int(workspace.raw), .int(a.id)]).affectedRows >= 1
    }

    public func delete(_ workspace: WorkspaceID, id: Int64, in tx: any SQLConnection) async throws -> Bool {
        try await tx.execute("DELETE FROM automation_runs WHERE workspace_id = ? AND automation_id = ?", [.int(workspace.raw), .int(id)])
        return try await tx.execute("DELETE FROM automations WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).affectedRows == 1
    }

    public func find(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> AutomationRecord? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM automations WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).map(Self.decode)
    }

    public func list(_ workspace: WorkspaceID, in conn: any SQLConnection) async throws -> [AutomationRecord] {
        try await conn.query("SELECT \(Self.columns) FROM automations WHERE workspace_id = ? ORDER BY name, id", [.int(workspace.raw)]).map(Self.decode)
    }

    public func findByHookToken(_ token: String, in conn: any SQLConnection) async throws -> AutomationRecord? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM automations WHERE hook_token = ?", [.text(token)]).map(Self.decode)
    }

    public func enabled(kind: AutomationTriggerKind, in conn: any SQLConnection) async throws -> [AutomationRecord] {
        try await conn.query("SELECT \(Self.columns) FROM automations WHERE trigger_kind = ? AND enabled = 1 ORDER BY workspace_id, id", [.text(kind.rawValue)]).map(Self.decode)
    }

    public func insertRun(_ workspace: WorkspaceID, _ r: AutomationRunRecord, in tx: any SQLConnection) async throws -> Int64? {
        let ignore = tx.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
        let res = try await tx.execute("""
            \(ignore) automation_runs (workspace_id, automation_id, trigger_kind, dedupe_key, status, input, steps_log, error, dry_run, created_at, started_at,
              finished_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(workspace.raw), .int(r.automationID), .text(r.triggerKind.rawValue), SQLValue(r.dedupeKey), .text(r.status.rawValue), .text(r.input),
                  .text(r.stepsLog), SQLValue(r.error), SQLValue(r.dryRun), .int(r.createdAt.epochMillis), SQLValue(r.startedAt), SQLValue(r.finishedAt),
                  SQLValue(r.durationMs)])
        return res.affectedRows == 1 ? res.lastInsertID : nil
    }

    public func findRun(_ workspace: WorkspaceID, id: Int64, in conn: any SQLConnection) async throws -> AutomationRunRecord? {
        try await conn.queryFirst("SELECT \(Self.runColumns) FROM automation_runs WHERE workspace_id = ? AND id = ?", [.int(workspace.raw), .int(id)]).map(Self.decodeRun)
    }

    public func updateRun(_ workspace: WorkspaceID, _ r: AutomationRunRecord, in tx: any SQLConnection) async throws {
        try await tx.execute("""
            UPDATE automation_runs SET status = ?, input = ?, steps_log = ?, error = ?, started_at = ?, finished_at = ?, duration_ms = ?
            WHERE workspace_id = ? AND id = ?
            """, [.text(r.status.rawValue), .text(r.input), .text(r.stepsLog), SQLValue(r.error), SQLValue(r.startedAt), SQLValue(r.finishedAt),
                  SQLValue(r.durationMs), .int(workspace.raw), .int(r.id)])
    }

    public func runs(_ workspace: WorkspaceID, automationID: Int64, limit: Int, in conn: any SQLConnection) async throws -> [AutomationRunRecord] {
        try await conn.query("SELECT \(Self.runColumns) FROM automation_runs WHERE workspace_id = ? AND automation_id = ? ORDER BY id DESC LIMIT ?",
                             [.int(workspace.raw), .int(automationID), .int(Int64(limit))]).map(Self.decodeRun)
    }

    public func cursor(_ name: String, in conn: any SQLConnection) async throws -> Int64 {
        try await conn.queryFirst("SELECT last_sequence FROM outbox_cursors WHERE name = ?", [.text(name)])?.int("last_sequence") ?? 0
    }

    public func setCursor(_ name: String, to sequence: Int64, in tx: any SQLConnection) async throws {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        if tx.dialect == .mariadb {
            try await tx.execute("INSERT INTO outbox_cursors (name, last_sequence, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE last_sequence = VALUES(last_sequence), updated_at = VALUES(updated_at)",
                                 [.text(name), .int(sequence), .int(now)])
        } else {
            try await tx.execute("INSERT INTO outbox_cursors (name, last_sequence, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET last_sequence = excluded.last_sequence, updated_at = excluded.updated_at",
                                 [.text(name), .int(sequence), .int(now)])
        }
    }

    static let emptiedInput = "{}"
    static let emptiedSteps = "[]"

    public func pruneRuns(before: Date, limit: Int, in tx: any SQLConnection) async throws -> Int {
        let finished: Set<String> = [AutomationRunStatus.succeeded.rawValue, AutomationRunStatus.failed.rawValue, AutomationRunStatus.skipped.rawValue]
        var delete: [Int64] = []
        var empty: [Int64] = []
        var after: Int64 = 0
        // Oldest first by primary key, stopping at the first run that is new enough (no full scan).
        page: while delete.count + empty.count < limit {
            let rows = try await tx.query("SELECT id, status, dedupe_key, input, steps_log, created_at FROM automation_runs WHERE id > ? ORDER BY id LIMIT 500",
                                          [.int(after)])
            for r in rows {
                after = try r.int("id")
                if try r.date("created_at") >= before { break page }
                guard finished.contains(try r.string("status")) else { continue }
                if (try r.optionalString("dedupe_key"))?.hasPrefix("ticket:") == true {
                    if try r.string("input") != Self.emptiedInput || r.string("steps_log") != Self.emptiedSteps { empty.append(after) }
                } else {
                    delete.append(after)
                }
                if delete.count + empty.count >= limit { break page }
            }
            if rows.count < 500 { break }
        }
        for chunk in stride(from: 0, to: delete.count, by: 500).map({ Array(delete[$0..<min($0 + 500, delete.count)]) }) {
            try await tx.execute("DELETE FROM automation_runs WHERE id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))",
                                 chunk.map { .int($0) })
        }
        for chunk in stride(from: 0, to: empty.count, by: 500).map({ Array(empty[$0..<min($0 + 500, empty.count)]) }) {
            try await tx.execute("UPDATE automation_runs SET input = ?, steps_log = ? WHERE id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))",
                                 [.text(Self.emptiedInput), .text(Self.emptiedSteps)] + chunk.map { .int($0) })
        }
        return delete.count + empty.count
    }
}

/// Inbound platform webhook secrets and received event ids over either engine.
public struct SQLPlatformWebhookStore: PlatformWebhookStore {
    public init() {}

    static func decode(_ r: SQLRow) throws -> PlatformWebhookSecret {
        PlatformWebhookSecret(workspaceID: WorkspaceID(try r.int("workspace_id")), slug: try r.string("slug"), secretSealed: try r.string("secret_sealed"),
                              updatedAt: try r.date("updated_at"))
    }

    public func setSecret(_ workspace: WorkspaceID, slug: String, sealed: String?, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("DELETE FROM platform_webhook_secrets WHERE workspace_id = ? AND slug = ?", [.int(workspace.raw), .text(slug)])
        if let sealed {
            try await tx.execute("INSERT INTO platform_webhook_secrets (workspace_id, slug, secret_sealed, updated_at) VALUES (?, ?, ?, ?)",
                                 [.int(workspace.raw), .text(slug), .text(sealed), .int(now.epochMillis)])
        }
    }

    public func secret(_ workspace: WorkspaceID, slug: String, in conn: any SQLConnection) async throws -> PlatformWebhookSecret? {
        try await conn.queryFirst("SELECT workspace_id, slug, secret_sealed, updated_at FROM platform_webhook_secrets WHERE workspace_id = ? AND slug = ?",
                                  [.int(workspace.raw), .text(slug)]).map(Self.decode)
    }

    public func secrets(slug: String, in conn: any SQLConnection) async throws -> [PlatformWebhookSecret] {
        try await conn.query("SELECT workspace_id, slug, secret_sealed, updated_at FROM platform_webhook_secrets WHERE slug = ? ORDER BY workspace_id",
                             [.text(slug)]).map(Self.decode)
    }

    public func markReceived(_ workspace: WorkspaceID, slug: String, externalID: String, type: String, now: Date, in tx: any SQLConnection) async throws -> Bool {
        let ignore = tx.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
        return try await tx.execute("\(ignore) platform_webhook_events (workspace_id, slug, external_id, event_type, received_at) VALUES (?, ?, ?, ?, ?)",
                                    [.int(workspace.raw), .text(slug), .text(externalID), .text(type), .int(now.epochMillis)]).affectedRows == 1
    }
}
