import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// The three executables as an operator runs them: exit codes, messages, and what they leave in the store.
@Suite(.serialized) struct ExecutableTests {
    static func dataDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-exec-\(UUID().uuidString)").path
    }

    @Test func adminHelpListsEveryCommand() async throws {
        let r = try await run(try productPath("opsiq-admin"), ["--help"], env: [:])
        #expect(r.status == 0)
        for cmd in ["migrate", "doctor", "cron", "jobs", "create-owner", "create-site"] { #expect(r.stdout.contains(cmd)) }
        let jobs = try await run(try productPath("opsiq-admin"), ["jobs", "--help"], env: [:])
        #expect(jobs.status == 0 && jobs.stdout.contains("retry") && jobs.stdout.contains("dead") && jobs.stdout.contains("list"))
        let bad = try await run(try productPath("opsiq-admin"), ["no-such-command"], env: [:])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("no-such-command") || bad.stdout.contains("no-such-command"))
    }

    @Test func badSettingsExitWithStatusTwoNamingTheSetting() async throws {
        for (exe, args) in [("opsiq-admin", ["doctor"]), ("opsiq-web", []), ("opsiq-worker", [])] {
            let r = try await run(try productPath(exe), args, env: ["OPSIQ_PORT": "eighty", "OPSIQ_DATA_DIR": Self.dataDir()])
            #expect(r.status == 2, "\(exe)")
            #expect(r.stderr.contains("OPSIQ_PORT"), "\(exe): \(r.stderr)")
        }
        let r = try await run(try productPath("opsiq-admin"), ["migrate"], env: ["OPSIQ_DATABASE_URL": "mariadb://u:p@127.0.0.1:3306/x"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("OPSIQ_MASTER_KEY"))
    }

    @Test func unreachableDatabaseExitsWithStatusThree() async throws {
        let port = try freePort()
        let env = ["OPSIQ_DATABASE_URL": "mariadb://u:secretpw@127.0.0.1:\(port)/opsiq", "OPSIQ_MASTER_KEY": String(repeating: "ab", count: 32), "OPSIQ_DATA_DIR": Self.dataDir()]
        for args in [["migrate"], ["doctor"], ["jobs", "list"]] {
            let r = try await run(try productPath("opsiq-admin"), args, env: env)
            #expect(r.status == 3, "\(args): \(r.stdout) \(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains("secretpw"), "the password is never printed")
        }
    }

    @Test func embeddedAdminLifecycle() async throws {
        let dir = Self.dataDir()
        let env = ["OPSIQ_DATA_DIR": dir]
        let admin = try productPath("opsiq-admin")
        var r = try await run(admin, ["migrate"], env: env)
        #expect(r.status == 0)
        #expect(r.stdout.contains("Applied migrations: 1"))
        r = try await run(admin, ["migrate"], env: env)
        #expect(r.status == 0 && r.stdout.contains("Schema is current"))
        r = try await run(admin, ["migrate", "--status"], env: env)
        #expect(r.status == 0 && r.stdout.contains("applied") && r.stdout.contains("core"))

        r = try await run(admin, ["create-owner", "--email", "not-an-email", "--name", "Ann", "--password-stdin"], env: env, stdin: "correct horse battery\n")
        #expect(r.status == 2 && r.stderr.contains("email"))
        r = try await run(admin, ["create-owner", "--email", "ann@example.com", "--name", "Ann", "--password-stdin"], env: env, stdin: "short\n")
        #expect(r.status == 2 && r.stderr.contains("password"))
        r = try await run(admin, ["create-owner", "--email", "ann@example.com", "--name", "Ann", "--password-stdin"], env: env, stdin: "correct horse battery\n")
        #expect(r.status == 0, "\(r.stderr)")
        r = try await run(admin, ["create-owner", "--email", "bob@example.com", "--name", "Bob", "--password-stdin"], env: env, stdin: "correct horse battery\n")
        #expect(r.status == 1 && r.stderr.contains("Owner"), "exactly one Owner")

        r = try await run(admin, ["create-site", "--name", "Shop", "--domain", "shop.example.com"], env: env)
        #expect(r.status == 0)
        #expect(r.stdout.contains("site key: site_"))
        #expect(r.stdout.contains("data-site-key=\"site_"))
        r = try await run(admin, ["create-site", "--name", "", "--domain", "shop.example.com"], env: env)
        #expect(r.status == 2 && r.stderr.contains("site_name"))

        // A dead job, made the way a failing handler leaves one.
        let cfg = try AppConfig.load(environment: env)
        guard case .sqlite(let path) = cfg.database else { Issue.record("expected sqlite"); return }
        let db = try SQLiteDatabase(config: SQLiteConfig(path: path), logger: TestDatabase.logger)
        let store = SQLJobStore(db: db)
        let id = try await db.transaction { try await store.enqueue(NewJob(kind: "platform.prune", maxAttempts: 1), now: Date(), in: $0).id }
        let claimed = try await store.claim(queues: ["default"], worker: "t", limit: 1, now: Date(), leaseFor: 60)
        #expect(claimed.count == 1)
        _ = try await store.fail(id: id, worker: "t", error: "simulated failure", retryAt: nil, now: Date())
        await db.shutdown()

        r = try await run(admin, ["jobs", "dead"], env: env)
        #expect(r.status == 0 && r.stdout.contains("simulated failure") && r.stdout.contains("\(id)"))
        r = try await run(admin, ["jobs", "list", "--status", "bogus"], env: env)
        #expect(r.status == 2)
        r = try await run(admin, ["jobs", "retry", "999999"], env: env)
        #expect(r.status == 1)
        r = try await run(admin, ["jobs", "retry", "\(id)"], env: env)
        #expect(r.status == 0)
        r = try await run(admin, ["jobs", "list", "--status", "queued"], env: env)
        #expect(r.stdout.contains("platform.prune"))

        // One cron tick runs the due job and records scheduler and worker liveness.
        r = try await run(admin, ["cron", "run-once"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        // (At minute 17 the hourly prune is also due, so count at least the retried job.)
        #expect(r.stdout.contains(" succeeded") && !r.stdout.contains("ran 0 job(s)"), "\(r.stdout)")
        let after = try SQLiteDatabase(config: SQLiteConfig(path: path), logger: TestDatabase.logger)
        #expect(try await SQLJobStore(db: after).find(id: id)?.status == .done, "the retried job ran")
        await after.shutdown()
        r = try await run(admin, ["doctor"], env: env)
        #expect(r.stdout.contains("[ok  ] database"))
        #expect(r.stdout.contains("[ok  ] migrations"))
        #expect(r.stdout.contains("[ok  ] scheduler"))
        #expect(r.stdout.contains("] geoip"))
        #expect(r.stdout.contains("] disk"))
        #expect(r.status == 0, "\(r.stdout)")
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func workerRunsJobsBeatsAndDrainsOnSIGTERM() async throws {
        let dir = Self.dataDir()
        let env = ["OPSIQ_DATA_DIR": dir, "OPSIQ_WORKER_CONCURRENCY": "2"]
        let r = try await run(try productPath("opsiq-admin"), ["migrate"], env: env)
        #expect(r.status == 0)
        let worker = try Daemon(try productPath("opsiq-worker"), env: env)
        let cfg = try AppConfig.load(environment: env)
        guard case .sqlite(let path) = cfg.database else { return }
        let db = try SQLiteDatabase(config: SQLiteConfig(path: path), logger: TestDatabase.logger)
        let store = SQLJobStore(db: db)
        let jobID = try await db.transaction { try await store.enqueue(NewJob(kind: "platform.prune", payload: "{\"test\":1}"), now: Date(), in: $0).id }
        let status = SQLWorkerStatusStore(db: db)
        var beats: [WorkerHeartbeat] = []
        var done = false
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && (beats.isEmpty || !done) {
            beats = (try? await status.all()) ?? []
            done = (try? await store.find(id: jobID))??.status == .done
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(beats.count == 1, "heartbeat written: \(worker.output)")
        #expect(done, "the worker ran the job")
        let exit = await worker.terminate()
        #expect(exit == 0, "drained and exited cleanly: \(worker.output)")
        #expect(worker.output.contains("drained and stopped"))
        #expect(try await status.all().isEmpty, "heartbeat removed on shutdown")
        await db.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func embeddedWebServesSetupAndStopsGracefully() async throws {
        let dir = Self.dataDir()
        let port = try freePort()
        let web = try Daemon(try productPath("opsiq-web"), env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_PORT": "\(port)"])
        let health = await waitForAnswer("http://127.0.0.1:\(port)/healthz")
        #expect(health?.status == 200, "\(web.output)")
        #expect(await httpGet("http://127.0.0.1:\(port)/readyz")?.status == 200)
        let setup = await httpGet("http://127.0.0.1:\(port)/")
        #expect(setup?.status == 200 && setup?.body.contains("Welcome to OpsIQ") == true, "/ leads to the setup page")
        #expect(web.output.contains("/setup?token="), "the setup URL is printed")
        #expect(FileManager.default.fileExists(atPath: dir + "/master.key"))
        #expect(await web.terminate() == 0, "\(web.output)")
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test(arguments: Engine.mariadbOnly)
    func webWaitsForTheDatabaseAndRecovers(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let cfg = try #require(t.mariaConfig)
            let proxy = try TCPProxy(targetHost: cfg.host, targetPort: cfg.port)
            let port = try freePort()
            let url = "mariadb://\(cfg.user):\(cfg.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@127.0.0.1:\(proxy.port)/\(cfg.database)"
            let web = try Daemon(try productPath("opsiq-web"), env: [
                "OPSIQ_DATABASE_URL": url, "OPSIQ_MASTER_KEY": String(repeating: "cd", count: 32),
                "OPSIQ_PORT": "\(port)", "OPSIQ_DATA_DIR": Self.dataDir(),
            ])
            let health = await waitForAnswer("http://127.0.0.1:\(port)/healthz")
            #expect(health?.status == 200, "web serves while the database is down: \(web.output)")
            let down = await httpGet("http://127.0.0.1:\(port)/readyz")
            #expect(down?.status == 503)
            let page = await httpGet("http://127.0.0.1:\(port)/")
            #expect(page?.status == 503 && page?.body.contains("database_unavailable") == true)
            try await proxy.start()
            var ready = false
            let until = Date().addingTimeInterval(20)
            while !ready && Date() < until {
                ready = await httpGet("http://127.0.0.1:\(port)/readyz")?.status == 200
                if !ready { try await Task.sleep(nanoseconds: 200_000_000) }
            }
            #expect(ready, "recovered without a restart: \(web.output)")
            #expect(web.output.contains("database not reachable"), "it said what it was waiting for")
            #expect(!web.output.contains(cfg.password), "the database password is never logged")
            #expect(await web.terminate() == 0)
            await proxy.shutdown()
        }
    }
}
