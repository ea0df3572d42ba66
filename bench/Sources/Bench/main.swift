import Adapters
import ArgumentParser
import Composition
import Domain
import Foundation
import Glibc
import Logging
import Ports

/// `opsiq-bench`: job throughput and outbox append rate on SQLite and MariaDB, each beside a baseline of
/// raw single-row inserts measured in the same run on the same database (compare the ratios; absolute
/// numbers on a shared 2-core machine are noisy).
/// (No `@main`: with more than one file in the target, main.swift is top-level code, which starts it at the end.)
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opsiq-bench", abstract: "Benchmarks for the storage foundation (jobs, outbox).",
        subcommands: [All.self, SpoolBench.self, SpoolAppendHelper.self, TicketBench.self, AnalyticsBench.self, WebhookBench.self, MailImportBench.self], defaultSubcommand: All.self)

    struct All: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every benchmark on SQLite and (if configured) MariaDB.")
        @Option(help: "MariaDB URL of a server the bench may create databases on (default: $OPSIQ_BENCH_MARIADB_URL).") var mariadbURL: String?
        @Option(help: "Jobs per run.") var jobs: Int = 20_000
        @Option(help: "Concurrent workers/producers.") var workers: Int = 8
        @Option(help: "Write the results as Markdown to this file (default: print only).") var out: String?

        func run() async throws {
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            var sections: [String] = []
            let sqliteDir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: sqliteDir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: sqliteDir) }
            let sqlite = try SQLiteDatabase(config: SQLiteConfig(path: sqliteDir.appendingPathComponent("b.sqlite").path), logger: logger)
            sections.append(try await suite(name: "SQLite (embedded, WAL, synchronous=FULL)", db: sqlite, jobs: jobs / 2))
            await sqlite.shutdown()

            if let url = mariadbURL ?? ProcessInfo.processInfo.environment["OPSIQ_BENCH_MARIADB_URL"], !url.isEmpty {
                var admin = try MariaDBConfig.parse(url: url)
                admin.poolSize = 1
                let adminDB = MariaDBDatabase(config: admin, logger: logger)
                let name = "opsiq_bench_\(Int(Date().timeIntervalSince1970))"
                try await adminDB.write { try await $0.execute("CREATE DATABASE \(name) CHARACTER SET utf8mb4") }
                var cfg = admin
                cfg.database = name
                cfg.poolSize = workers * 2 + 2
                let maria = MariaDBDatabase(config: cfg, logger: logger)
                let via = cfg.unixSocket != nil ? "unix socket" : "TCP loopback"
                sections.append(try await suite(name: "MariaDB (\(via), InnoDB, innodb_flush_log_at_trx_commit=1)", db: maria, jobs: jobs))
                await maria.shutdown()
                _ = try? await adminDB.write { try await $0.execute("DROP DATABASE \(name)") }
                await adminDB.shutdown()
            } else {
                sections.append("### MariaDB\n\nskipped: no MariaDB URL (run `make bench`, which starts a private server).\n")
            }
            let header = """
            ## Storage foundation: jobs and outbox (`make bench`, bench/Sources/Bench)

            Run on \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ISO8601DateFormatter().string(from: Date())), \(workers) concurrent workers or producers.
            Baseline: raw single-row `INSERT`s, one statement per commit, from the same number of concurrent tasks on the same database in the same run.
            Job full cycle = producers enqueue one job per transaction while workers claim (batches of 16 with `FOR UPDATE SKIP LOCKED` on MariaDB) and complete them; the clock stops when the last job is done.

            """
            let text = header + "\n" + sections.joined(separator: "\n")
            print(text)
            if let out { try text.write(toFile: out, atomically: true, encoding: .utf8) }
        }

        /// Runs `body(w, i)` for i in 0..<perTask on `tasks` concurrent tasks.
        func fanOut(_ tasks: Int, _ perTask: Int, _ body: @escaping @Sendable (Int, Int) async throws -> Void) async throws {
            try await withThrowingTaskGroup(of: Void.self) { g in
                for w in 0..<tasks {
                    g.addTask { for i in 0..<perTask { try await body(w, i) } }
                }
                try await g.waitForAll()
            }
        }

        func timed(_ body: () async throws -> Void) async rethrows -> Double {
            let start = ContinuousClock.now
            try await body()
            let d = ContinuousClock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }

        func suite(name: String, db: any SQLDatabase, jobs total: Int) async throws -> String {
            try await MigrationRunner(db: db).migrate()
            let d = DDL(db.dialect)
            try await db.write { try await $0.execute("CREATE TABLE bench_rows (\(d.autoID), k BIGINT NOT NULL, v \(d.varchar(190)) NOT NULL)\(d.tableOptions)") }
            let store = SQLJobStore(db: db)
            let outbox = Outbox(store: SQLOutboxStore(), clock: SystemClock(), random: SystemRandom())
            let n = total
            let per = n / workers

            // Baseline: raw single-row inserts.
            let tBase = try await timed {
                try await fanOut(workers, per) { w, i in
                    _ = try await db.write { try await $0.execute("INSERT INTO bench_rows (k, v) VALUES (?, ?)", [.int(Int64(w * per + i)), .text("payload \(i)")]) }
                }
            }
            let base = Double(per * workers) / tBase

            // Outbox: one event per transaction, and ten per transaction.
            let tOut1 = try await timed {
                try await fanOut(workers, per) { w, i in
                    _ = try await db.transaction { tx in
                        try await outbox.publish("bench.event", workspace: WorkspaceID(Int64(w % 3 + 1)), payload: ["i": .int(Int64(i))], in: tx)
                    }
                }
            }
            let out1 = Double(per * workers) / tOut1
            let batches = per / 10
            let tOut10 = try await timed {
                try await fanOut(workers, batches) { w, i in
                    _ = try await db.transaction { tx in
                        try await outbox.publish((0..<10).map { j in NewEvent(type: "bench.event", workspaceID: WorkspaceID(Int64(w % 3 + 1)), payload: "{\"i\":\(i * 10 + j)}") }, in: tx)
                    }
                }
            }
            let out10 = Double(batches * 10 * workers) / tOut10

            // Jobs: enqueue only (one per transaction).
            let tEnq = try await timed {
                try await fanOut(workers, per) { w, i in
                    _ = try await db.transaction { try await store.enqueue(NewJob(kind: "bench.noop", payload: "{\"n\":\(w * per + i)}"), now: Date(), in: $0) }
                }
            }
            let enq = Double(per * workers) / tEnq

            // Jobs: claim + complete of the backlog just enqueued.
            var handlers = JobHandlers()
            handlers.register("bench.noop") { _ in }
            func runners() -> [JobRunner] {
                (0..<workers).map {
                    JobRunner(config: JobRunnerConfig(workerID: "bench-\($0)", concurrency: 1, batchSize: 16, leaseSeconds: 300, pollInterval: 0.01, reclaimInterval: 5),
                              store: store, handlers: handlers, clock: SystemClock(), random: SystemRandom(), log: NullLog())
                }
            }
            func runUntilDone(_ rs: [JobRunner], target: Int, producers: (@Sendable () async throws -> Void)?) async throws {
                try await withThrowingTaskGroup(of: Void.self) { g in
                    for r in rs { g.addTask { await r.run() } }
                    if let producers { g.addTask { try await producers() } }
                    g.addTask {
                        while true {
                            let done = rs.reduce(0) { $0 + $1.jobsDone }
                            if done >= Int64(target) { break }
                            try await Task.sleep(nanoseconds: 2_000_000)
                        }
                        rs.forEach { $0.requestStop() }
                    }
                    try await g.waitForAll()
                }
            }
            let drainRunners = runners()
            let tDrain = try await timed { try await runUntilDone(drainRunners, target: per * workers, producers: nil) }
            let drain = Double(per * workers) / tDrain

            // Jobs: full cycle, producers and workers at once.
            let cycleRunners = runners()
            let tCycle = try await timed {
                try await runUntilDone(cycleRunners, target: per * workers) {
                    try await fanOut(workers, per) { w, i in
                        _ = try await db.transaction { try await store.enqueue(NewJob(kind: "bench.noop", payload: "{\"c\":\(w * per + i)}"), now: Date(), in: $0) }
                    }
                }
            }
            let cycle = Double(per * workers) / tCycle
            let counts = try await store.counts()

            func f(_ v: Double) -> String { String(format: "%.0f", v) }
            func r(_ v: Double) -> String { String(format: "%.2f×", v / base) }
            return """
            ### \(name)

            | measure | per second | vs. baseline |
            |---|---:|---:|
            | baseline: raw single-row INSERT, autocommit (\(per * workers) rows) | \(f(base)) | 1.00× |
            | outbox append, 1 event per transaction (\(per * workers)) | \(f(out1)) | \(r(out1)) |
            | outbox append, 10 events per transaction (\(batches * 10 * workers)) | \(f(out10)) | \(r(out10)) |
            | jobs: enqueue, 1 per transaction (\(per * workers)) | \(f(enq)) | \(r(enq)) |
            | jobs: claim + run + complete a backlog (\(per * workers)) | \(f(drain)) | \(r(drain)) |
            | **jobs: full cycle, enqueue + claim + complete concurrently (\(per * workers))** | **\(f(cycle))** | \(r(cycle)) |

            Check: \(counts[.done] ?? 0) jobs done, \(counts[.dead] ?? 0) dead, \(counts[.queued] ?? 0) left queued.

            """
        }
    }
}

