import Foundation
import Ports

/// Every column that holds a value sealed with the master key. A context that stores a secret adds
/// its column here, so `opsiq-admin secrets rotate` re-encrypts it too.
public struct SealedColumn: Sendable {
    public let table: String
    public let key: String
    public let column: String
    public init(table: String, key: String, column: String) { self.table = table; self.key = key; self.column = column }

    public static let all: [SealedColumn] = [
        SealedColumn(table: "workspaces", key: "id", column: "site_secret_enc"),
        SealedColumn(table: "users", key: "id", column: "totp_secret_enc"),
        SealedColumn(table: "mailboxes", key: "id", column: "password_sealed"),
        SealedColumn(table: "automations", key: "id", column: "hook_secret_sealed"),
        SealedColumn(table: "platform_webhook_secrets", key: "id", column: "secret_sealed"),
    ]
}

/// Re-seals every stored secret under the current master key (after a key rotation, with the old key
/// in OPSIQ_MASTER_KEY_PREVIOUS). Idempotent: values already under the current key are left alone.
public struct SecretRotation: Sendable {
    public let db: any SQLDatabase
    public let secrets: any SecretBox
    public init(db: any SQLDatabase, secrets: any SecretBox) { self.db = db; self.secrets = secrets }

    public struct Report: Sendable, Equatable {
        public var resealed = 0
        public var alreadyCurrent = 0
        /// table.column#id of values no configured key opens.
        public var unreadable: [String] = []
    }

    public func rotate(columns: [SealedColumn] = SealedColumn.all) async throws -> Report {
        var report = Report()
        for c in columns {
            // Table and column names come from the fixed list above, never from input.
            let rows = try await db.read { try await $0.query("SELECT \(c.key) AS k, \(c.column) AS v FROM \(c.table) WHERE \(c.column) IS NOT NULL") }
            for r in rows {
                let id = try r.int("k")
                let value = try r.string("v")
                do {
                    if let fresh = try secrets.reseal(value) {
                        try await db.transaction { tx in
                            try await tx.execute("UPDATE \(c.table) SET \(c.column) = ? WHERE \(c.key) = ? AND \(c.column) = ?", [.text(fresh), .int(id), .text(value)])
                        }
                        report.resealed += 1
                    } else {
                        report.alreadyCurrent += 1
                    }
                } catch {
                    report.unreadable.append("\(c.table).\(c.column)#\(id)")
                }
            }
        }
        return report
    }
}
