import Crypto
import Foundation
import Ports

/// Why the schema cannot be used as it is.
public enum MigrationError: Error, Sendable, CustomStringConvertible {
    /// An applied migration's text differs from the one this build carries: someone edited a shipped migration.
    case changed(version: Int, name: String, recorded: String, current: String)
    /// The database has a migration this build does not know: it was migrated by a newer OpsIQ.
    case unknownApplied(version: Int, name: String)
    /// A statement failed while applying.
    case failed(version: Int, name: String, statement: Int, underlying: String)
    /// Another migrator held the migration lock for longer than we wait (MariaDB).
    case lockUnavailable(seconds: Int)

    public var description: String {
        switch self {
        case .changed(let v, let n, let r, let c):
            return "migration \(v) (\(n)) was changed after it was applied (recorded checksum \(r.prefix(12))…, this build \(c.prefix(12))…); restore the original migration file, never edit a shipped one"
        case .unknownApplied(let v, let n):
            return "the database has migration \(v) (\(n)) which this build does not know: it was migrated by a newer OpsIQ; run that version or restore a backup"
        case .failed(let v, let n, let s, let u):
            return "migration \(v) (\(n)) failed at statement \(s): \(u)"
        case .lockUnavailable(let s):
            return "another `opsiq-admin migrate` (or opsiq-web start-up) held the migration lock for more than \(s) s; wait for it to finish, then run the migration again"
        }
    }
}

public struct MigrationState: Sendable, Equatable {
    public enum Kind: String, Sendable { case applied, pending, changed, unknown }
    public var version: Int
    public var name: String
    public var kind: Kind
    public var appliedAt: Date?
}

/// Applies numbered migrations in order and records each with its checksum in `schema_migrations`.
public struct MigrationRunner: Sendable {
    public let db: any SQLDatabase
    public let migrations: [Migration]

    public init(db: any SQLDatabase, migrations: [Migration] = allMigrations) {
        self.db = db
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public func checksum(_ m: Migration) -> String {
        let text = m.statements(DDL(db.dialect)).joined(separator: "\n;\n")
        return Array(SHA256.hash(data: Data(text.utf8))).hexString
    }

    private func ensureTable() async throws {
        let d = DDL(db.dialect)
        try await db.write { conn in
            try await conn.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  version INTEGER NOT NULL PRIMARY KEY,
                  name \(d.varchar(190)) NOT NULL,
                  checksum \(d.token(64)) NOT NULL,
                  applied_at BIGINT NOT NULL
                )\(d.tableOptions)
                """)
        }
    }

    private func recorded() async throws -> [(version: Int, name: String, checksum: String, appliedAt: Date)] {
        try await db.read { conn in
            try await conn.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version").map {
                (Int(try $0.int("version")), try $0.string("name"), try $0.string("checksum"), try $0.date("applied_at"))
            }
        }
    }

    /// The state of every known and recorded migration, without changing anything.
    public func status() async throws -> [MigrationState] {
        try await ensureTable()
        let rec = try await recorded()
        let byVersion = Dictionary(rec.map { ($0.version, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [MigrationState] = []
        for m in migrations {
            if let r = byVersion[m.version] {
                out.append(MigrationState(version: m.version, name: m.name, kind: r.checksum == checksum(m) ? .applied : .changed, appliedAt: r.appliedAt))
            } else {
                out.append(MigrationState(version: m.version, name: m.name, kind: .pending, appliedAt: nil))
            }
        }
        let known = Set(migrations.map(\.version))
        for r in rec where !known.contains(r.version) {
            out.append(MigrationState(version: r.version, name: r.name, kind: .unknown, appliedAt: r.appliedAt))
        }
        return out
    }

    /// Throws when an applied migration changed or is unknown; returns the number still pending.
    public func verify() async throws -> Int {
        try await ensureTable()
        let rec = try await recorded()
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for r in rec {
            guard let m = byVersion[r.version] else { throw MigrationError.unknownApplied(version: r.version, name: r.name) }
            let c = checksum(m)
            if c != r.checksum { throw MigrationError.changed(version: r.version, name: r.name, recorded: r.checksum, current: c) }
        }
        let applied = Set(rec.map(\.version))
        return migrations.filter { !applied.contains($0.version) }.count
    }

    /// How long a migrator waits for another one holding the MariaDB migration lock (default 900 s).
    public var lockPatienceSeconds = 900

    /// Applies every pending migration in order; returns the versions applied. Safe to run concurrently
    /// from several processes (MariaDB: a named lock; SQLite: the write lock) and idempotent.
    @discardableResult
    public func migrate(now: @Sendable () -> Date = { Date() }) async throws -> [Int] {
        try await ensureTable()
        switch db.dialect {
        case .mariadb:
            return try await db.write { conn in
                // The lock is per database (lock names are server-wide: two installs, or parallel test databases, on one
                // server must not queue behind each other). GET_LOCK answers 1 when we hold it, 0 when the wait timed
                // out (another migrator is still applying: DDL on a busy server can take minutes), NULL on an error.
                // Never go on without it.
                let patience = lockPatienceSeconds
                let start = Date()
                while true {
                    let got = try await conn.queryFirst("SELECT GET_LOCK(CONCAT('opsiq_migrate.', DATABASE()), ?) AS got", [.int(Int64(min(30, max(1, patience))))]).flatMap { try $0.optionalInt("got") }
                    if got == 1 { break }
                    if Date().timeIntervalSince(start) >= Double(patience) { throw MigrationError.lockUnavailable(seconds: patience) }
                }
                do {
                    let applied = try await applyPending(on: conn, transactional: false, now: now)
                    _ = try await conn.query("SELECT RELEASE_LOCK(CONCAT('opsiq_migrate.', DATABASE())) AS released")
                    return applied
                } catch {
                    _ = try? await conn.query("SELECT RELEASE_LOCK(CONCAT('opsiq_migrate.', DATABASE())) AS released")
                    throw error
                }
            }
        case .sqlite:
            // SQLite DDL is transactional: each migration commits whole or not at all.
            return try await db.transaction { conn in
                try await applyPending(on: conn, transactional: true, now: now)
            }
        }
    }

    private func applyPending(on conn: any SQLConnection, transactional: Bool, now: @Sendable () -> Date) async throws -> [Int] {
        // Re-read inside the lock: another process may have migrated meanwhile.
        let rows = try await conn.query("SELECT version, name, checksum FROM schema_migrations")
        var recorded: [Int: String] = [:]
        for r in rows { recorded[Int(try r.int("version"))] = try r.string("checksum") }
        let known = Set(migrations.map(\.version))
        for (v, _) in recorded where !known.contains(v) {
            let name = try rows.first { try $0.int("version") == Int64(v) }?.string("name") ?? "?"
            throw MigrationError.unknownApplied(version: v, name: name)
        }
        var applied: [Int] = []
        for m in migrations {
            let sum = checksum(m)
            if let r = recorded[m.version] {
                if r != sum { throw MigrationError.changed(version: m.version, name: m.name, recorded: r, current: sum) }
                continue
            }
            for (i, stmt) in m.statements(DDL(db.dialect)).enumerated() {
                do {
                    try await conn.execute(stmt)
                } catch {
                    throw MigrationError.failed(version: m.version, name: m.name, statement: i + 1, underlying: String(describing: error))
                }
            }
            try await conn.execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                                   [.int(Int64(m.version)), .text(m.name), .text(sum), .int(now().epochMillis)])
            applied.append(m.version)
        }
        return applied
    }
}