struct NullLog: DomainLog {
    func debug(_ message: String, _ metadata: [String: String]) {}
    func info(_ message: String, _ metadata: [String: String]) {}
    func warning(_ message: String, _ metadata: [String: String]) {}
    func error(_ message: String, _ metadata: [String: String]) {}
}

/// `opsiq-bench spool`: appends per second into a `FileSpool` from many concurrent appenders, then the drain rate.
struct SpoolBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spool", abstract: "Durable spool: group-committed appends and drain rate.")
    @Option(help: "Concurrent appenders.") var appenders: Int = 64
    @Option(help: "Records per appender.") var records: Int = 1_000
    @Option(help: "Record size in bytes.") var size: Int = 600
    @Option(help: "Spool directory (default: a fresh temporary one, removed afterwards).") var dir: String?

    func run() async throws {
        let directory = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-spool-bench-\(UUID().uuidString)").path
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let spool = try FileSpool(directory: directory, maxPendingBytes: 4 << 30)
        let record = [UInt8](repeating: 0x61, count: size)
        let (appenders, records) = (self.appenders, self.records)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<appenders {
                group.addTask { for _ in 0..<records { try await spool.append(record) } }
            }
            try await group.waitForAll()
        }
        let appendSeconds = (ContinuousClock.now - start).seconds
        let total = appenders * records
        let syncs = spool.syncCount
        let drainStart = ContinuousClock.now
        var drained = 0
        while let batch = try await spool.next(maxRecords: 1_000, maxBytes: 4 << 20, wait: .zero) {
            drained += batch.records.count
            try await spool.acknowledge(batch.end)
        }
        let drainSeconds = (ContinuousClock.now - drainStart).seconds
        await spool.close()
        print(String(format: "spool: %d appenders × %d records of %d bytes: %.0f appends/s (%d fdatasyncs, %.1f records per sync); drain %d records: %.0f records/s",
                     appenders, records, size, Double(total) / appendSeconds, syncs, Double(total) / Double(max(syncs, 1)),
                     drained, Double(drained) / drainSeconds))
    }
}

