import Adapters
import Foundation
import Ports
import Testing

/// One contract, every driver: what repositories may rely on from `SQLDatabase`.
@Suite struct StorageContractTests {
    static func makeTable(_ db: any SQLDatabase) async throws {
        let d = DDL(db.dialect)
        try await db.write { conn in
            try await conn.execute("""
                CREATE TABLE notes (
                  \(d.autoID),
                  workspace_id BIGINT NOT NULL,
                  title \(d.varchar(190)) NOT NULL,
                  body \(d.text) NULL,
                  score DOUBLE NULL,
                  raw \(d.blob) NULL,
                  slug \(d.token(64)) NOT NULL
                )\(d.tableOptions)
                """)
            try await conn.execute("CREATE UNIQUE INDEX ux_notes_slug ON notes (workspace_id, slug)")
        }
    }

    @Test(arguments: Engine.all)
    func crudRoundTripsEveryValueKind(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            try await Self.makeTable(t.db)
            let id = try await t.db.transaction { tx in
                try await tx.execute("INSERT INTO notes (workspace_id, title, body, score, raw, slug) VALUES (?, ?, ?, ?, ?, ?)",
                                     [.int(7), .text("First"), .null, .double(2.5), .blob([0, 1, 2, 255]), .text("first")]).lastInsertID
            }
            #expect(id > 0)
            let row = try #require(try await t.db.read { try await $0.queryFirst("SELECT * FROM notes WHERE workspace_id = ? AND id = ?", [.int(7), .int(id)]) })
            #expect(try row.string("title") == "First")
            #expect(try row.optionalString("body") == nil)
            #expect(try row.double("score") == 2.5)
            #expect(try row.blob("raw") == [0, 1, 2, 255])
            #expect(try row.int("workspace_id") == 7)

            let updated = try await t.db.write { try await $0.execute("UPDATE notes SET title = ?, body = ? WHERE id = ?", [.text("Renamed"), .text("text"), .int(id)]) }
            #expect(updated.affectedRows == 1)
            let none = try await t.db.write { try await $0.execute("UPDATE notes SET title = ? WHERE id = ?", [.text("x"), .int(id + 1000)]) }
            #expect(none.affectedRows == 0)
            let again = try await t.db.read { try await $0.queryFirst("SELECT title, body FROM notes WHERE id = ?", [.int(id)]) }
            #expect(try again?.string("title") == "Renamed")
            #expect(try again?.string("body") == "text")

            let deleted = try await t.db.write { try await $0.execute("DELETE FROM notes WHERE id = ?", [.int(id)]) }
            #expect(deleted.affectedRows == 1)
            let count = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM notes")?.int("n") }
            #expect(count == 0)
        }
    }

    @Test(arguments: Engine.all)
    func rollbackOnThrowLeavesNothing(_ engine: Engine) async throws {
        struct Boom: Error {}
        try await TestDatabase.with(engine) { t in
            try await Self.makeTable(t.db)
            await #expect(throws: Boom.self) {
                try await t.db.transaction { tx in
                    try await tx.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (?, ?, ?)", [.int(1), .text("a"), .text("a")])
                    try await tx.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (?, ?, ?)", [.int(1), .text("b"), .text("b")])
                    throw Boom()
                }
            }
            let n = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM notes")?.int("n") }
            #expect(n == 0)
            // The connection is usable after the rollback.
            _ = try await t.db.transaction { tx in
                try await tx.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (?, ?, ?)", [.int(1), .text("c"), .text("c")])
            }
            let m = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM notes")?.int("n") }
            #expect(m == 1)
        }
    }

    @Test(arguments: Engine.all)
    func uniqueViolationIsMappedAndTransactionRollsBack(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            try await Self.makeTable(t.db)
            try await t.db.write { try await $0.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (1, 'x', 'same')") }
            do {
                try await t.db.transaction { tx in
                    try await tx.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (1, 'y', 'other')")
                    try await tx.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (?, ?, ?)", [.int(1), .text("z"), .text("same")])
                }
                Issue.record("expected a unique violation")
            } catch SQLError.uniqueViolation {
                // expected
            }
            let n = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM notes")?.int("n") }
            #expect(n == 1, "the whole transaction rolled back")
            // Same slug in another workspace is fine: uniqueness is per workspace.
            try await t.db.write { try await $0.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (2, 'x', 'same')") }
            // Tokens compare byte for byte: a different case is a different key.
            try await t.db.write { try await $0.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (1, 'x', 'SAME')") }
        }
    }

    static let utf8Samples = ["Grüße aus Köln", "日本語のテキスト", "中文客户支持", "emoji 😀🎉👩‍💻 mixed", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 astral", "עברית RTL", "quote ' \" \\ ; -- /*"]

    static func insertNote(_ db: any SQLDatabase, title: String, body: String, slug: String) async throws {
        try await db.write { conn in
            try await conn.execute("INSERT INTO notes (workspace_id, title, body, slug) VALUES (?, ?, ?, ?)", [.int(1), .text(title), .text(body), .text(slug)])
        }
    }

    static func note(_ db: any SQLDatabase, slug: String) async throws -> (title: String, body: String)? {
        let row = try await db.read { conn in try await conn.queryFirst("SELECT title, body FROM notes WHERE slug = ?", [.text(slug)]) }
        guard let row else { return nil }
        return (try row.string("title"), try row.string("body"))
    }

    static func slug(_ db: any SQLDatabase, title: String) async throws -> String? {
        let row = try await db.read { conn in try await conn.queryFirst("SELECT slug FROM notes WHERE title = ?", [.text(title)]) }
        return try row?.string("slug")
    }

    @Test(arguments: Engine.all)
    func utf8RoundTrips(_ engine: Engine) async throws {
        let t = try await TestDatabase.make(engine)
        defer { Task { await t.cleanup() } }
        try await Self.makeTable(t.db)
        let samples = Self.utf8Samples
        for i in samples.indices {
            try await Self.insertNote(t.db, title: samples[i], body: samples[i] + samples[i], slug: "s\(i)")
        }
        for i in samples.indices {
            let got = try await Self.note(t.db, slug: "s\(i)")
            #expect(got?.title == samples[i])
            #expect(got?.body == samples[i] + samples[i])
            // Lookups by the text itself bind the same bytes.
            #expect(try await Self.slug(t.db, title: samples[i]) == "s\(i)")
        }
    }

    @Test(arguments: Engine.all)
    func largeTextAndBlobRoundTrip(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            try await Self.makeTable(t.db)
            let unit = "Tickets, chats and orders — 数据 😀 "
            let big = String(repeating: unit, count: 3_000_000 / unit.utf8.count)
            let blob = (0..<1_500_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await t.db.write {
                try await $0.execute("INSERT INTO notes (workspace_id, title, body, raw, slug) VALUES (?, ?, ?, ?, ?)", [.int(1), .text("big"), .text(big), .blob(blob), .text("big")])
            }
            let row = try #require(try await t.db.read { try await $0.queryFirst("SELECT body, raw FROM notes WHERE slug = 'big'") })
            let body = try row.string("body")
            #expect(body.utf8.count == big.utf8.count)
            #expect(body == big)
            #expect(try row.blob("raw") == blob)
        }
    }

    @Test(arguments: Engine.all)
    func concurrentReadersAndWriters(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            try await Self.makeTable(t.db)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<16 {
                    group.addTask {
                        for i in 0..<25 {
                            try await t.db.transaction { tx in
                                try await tx.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (?, ?, ?)", [.int(Int64(w)), .text("t"), .text("k\(i)")])
                            }
                            _ = try await t.db.read { try await $0.query("SELECT COUNT(*) AS n FROM notes WHERE workspace_id = ?", [.int(Int64(w))]) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let n = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM notes")?.int("n") }
            #expect(n == 400)
        }
    }

    @Test(arguments: Engine.all)
    func wrongColumnTypeNamesTheColumn(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            try await Self.makeTable(t.db)
            try await t.db.write { try await $0.execute("INSERT INTO notes (workspace_id, title, slug) VALUES (1, 'not a number', 'n')") }
            let row = try #require(try await t.db.read { try await $0.queryFirst("SELECT title FROM notes") })
            #expect(throws: SQLError.self) { try row.int("title") }
            do { _ = try row.int("title") } catch { #expect("\(error)".contains("title")) }
        }
    }

    @Test(arguments: Engine.all)
    func badSQLIsAnEngineErrorNotACrash(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            await #expect(throws: SQLError.self) {
                try await t.db.read { try await $0.query("SELECT * FROM no_such_table") }
            }
            // The driver is still healthy afterwards.
            let one = try await t.db.read { try await $0.queryFirst("SELECT 1 AS one")?.int("one") }
            #expect(one == 1)
        }
    }
}

@Suite struct SQLiteOnlyTests {
    @Test func readConnectionsAreReadOnly() async throws {
        try await TestDatabase.with(.sqlite) { t in
            await #expect(throws: SQLError.self) {
                try await t.db.read { try await $0.execute("INSERT INTO sequences (name, value) VALUES ('x', 1)") }
            }
        }
    }

    @Test func usesWriteAheadLog() async throws {
        try await TestDatabase.with(.sqlite) { t in
            let mode = try await t.db.read { try await $0.queryFirst("PRAGMA journal_mode")?.string("journal_mode") }
            #expect(mode == "wal")
        }
    }
}
