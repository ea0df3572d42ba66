import Adapters
import Composition
import Domain
import Foundation
import Hummingbird
import HummingbirdTesting
import Ports
import Testing
@testable import WebApp

/// The database goes away and comes back. What must survive: the web process (it answers 503 JSON and
/// recovers on its own), every committed job (each runs to completion once the database is back), and
/// nothing a client sees is a stack trace.
@Suite(.serialized) struct FaultTests {
    /// Services whose MariaDB connections go through `proxy`.
    func servicesThroughProxy(_ t: TestDatabase, _ proxy: TCPProxy, clock: any TimeSource = SystemClock()) throws -> Services {
        var cfg = try #require(t.mariaConfig)
        cfg.host = "127.0.0.1"
        cfg.port = proxy.port
        cfg.unixSocket = nil
        cfg.connectTimeoutSeconds = 2
        let db = MariaDBDatabase(config: cfg, logger: TestDatabase.logger)
        let sealed = try makeServices(t)
        return Services(config: sealed.config, logger: TestDatabase.logger, db: db, clock: clock, random: SystemRandom(),
                        secrets: sealed.secrets, setupToken: sealed.setupToken)
    }

    static func body(_ r: TestResponse) -> String { String(buffer: r.body) }

    @Test(arguments: Engine.mariadbOnly)
    func databaseDownAtStartThenBack(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let cfg = try #require(t.mariaConfig)
            let proxy = try TCPProxy(targetHost: cfg.host, targetPort: cfg.port)
            let services = try servicesThroughProxy(t, proxy)
            let app = Application(router: try buildRouter(services: services, schema: SchemaState()))
            try await app.test(.router) { client in
                try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
                try await client.execute(uri: "/readyz", method: .get) { r in
                    #expect(r.status == .serviceUnavailable)
                    #expect(r.headers[.retryAfter] != nil)
                    #expect(Self.body(r).contains("\"database\":\"unreachable\""))
                }
                try await client.execute(uri: "/", method: .get) { r in
                    #expect(r.status == .serviceUnavailable)
                    #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                    let text = Self.body(r)
                    #expect(text.contains("\"code\":\"database_unavailable\""))
                    #expect(!text.contains("SQLError") && !text.contains("mysql") && !text.contains(".swift"), "no internals leak")
                }
                // The database comes back: readiness recovers without a restart.
                try await proxy.start()
                var ready = false
                for _ in 0..<50 where !ready {
                    try await client.execute(uri: "/readyz", method: .get) { r in ready = r.status == .ok }
                    if !ready { try await Task.sleep(nanoseconds: 200_000_000) }
                }
                #expect(ready)
                try await client.execute(uri: "/", method: .get) { r in
                    #expect(r.status == .seeOther)
                    #expect(r.headers[.location] == "/setup")
                }
            }
            await services.db.shutdown()
            await proxy.shutdown()
        }
    }

    @Test(arguments: Engine.mariadbOnly)
    func databaseLostMidRunLosesNoJob(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let cfg = try #require(t.mariaConfig)
            let proxy = try TCPProxy(targetHost: cfg.host, targetPort: cfg.port)
            try await proxy.start()
            let services = try servicesThroughProxy(t, proxy)
            let total = 300
            try await services.db.transaction { tx in
                for i in 0..<total { _ = try await services.jobs.enqueue(NewJob(kind: "work", payload: "{\"n\":\(i)}", maxAttempts: 20), now: Date(), in: tx) }
            }
            let ledger = ExecutionLedger()
            var handlers = JobHandlers()
            handlers.register("work", policy: RetryPolicy(base: 0.2, factor: 2, cap: 2, jitter: 0.5)) { ctx in
                try await Task.sleep(nanoseconds: 3_000_000)
                ledger.record(ctx.job.payload)
            }
            let runner = JobRunner(config: JobRunnerConfig(workerID: "fault", concurrency: 4, batchSize: 4, leaseSeconds: 3, pollInterval: 0.05, reclaimInterval: 0.5),
                                   store: services.jobs, handlers: handlers, clock: SystemClock(), random: SystemRandom(), log: MemoryLog())
            let direct = SQLJobStore(db: t.db)  // bypasses the proxy, to watch progress
            let app = Application(router: try buildRouter(services: services, schema: SchemaState()))
            try await app.test(.router) { client in
                let running = Task { await runner.run() }
                while ledger.snapshot.count < 60 { try await Task.sleep(nanoseconds: 5_000_000) }
                // The database "restarts": open connections are cut and new ones refused for two seconds.
                await proxy.stop()
                try await client.execute(uri: "/", method: .get) { r in
                    #expect(r.status == .serviceUnavailable)
                    #expect(Self.body(r).contains("database_unavailable"))
                }
                try await client.execute(uri: "/readyz", method: .get) { r in #expect(r.status == .serviceUnavailable) }
                try await Task.sleep(nanoseconds: 2_000_000_000)
                try await proxy.start()
                let deadline = Date().addingTimeInterval(90)
                while Date() < deadline {
                    if let c = try? await direct.counts(), c[.done] == total { break }
                    try await Task.sleep(nanoseconds: 100_000_000)
                }
                runner.requestStop()
                await running.value
                try await client.execute(uri: "/readyz", method: .get) { r in #expect(r.status == .ok) }
            }
            let counts = try await direct.counts()
            #expect(counts[.done] == total, "every committed job completed after the database came back")
            #expect(counts[.dead] == 0 && counts[.queued] == 0 && counts[.running] == 0)
            // At least once: a job whose completion could not be recorded may have run twice, never zero times.
            #expect(ledger.snapshot.count == total)
            await services.db.shutdown()
            await proxy.shutdown()
        }
    }
}