/// `opsiq-bench spool-append` (test helper for the crash test): appends until killed, and after each append
/// returns writes "<appender> <index>\n" to stdout with one unbuffered write.
struct SpoolAppendHelper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spool-append", abstract: "Test helper: append until killed.", shouldDisplay: false)
    @Option var dir: String
    @Option var appenders: Int = 16
    @Option var size: Int = 600

    func run() async throws {
        let spool = try FileSpool(directory: dir, maxSegmentBytes: 256 << 10)
        let size = self.size
        try await withThrowingTaskGroup(of: Void.self) { group in
            for a in 0..<appenders {
                group.addTask {
                    var n = 0
                    while true {
                        try await spool.append(spoolTestRecord(appender: a, index: n, size: size))
                        let line = Array("\(a) \(n)\n".utf8)
                        _ = line.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
                        n += 1
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// "<appender>:<index>:" padded with dots to `size` bytes.
func spoolTestRecord(appender: Int, index: Int, size: Int) -> [UInt8] {
    var bytes = Array("\(appender):\(index):".utf8)
    if bytes.count < size { bytes += [UInt8](repeating: 0x2E, count: size - bytes.count) }
    return bytes
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// `opsiq-bench tickets`: the helpdesk queue with many tickets. Fills one site with `--tickets` tickets
/// (statuses, priorities, departments, assignees and SLA clocks spread like a real queue), then times a page
/// of the queue through `TicketStore.list` (the count and the page, as the admin and `tickets.list` run it)
/// for the common views, beside a baseline from the same run: the same number of rows (one page) read raw
/// by primary key, and a raw `COUNT(*)` of the site's tickets.
struct TicketBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tickets", abstract: "Ticket queue listing with many tickets (SQLite and MariaDB).")
    @Option(help: "Tickets in the site.") var tickets: Int = 100_000
    @Option(help: "Timed runs per view.") var runs: Int = 200
    @Option(help: "MariaDB URL of a server the bench may create databases on (default: $OPSIQ_BENCH_MARIADB_URL).") var mariadbURL: String?
    @Option(help: "Append the results as Markdown to this file.") var out: String?

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var text = "## Ticket queue (`opsiq-bench tickets`)\n\nRun \(ISO8601DateFormatter().string(from: Date())), \(tickets) tickets in one site, \(runs) timed runs per view, page size 25.\n"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-ticket-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = try SQLiteDatabase(config: SQLiteConfig(path: dir.appendingPathComponent("t.sqlite").path), logger: logger)
        text += try await suite("SQLite", sqlite)
        await sqlite.shutdown()
        if let url = mariadbURL ?? ProcessInfo.processInfo.environment["OPSIQ_BENCH_MARIADB_URL"], !url.isEmpty {
            var admin = try MariaDBConfig.parse(url: url)
            admin.poolSize = 1
            let adminDB = MariaDBDatabase(config: admin, logger: logger)
            let name = "opsiq_tbench_\(Int(Date().timeIntervalSince1970))"
            try await adminDB.write { try await $0.execute("CREATE DATABASE \(name) CHARACTER SET utf8mb4") }
            var cfg = admin
            cfg.database = name
            cfg.poolSize = 4
            let maria = MariaDBDatabase(config: cfg, logger: logger)
            text += try await suite("MariaDB", maria)
            await maria.shutdown()
            _ = try? await adminDB.write { try await $0.execute("DROP DATABASE \(name)") }
            await adminDB.shutdown()
        } else {
            text += "\n### MariaDB\n\nskipped: no MariaDB URL (run `make bench-tickets`, which starts a private server).\n"
        }
        print(text)
        if let out {
            let old = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            try (old + text).write(toFile: out, atomically: true, encoding: .utf8)
        }
    }

    /// Fills the site with multi-row inserts (1,000 rows per statement).
    func fill(_ db: any SQLDatabase, ws: WorkspaceID) async throws {
        let statuses = ["open", "open", "open", "pending", "waiting_on_customer", "resolved", "closed", "closed", "closed", "closed"]
        let priorities = ["low", "normal", "normal", "normal", "high", "urgent"]
        let start = Date().addingTimeInterval(-180 * 86400).epochMillis
        var rng = SystemRandomNumberGenerator()
        var next = 0
        while next < tickets {
            let n = min(1_000, tickets - next)
            var rows: [String] = [], binds: [SQLValue] = []
            for i in next..<(next + n) {
                let status = statuses[Int.random(in: 0..<statuses.count, using: &rng)]
                let created = start + Int64(i) * (180 * 86_400_000 / Int64(tickets))
                let updated = created + Int64.random(in: 0...(3 * 86_400_000), using: &rng)
                let active = ["open", "pending"].contains(status)
                let answered = !active || Bool.random(using: &rng)
                let due: Int64? = answered ? nil : created + 8 * 3_600_000
                let resolutionDue: Int64? = active ? created + 40 * 3_600_000 : nil
                let slaDue = [due, resolutionDue].compactMap { $0 }.min()
                rows.append("(?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, ?, ?)")
                binds += [.int(ws.raw), .int(Int64(i + 1)), .text("Ticket \(i + 1): order question"), .int(Int64(i % 6 + 1)),
                          .text(priorities[Int.random(in: 0..<priorities.count, using: &rng)]), .text(status),
                          .text("customer\(i % 20_000)@example.com"), .text("Customer \(i % 20_000)"),
                          i % 4 == 0 ? .null : .int(Int64(i % 12 + 1)), .int(created), .int(updated),
                          answered ? .int(created + 3_600_000) : .null, SQLValue(due), SQLValue(resolutionDue), .int(active ? slaDue ?? SQLTicketStore.noDue : SQLTicketStore.noDue)]
            }
            try await db.write { conn in
                try await conn.execute("""
                    INSERT INTO tickets (workspace_id, number, subject, department_id, priority, status, customer_email, customer_name, assignee_id, locked,
                                         created_at, updated_at, first_response_at, first_response_due_at, sla_paused_seconds, resolution_due_at, sla_due_at)
                    VALUES \(rows.joined(separator: ", "))
                    """, binds)
            }
            next += n
        }
    }

    func percentiles(_ samples: [Double]) -> (p50: Double, p95: Double) {
        let s = samples.sorted()
        return (s[s.count / 2], s[min(s.count - 1, Int(Double(s.count) * 0.95))])
    }

    func time(_ body: () async throws -> Void) async rethrows -> [Double] {
        var out: [Double] = []
        for _ in 0..<runs {
            let t0 = ContinuousClock.now
            try await body()
            out.append((ContinuousClock.now - t0).seconds * 1000)
        }
        return out
    }

    func suite(_ name: String, _ db: any SQLDatabase) async throws -> String {
        try await MigrationRunner(db: db).migrate()
        let ws = WorkspaceID(1)
        let t0 = ContinuousClock.now
        try await fill(db, ws: ws)
        let fillSeconds = (ContinuousClock.now - t0).seconds
        if db.dialect == .mariadb { try await db.write { _ = try await $0.execute("ANALYZE TABLE tickets") } } else { try await db.write { try await $0.execute("ANALYZE") } }
        let store = SQLTicketStore()
        // Warm the caches once, like a queue people keep open.
        _ = try await db.read { try await store.list(ws, TicketFilter(), in: $0) }

        var lines: [String] = []
        let midID = Int64(tickets / 2)
        let base = percentiles(try await time {
            _ = try await db.read { try await $0.query("SELECT * FROM tickets WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT 25", [.int(ws.raw), .int(midID)]) }
        })
        let count = percentiles(try await time {
            _ = try await db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tickets WHERE workspace_id = ?", [.int(ws.raw)]) }
        })
        lines.append("| baseline: one page (25 rows) read raw by primary key | \(fmt(base.p50)) | \(fmt(base.p95)) | 1.0× |")
        lines.append("| baseline: raw `COUNT(*)` of the site's \(tickets) tickets | \(fmt(count.p50)) | \(fmt(count.p95)) | \(ratio(count.p95, base.p95)) |")
        let active: [TicketStatus] = [.open, .pending, .waitingOnCustomer]
        let views: [(String, TicketFilter)] = [
            ("All tickets, latest activity first (page 1)", TicketFilter()),
            ("Active (open, pending, waiting), page 1", TicketFilter(statuses: active)),
            ("Active, SLA due first", TicketFilter(statuses: active, sort: .due)),
            ("Active in one department", TicketFilter(statuses: active, departmentID: 3)),
            ("My tickets (one assignee), active", TicketFilter(statuses: active, assignee: .user(UserID(6)))),
            ("Agent: two departments, active", TicketFilter(statuses: active, visibleDepartments: [2, 4])),
            ("One customer's tickets", TicketFilter(customerEmail: "customer123@example.com")),
            ("All tickets, page 200 (offset 4,975)", TicketFilter(limit: 25, offset: 4_975)),
        ]
        var worst = 0.0
        for (label, filter) in views {
            var total = 0
            let p = percentiles(try await time { total = try await db.read { try await store.list(ws, filter, in: $0) }.total })
            worst = max(worst, p.p95)
            lines.append("| \(label) (\(total) match) | \(fmt(p.p50)) | \(fmt(p.p95)) | \(ratio(p.p95, base.p95)) |")
        }
        return """

        ### \(name)

        Filled \(tickets) tickets in \(String(format: "%.1f", fillSeconds)) s. Each view = the total count plus one page of 25, as the queue page and `tickets.list` run it.

        | query | p50 ms | p95 ms | p95 vs. baseline |
        |---|---:|---:|---:|
        \(lines.joined(separator: "\n"))

        Slowest view at p95: **\(fmt(worst)) ms** (target on MariaDB: at most 150 ms).

        """
    }

    func fmt(_ ms: Double) -> String { String(format: ms < 10 ? "%.2f" : "%.1f", ms) }
    func ratio(_ a: Double, _ b: Double) -> String { String(format: "%.1f×", a / max(b, 0.001)) }
}

/// `opsiq-bench analytics`: seeds a generated data set (`AnalyticsSeed`, as `opsiq-admin dev seed-analytics`)
/// and times the analytics pages' queries at p50/p95 beside a raw `COUNT(*)` of the page views.
struct AnalyticsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "analytics", abstract: "Time the Dashboard, Visitor log, Sessions and Live feed queries on seeded data.")
    @Option(help: "Events to seed (page views are a little under half).") var events: Int = 1_000_000
    @Option(help: "Days the events cover, ending now.") var days: Int = 90
    @Option(help: "Timed runs of each query.") var runs: Int = 20
    @Option(help: "MariaDB URL of a server the bench may create a database on (default: $OPSIQ_BENCH_MARIADB_URL).") var mariadbURL: String?
    @Option(help: "Only this engine: sqlite or mariadb.") var engine: String?
    @Option(help: "Append the results as Markdown to this file.") var out: String?
    @Option(help: "MariaDB: use (and keep) this database; when it already holds page views the seed is skipped.") var database: String?
    @Option(help: "SQLite: use (and keep) this file; when it already holds page views the seed is skipped.") var sqlitePath: String?
    @Flag(help: "Leave out the Intent classification backlog and the Intent funnel and Leads timings.") var skipIntent = false

    func timed(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var sections: [String] = []
        if engine == nil || engine == "sqlite" {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let db = try SQLiteDatabase(config: SQLiteConfig(path: sqlitePath ?? dir.appendingPathComponent("a.sqlite").path), logger: logger)
            sections.append(try await suite(name: "SQLite", db: db))
            await db.shutdown()
        }
        if engine == nil || engine == "mariadb", let url = mariadbURL ?? ProcessInfo.processInfo.environment["OPSIQ_BENCH_MARIADB_URL"], !url.isEmpty {
            var admin = try MariaDBConfig.parse(url: url)
            admin.poolSize = 1
            let adminDB = MariaDBDatabase(config: admin, logger: logger)
            let name = database ?? "opsiq_bench_a\(Int(Date().timeIntervalSince1970))"
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw ValidationError("--database: letters, digits and _ only") }
            try await adminDB.write { try await $0.execute("CREATE DATABASE IF NOT EXISTS \(name) CHARACTER SET utf8mb4") }
            var cfg = admin
            cfg.database = name
            cfg.poolSize = 8
            let db = MariaDBDatabase(config: cfg, logger: logger)
            sections.append(try await suite(name: "MariaDB", db: db))
            await db.shutdown()
            if database == nil { _ = try? await adminDB.write { try await $0.execute("DROP DATABASE \(name)") } }
            await adminDB.shutdown()
        }
        let text = """
        ## Analytics pages (`opsiq-bench analytics --events \(events) --days \(days)`)

        Run on \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ISO8601DateFormatter().string(from: Date())); \(runs) runs per query, server time of the
        queries behind each page (no HTTP, no rendering). Baseline: `SELECT COUNT(*)` of the site's page views.

        """ + sections.joined(separator: "\n")
        print(text)
        if let out {
            let old = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            try (old + (old.isEmpty ? "" : "\n") + text).write(toFile: out, atomically: true, encoding: .utf8)
        }
    }

    func suite(name: String, db: any SQLDatabase) async throws -> String {
        try await MigrationRunner(db: db).migrate()
        let ws = WorkspaceID(1)
        let clock = SystemClock()
        let store = SQLTrackingStore(db: db)
        let rules = SessionRules(timeout: 30 * 60, conversionEvents: [AnalyticsSeed.conversionEvent])
        var gen = AnalyticsSeed(.init(workspace: ws, events: events, days: days, end: clock.now(), seed: 1))
        var stored = 0
        let already = try await db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE workspace_id = 1")?.int("n") ?? 0 }
        let seedMs = try await timed {
            guard already == 0 else { stored = Int(already); return }
            while let part = gen.next(size: 5000) { stored += try await store.insert(part, rules: rules) }
        }
        let pageviews = try await db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE workspace_id = 1 AND type = 'pageview'")?.int("n") ?? 0 }
        let settings = SettingsService(store: SQLSettingsStore(db: db), db: db, clock: clock)
        let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: db), settings: settings, blocked: SQLBlockedNetworkStore(db: db), clock: clock)
        let lists = SQLAnalyticsLists(db: db)
        // The Intent class of every session of the last 31 days that has none yet, once, as the worker's job does in the
        // background (a backlog like this exists only after an upgrade or a change of the rules); the funnel then only counts.
        var classified = 0
        let classifyMs = try await timed {
            guard !skipIntent else { return }
            classified = try await analytics.classifyPendingSessions(ws, from: clock.now().addingTimeInterval(-31 * 86400), to: clock.now().addingTimeInterval(86400), lists: lists, limit: .max)
        }
        let month = try await analytics.range(ws, preset: "last_30_days")
        let week = try await analytics.range(ws, preset: "last_7_days")
        let queries: [(String, () async throws -> Void)] = [
            ("baseline: COUNT(*) page views", { _ = try await db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE workspace_id = 1 AND type = 'pageview'") } }),
            ("baseline: COUNT(*) events of the last 30 days", { _ = try await db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE workspace_id = 1 AND ts >= ? AND ts < ?",
                                                                                                              [.int(month.start.epochMillis), .int(month.end.epochMillis)]) } }),
            ("Dashboard, last 30 days (every card)", { _ = try await analytics.dashboard(ws, range: month) }),
            ("Visitor log, last 7 days, page 1 + total", { _ = try await lists.visits(ws, from: week.start, to: week.end, filter: VisitFilter(), limit: 50, offset: 0) }),
            ("Visitor log, search \"summer-sale\"", { _ = try await lists.visits(ws, from: week.start, to: week.end, filter: VisitFilter(search: "summer-sale"), limit: 50, offset: 0) }),
            ("Sessions, last 7 days, page 1 + total", { _ = try await lists.sessions(ws, from: week.start, to: week.end, filter: SessionFilter(), limit: 50, offset: 0) }),
            ("Live feed (90 s)", { _ = try await analytics.reports.recentSessions(ws, since: clock.now().addingTimeInterval(-90), limit: 500) }),
            ("Top pages, last 30 days", { _ = try await analytics.topPages(ws, range: month, sort: "views", ascending: false) }),
            ("Geo intelligence, last 30 days (countries, country groups, top country's cities, breakdowns)", {
                let countries = try await analytics.reports.geo(ws, from: month.start, to: month.end, country: nil)
                _ = try await analytics.countryGroups(ws, range: month)
                if let top = countries.first { _ = try await analytics.reports.geo(ws, from: month.start, to: month.end, country: top.value) }
                for dim in [RollupDimension.device, .browser, .source] { _ = try await analytics.reports.breakdown(ws, dim, from: month.start, to: month.end, limit: 10) }
            }),
            ("Events log, last 7 days, page 1 + total", { _ = try await lists.events(ws, from: week.start, to: week.end, type: "", search: "", limit: 50, offset: 0) }),
            ("Events log, last 7 days, type \"pageview\", page 1 + total", { _ = try await lists.events(ws, from: week.start, to: week.end, type: "pageview", search: "", limit: 50, offset: 0) }),
            ("Intent funnel, last 7 days (counts + first page of sessions)", {
                let f = try await analytics.intentFunnel(ws, range: week, lists: lists)
                _ = try await analytics.intentSessions(ws, funnel: f, intent: nil, limit: 50, offset: 0, lists: lists)
            }),
            ("Intent funnel, last 30 days (counts + first page of sessions)", {
                let f = try await analytics.intentFunnel(ws, range: month, lists: lists)
                _ = try await analytics.intentSessions(ws, funnel: f, intent: nil, limit: 50, offset: 0, lists: lists)
            }),
            ("Leads, last 7 days", { _ = try await analytics.leads(ws, range: week, lists: lists) }),
        ]
        var rows = ["| Query | p50 ms | p95 ms |", "|---|---:|---:|"]
        for (label, q) in queries where !(skipIntent && (label.hasPrefix("Intent") || label.hasPrefix("Leads"))) {
            try await q()  // warm up
            var t: [Double] = []
            for _ in 0..<runs { t.append(try await timed { try await q() }) }
            t.sort()
            let p = { (f: Double) in t[min(t.count - 1, Int((Double(t.count) * f).rounded(.up)) - 1)] }
            rows.append("| \(label) | \(String(format: "%.1f", p(0.5))) | \(String(format: "%.1f", p(0.95))) |")
        }
        return """
        ### \(name)

        \(already > 0 ? "Reused a database seeded earlier:" : "Seeded") \(stored) events (\(pageviews) page views) over \(days) days in \(String(format: "%.1f", seedMs / 1000)) s (\(Int(Double(stored) / max(seedMs / 1000, 0.001))) events/s through the store's batched insert).

        Intent classes (last 31 days, before the timed runs): \(classified) sessions classified in \(String(format: "%.1f", classifyMs / 1000)) s (\(Int(Double(classified) / max(classifyMs / 1000, 0.001))) sessions/s; once, before the timed runs).

        """ + "\n" + rows.joined(separator: "\n") + "\n"
    }
}

await benchMain()

/// In a function body (not top-level code) `Bench.main()` resolves to ArgumentParser's async entry point.
func benchMain() async { await Bench.main() }
