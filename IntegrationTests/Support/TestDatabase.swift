import Adapters
import Composition
import Foundation
import Logging
import Ports
import Testing

/// The engines the storage contract runs on. MariaDB joins when `OPSIQ_TEST_MARIADB_URL` is set
/// (`make test` starts a private server and sets it).
enum Engine: String, CustomStringConvertible, Sendable, CaseIterable {
    case sqlite, mariadb
    var description: String { rawValue }

    static var mariadbURL: String? {
        let v = ProcessInfo.processInfo.environment["OPSIQ_TEST_MARIADB_URL"]
        return (v?.isEmpty ?? true) ? nil : v
    }

    /// SQLite always; MariaDB when configured.
    static var all: [Engine] { mariadbURL == nil ? [.sqlite] : [.sqlite, .mariadb] }
    static var mariadbOnly: [Engine] { mariadbURL == nil ? [] : [.mariadb] }
}

/// A fresh, migrated, private database for one test: a temp file on SQLite, a new database on MariaDB.
struct TestDatabase: Sendable {
    let engine: Engine
    let db: any SQLDatabase
    /// For MariaDB, the config of the private database (fault tests route it through a proxy).
    let mariaConfig: MariaDBConfig?
    let cleanup: @Sendable () async -> Void

    static let logger: Logger = {
        var l = Logger(label: "test")
        l.logLevel = .critical
        return l
    }()

    static func make(_ engine: Engine, migrate: Bool = true, poolSize: Int = 12) async throws -> TestDatabase {
        switch engine {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let db = try SQLiteDatabase(config: SQLiteConfig(path: dir.appendingPathComponent("t.sqlite").path), logger: logger)
            if migrate { try await MigrationRunner(db: db).migrate() }
            return TestDatabase(engine: engine, db: db, mariaConfig: nil) {
                await db.shutdown()
                try? FileManager.default.removeItem(at: dir)
            }
        case .mariadb:
            guard let url = Engine.mariadbURL else { throw SQLError.configuration("OPSIQ_TEST_MARIADB_URL is not set") }
            var admin = try MariaDBConfig.parse(url: url)
            admin.poolSize = 1
            let adminDB = MariaDBDatabase(config: admin, logger: logger)
            let name = "opsiq_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            try await adminDB.write { try await $0.execute("CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci") }
            var cfg = admin
            cfg.database = name
            cfg.poolSize = poolSize
            let db = MariaDBDatabase(config: cfg, logger: logger)
            if migrate { try await MigrationRunner(db: db).migrate() }
            return TestDatabase(engine: engine, db: db, mariaConfig: cfg) {
                await db.shutdown()
                _ = try? await adminDB.write { try await $0.execute("DROP DATABASE IF EXISTS \(name)") }
                await adminDB.shutdown()
            }
        }
    }

    /// Runs `body` with a fresh database and always cleans up.
    static func with<T>(_ engine: Engine, migrate: Bool = true, poolSize: Int = 12, _ body: (TestDatabase) async throws -> T) async throws -> T {
        let t = try await make(engine, migrate: migrate, poolSize: poolSize)
        do {
            let r = try await body(t)
            await t.cleanup()
            return r
        } catch {
            await t.cleanup()
            throw error
        }
    }
}

/// Services over a test database, with a manual clock and seeded randomness.
func makeServices(_ t: TestDatabase, clock: any TimeSource = ManualClock(), random: any RandomSource = SeededRandom(),
                  env: [String: String] = [:], spool: (any DurableSpool)? = nil) throws -> Services {
    var values = ["OPSIQ_DATA_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-data-\(UUID().uuidString)").path,
                  "OPSIQ_MASTER_KEY": String(repeating: "ab", count: 32)]
    for (k, v) in env { values[k] = v }
    let config = try AppConfig.load(environment: values)
    let key = MasterKey.decode(values["OPSIQ_MASTER_KEY"]!)!
    return Services(config: config, logger: TestDatabase.logger, db: t.db, clock: clock, random: random,
                    secrets: try AESGCMSecretBox(masterKey: key), setupToken: deriveSetupToken(masterKey: key), spool: spool)
}

@Suite struct MariaDBLegTests {
    /// In CI the MariaDB leg is mandatory: a missing server fails the run instead of skipping silently.
    @Test func mariadbLegIsPresentInCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(Engine.mariadbURL != nil, "CI=true but OPSIQ_TEST_MARIADB_URL is not set: the MariaDB leg did not start")
        }
    }
}
