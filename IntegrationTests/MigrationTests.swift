import Adapters
import Foundation
import Ports
import Testing

@Suite struct MigrationTests {
    @Test(arguments: Engine.all)
    func appliesInOrderAndIsIdempotent(_ engine: Engine) async throws {
        try await TestDatabase.with(engine, migrate: false) { t in
            let runner = MigrationRunner(db: t.db)
            #expect(try await runner.verify() == allMigrations.count)
            let first = try await runner.migrate()
            #expect(first == allMigrations.map(\.version))
            let second = try await runner.migrate()
            #expect(second.isEmpty)
            #expect(try await runner.verify() == 0)
            let states = try await runner.status()
            #expect(states.allSatisfy { $0.kind == .applied })
            // The schema is really there.
            let n = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM jobs")?.int("n") }
            #expect(n == 0)
        }
    }

    @Test(arguments: Engine.all)
    func concurrentMigratorsApplyOnce(_ engine: Engine) async throws {
        try await TestDatabase.with(engine, migrate: false) { t in
            let runner = MigrationRunner(db: t.db)
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await runner.migrate() } }
                var all: [[Int]] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.flatMap { $0 }.sorted() == allMigrations.map(\.version))
        }
    }

    /// A migrator never goes on without the MariaDB migration lock (one per database): while another connection
    /// holds it, it waits, and past its patience it stops with an error that says so (nothing applied); once the
    /// lock is free it migrates. Other test databases migrating on the same server meanwhile do not interfere.
    @Test func aMigratorWaitsForTheLockAndNeverAppliesWithoutIt() async throws {
        guard Engine.all.contains(.mariadb) else { return }
        try await TestDatabase.with(.mariadb, migrate: false) { t in
            let holder = t.db
            var runner = MigrationRunner(db: t.db)
            runner.lockPatienceSeconds = 2
            try await holder.write { conn in
                #expect(try await conn.queryFirst("SELECT GET_LOCK(CONCAT('opsiq_migrate.', DATABASE()), 5) AS got")?.optionalInt("got") == 1)
                await #expect(throws: MigrationError.self) { try await runner.migrate() }
                let tables = try await conn.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'workspaces'")
                #expect(tables.isEmpty, "nothing applied without the lock")
                #expect(try await conn.queryFirst("SELECT RELEASE_LOCK(CONCAT('opsiq_migrate.', DATABASE())) AS released")?.optionalInt("released") == 1)
            }
            #expect(try await runner.migrate() == allMigrations.map(\.version))
        }
    }

    @Test(arguments: Engine.all)
    func refusesAChangedMigration(_ engine: Engine) async throws {
        try await TestDatabase.with(engine, migrate: false) { t in
            let v1 = Migration(version: 1, name: "one") { d in ["CREATE TABLE m_one (\(d.autoID))\(d.tableOptions)"] }
            try await MigrationRunner(db: t.db, migrations: [v1]).migrate()
            let edited = Migration(version: 1, name: "one") { d in ["CREATE TABLE m_one (\(d.autoID), extra INTEGER)\(d.tableOptions)"] }
            let runner = MigrationRunner(db: t.db, migrations: [edited])
            await #expect(throws: MigrationError.self) { try await runner.verify() }
            await #expect(throws: MigrationError.self) { try await runner.migrate() }
            #expect(try await runner.status().first?.kind == .changed)
        }
    }

    @Test(arguments: Engine.all)
    func refusesADatabaseFromANewerBuild(_ engine: Engine) async throws {
        try await TestDatabase.with(engine, migrate: false) { t in
            let v1 = Migration(version: 1, name: "one") { d in ["CREATE TABLE m_one (\(d.autoID))\(d.tableOptions)"] }
            let v2 = Migration(version: 2, name: "two") { d in ["CREATE TABLE m_two (\(d.autoID))\(d.tableOptions)"] }
            try await MigrationRunner(db: t.db, migrations: [v1, v2]).migrate()
            do {
                _ = try await MigrationRunner(db: t.db, migrations: [v1]).verify()
                Issue.record("expected unknownApplied")
            } catch MigrationError.unknownApplied(let version, _) {
                #expect(version == 2)
            }
        }
    }

    @Test(arguments: Engine.all)
    func aFailingMigrationIsNotRecorded(_ engine: Engine) async throws {
        try await TestDatabase.with(engine, migrate: false) { t in
            let bad = Migration(version: 1, name: "bad") { _ in ["CREATE TABLE ok_one (id INTEGER)", "THIS IS NOT SQL"] }
            do {
                try await MigrationRunner(db: t.db, migrations: [bad]).migrate()
                Issue.record("expected failure")
            } catch MigrationError.failed(let v, _, let stmt, _) {
                #expect(v == 1)
                #expect(stmt == 2)
            }
            let states = try await MigrationRunner(db: t.db, migrations: [bad]).status()
            #expect(states.first?.kind == .pending)
        }
    }
}
