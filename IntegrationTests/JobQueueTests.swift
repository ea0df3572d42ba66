import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

@Suite struct JobQueueTests {
    func enqueue(_ t: TestDatabase, _ jobs: [NewJob], clock: any TimeSource) async throws -> [Int64] {
        let store = SQLJobStore(db: t.db)
        return try await t.db.transaction { tx in
            var ids: [Int64] = []
            for j in jobs { ids.append(try await store.enqueue(j, now: clock.now(), in: tx).id) }
            return ids
        }
    }

    func runner(_ t: TestDatabase, id: String, handlers: JobHandlers, clock: any TimeSource, random: any RandomSource = SeededRandom(),
                concurrency: Int = 1, batch: Int = 8, lease: TimeInterval = 30) -> JobRunner {
        JobRunner(config: JobRunnerConfig(workerID: id, concurrency: concurrency, batchSize: batch, leaseSeconds: lease, pollInterval: 0.02, reclaimInterval: 0.5),
                  store: SQLJobStore(db: t.db), handlers: handlers, clock: clock, random: random, log: MemoryLog())
    }

    @Test(arguments: Engine.all)
    func eightWorkersRunFiveThousandJobsExactlyOnce(_ engine: Engine) async throws {
        try await TestDatabase.with(engine, poolSize: 20) { t in
            let clock = SystemClock()
            let total = 5_000
            for chunk in stride(from: 0, to: total, by: 500) {
                _ = try await enqueue(t, (chunk..<min(total, chunk + 500)).map { NewJob(kind: "count", payload: "{\"n\":\($0)}") }, clock: clock)
            }
            let ledger = ExecutionLedger()
            var handlers = JobHandlers()
            handlers.register("count") { ctx in ledger.record(ctx.job.payload) }
            let runners = (0..<8).map { runner(t, id: "w\($0)", handlers: handlers, clock: clock) }
            let store = SQLJobStore(db: t.db)
            await withTaskGroup(of: Void.self) { group in
                for r in runners { group.addTask { await r.run() } }
                group.addTask {
                    let deadline = Date().addingTimeInterval(240)
                    while Date() < deadline {
                        if let c = try? await store.counts(), c[.done] == total { break }
                        try? await Task.sleep(nanoseconds: 50_000_000)
                    }
                    runners.forEach { $0.requestStop() }
                }
            }
            let seen = ledger.snapshot
            #expect(seen.count == total, "every job ran")
            #expect(seen.values.allSatisfy { $0 == 1 }, "no job ran twice")
            let counts = try await store.counts()
            #expect(counts[.done] == total)
            #expect(counts[.queued] == 0 && counts[.running] == 0 && counts[.dead] == 0)
            // Every worker took part (the claim is shared fairly enough that none starved completely).
            #expect(runners.filter { $0.jobsDone > 0 }.count >= 2)
            #expect(runners.reduce(0) { $0 + $1.jobsDone } == Int64(total))
        }
    }

    @Test(arguments: Engine.all)
    func aKilledWorkersJobIsReclaimedAfterItsLease(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock()
            let ids = try await enqueue(t, [NewJob(kind: "work", payload: "{}", maxAttempts: 5)], clock: clock)
            let ledger = ExecutionLedger()
            let hang = Mutex_(true)
            var hangingHandlers = JobHandlers()
            hangingHandlers.register("work") { ctx in
                ledger.record("started-by-\(ctx.workerID)")
                // A worker that dies mid-job never returns; this one stays stuck until the test ends.
                while hang.get() { try? await Task.sleep(nanoseconds: 10_000_000) }
            }
            let dying = runner(t, id: "dying", handlers: hangingHandlers, clock: clock, lease: 60)
            let dyingTask = Task { await dying.process(try! await SQLJobStore(db: t.db).claim(queues: ["default"], worker: "dying", limit: 1, now: clock.now(), leaseFor: 60)[0]) }
            while ledger.count("started-by-dying") == 0 { try await Task.sleep(nanoseconds: 5_000_000) }
            let store = SQLJobStore(db: t.db)
            #expect(try await store.find(id: ids[0])?.status == .running)

            var handlers = JobHandlers()
            handlers.register("work") { ctx in ledger.record("finished-by-\(ctx.workerID)") }
            let rescuer = runner(t, id: "rescuer", handlers: handlers, clock: clock, lease: 60)
            // Before the lease runs out nobody else may take the job.
            clock.advance(59)
            #expect(try await rescuer.drain() == 0)
            // After it, the job is reclaimed and run again.
            clock.advance(2)
            #expect(try await rescuer.drain() == 1)
            let job = try #require(try await store.find(id: ids[0]))
            #expect(job.status == .done)
            #expect(job.attempts == 2, "the killed run counts as an attempt")
            #expect(ledger.count("finished-by-rescuer") == 1)
            // The stuck worker finally returns: its late completion is refused (it lost the lease).
            hang.set(false)
            await dyingTask.value
            #expect(try await store.find(id: ids[0])?.lockedBy == "rescuer")
            #expect(dying.jobsDone == 0)
        }
    }

    @Test func backoffScheduleIsExponentialWithBoundedJitter() {
        let p = RetryPolicy(base: 5, factor: 4, cap: 6 * 3600, jitter: 0.5)
        #expect((1...6).map { p.nominalDelay(afterAttempt: $0) } == [5, 20, 80, 320, 1280, 5120])
        #expect(p.nominalDelay(afterAttempt: 9) == 6 * 3600, "capped")
        #expect(p.delay(afterAttempt: 3, random: FixedRandom(value: 0)) == 80)
        #expect(p.delay(afterAttempt: 3, random: FixedRandom(value: 0.5)) == 60)
        let r = SeededRandom(seed: 9)
        let samples = (0..<200).map { _ in p.delay(afterAttempt: 2, random: r) }
        #expect(samples.allSatisfy { $0 >= 10 && $0 <= 20 })
        #expect(Set(samples).count > 50, "jitter spreads retries")
    }

    @Test(arguments: Engine.all)
    func failedJobsRetryOnTheBackoffScheduleThenGoDead(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock()
            let start = clock.now()
            let ids = try await enqueue(t, [NewJob(kind: "flaky", maxAttempts: 3)], clock: clock)
            var handlers = JobHandlers()
            handlers.register("flaky", policy: RetryPolicy(base: 10, factor: 3, cap: 3600, jitter: 0)) { ctx in
                throw PermanentJobFailureIfThird(attempt: ctx.job.attempts)
            }
            let r = runner(t, id: "w", handlers: handlers, clock: clock)
            let store = SQLJobStore(db: t.db)
            #expect(try await r.drain() == 1)
            var job = try #require(try await store.find(id: ids[0]))
            #expect(job.status == .queued && job.attempts == 1)
            #expect(job.runAt == Date(epochMillis: start.addingTimeInterval(10).epochMillis))
            #expect(job.lastError?.contains("attempt 1 failed") == true)
            clock.advance(9)
            #expect(try await r.drain() == 0, "not due before its backoff")
            clock.advance(1)
            #expect(try await r.drain() == 1)
            job = try #require(try await store.find(id: ids[0]))
            #expect(job.runAt == Date(epochMillis: clock.now().addingTimeInterval(30).epochMillis), "second delay is base·factor")
            clock.advance(30)
            #expect(try await r.drain() == 1)
            job = try #require(try await store.find(id: ids[0]))
            #expect(job.status == .dead, "dead after max attempts")
            #expect(job.attempts == 3)
            #expect(job.finishedAt != nil)
            #expect(try await store.list(status: .dead, limit: 10).map(\.id) == ids)
            clock.advance(3600)
            #expect(try await r.drain() == 0, "dead jobs are never claimed")
            // An operator retries it: fresh attempts, runs again.
            #expect(try await store.retry(id: ids[0], now: clock.now()))
            job = try #require(try await store.find(id: ids[0]))
            #expect(job.status == .queued && job.attempts == 0)
            #expect(try await store.retry(id: 999_999, now: clock.now()) == false)
        }
    }

    struct PermanentJobFailureIfThird: Error, CustomStringConvertible {
        let attempt: Int
        var description: String { "attempt \(attempt) failed" }
    }

    @Test(arguments: Engine.all)
    func permanentFailureDeadLettersAtOnce(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock()
            let ids = try await enqueue(t, [NewJob(kind: "bad", maxAttempts: 8), NewJob(kind: "unknown-kind", maxAttempts: 2)], clock: clock)
            var handlers = JobHandlers()
            handlers.register("bad") { _ in throw PermanentJobFailure("payload references a deleted ticket") }
            let r = runner(t, id: "w", handlers: handlers, clock: clock)
            #expect(try await r.drain() == 2)
            let store = SQLJobStore(db: t.db)
            let bad = try #require(try await store.find(id: ids[0]))
            #expect(bad.status == .dead && bad.attempts == 1)
            #expect(bad.lastError == "payload references a deleted ticket")
            let unknown = try #require(try await store.find(id: ids[1]))
            #expect(unknown.status == .queued, "a kind no handler knows is retried (a newer worker may know it)")
            #expect(unknown.lastError?.contains("no handler") == true)
        }
    }

    @Test(arguments: Engine.all)
    func uniqueKeysDeduplicateWhilePending(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock()
            let store = SQLJobStore(db: t.db)
            let a = try await t.db.transaction { try await store.enqueue(NewJob(kind: "k", uniqueKey: "auto-reply:T-1"), now: clock.now(), in: $0) }
            let b = try await t.db.transaction { try await store.enqueue(NewJob(kind: "k", uniqueKey: "auto-reply:T-1"), now: clock.now(), in: $0) }
            let c = try await t.db.transaction { try await store.enqueue(NewJob(kind: "k", uniqueKey: "auto-reply:T-2"), now: clock.now(), in: $0) }
            #expect(!a.deduplicated && b.deduplicated && !c.deduplicated)
            #expect(a.id == b.id && a.id != c.id)
            #expect(try await store.counts()[.queued] == 2)
            var handlers = JobHandlers()
            handlers.register("k") { _ in }
            #expect(try await runner(t, id: "w", handlers: handlers, clock: clock).drain() == 2)
            // Once done, the key is free again.
            let d = try await t.db.transaction { try await store.enqueue(NewJob(kind: "k", uniqueKey: "auto-reply:T-1"), now: clock.now(), in: $0) }
            #expect(!d.deduplicated && d.id != a.id)
        }
    }

    @Test(arguments: Engine.all)
    func runAtDelaysAndRolledBackEnqueues(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock()
            let store = SQLJobStore(db: t.db)
            _ = try await enqueue(t, [NewJob(kind: "k", runAt: clock.now().addingTimeInterval(120))], clock: clock)
            struct Abort: Error {}
            do {
                try await t.db.transaction { tx in
                    _ = try await store.enqueue(NewJob(kind: "k", payload: "{\"ghost\":true}"), now: clock.now(), in: tx)
                    throw Abort()
                }
            } catch is Abort {}
            let ledger = ExecutionLedger()
            var handlers = JobHandlers()
            handlers.register("k") { ctx in ledger.record(ctx.job.payload) }
            let r = runner(t, id: "w", handlers: handlers, clock: clock)
            #expect(try await r.drain() == 0, "a delayed job waits; a rolled-back one never existed")
            clock.advance(121)
            #expect(try await r.drain() == 1)
            #expect(ledger.snapshot == ["{}": 1])
        }
    }

    @Test(arguments: Engine.all)
    func stoppingHandsUnstartedJobsBack(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = SystemClock()
            _ = try await enqueue(t, (0..<6).map { NewJob(kind: "slow", payload: "{\"n\":\($0)}") }, clock: clock)
            let started = ExecutionLedger()
            let gate = Mutex_(true)
            var handlers = JobHandlers()
            handlers.register("slow") { ctx in
                started.record(ctx.job.payload)
                while gate.get() { try await Task.sleep(nanoseconds: 5_000_000) }
            }
            let r = runner(t, id: "draining", handlers: handlers, clock: clock, batch: 6)
            let task = Task { await r.run() }
            while started.snapshot.isEmpty { try await Task.sleep(nanoseconds: 5_000_000) }
            r.requestStop()
            gate.set(false)
            await task.value
            let store = SQLJobStore(db: t.db)
            let counts = try await store.counts()
            #expect(counts[.done] == 1, "the job in hand finished")
            #expect(counts[.queued] == 5, "unstarted jobs went back to the queue")
            #expect(counts[.running] == 0)
            #expect(try await store.list(status: .queued, limit: 10).allSatisfy { $0.attempts == 0 && $0.lockedBy == nil })
        }
    }
}

@Suite struct SchedulerTests {
    @Test(arguments: Engine.all)
    func eachTickRunsOnceHoweverManyWorkers(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-11-25T10:00:20Z")!)
            let tasks = [
                PeriodicTask(name: "every-minute", schedule: try CronExpression("* * * * *")) { tick in NewJob(kind: "tick", payload: "{\"at\":\(tick.epochMillis)}") },
                PeriodicTask(name: "quarter-hour", schedule: try CronExpression("*/15 * * * *")) { _ in NewJob(kind: "quarter") },
            ]
            let jobs = SQLJobStore(db: t.db)
            let schedulers = (0..<5).map { i in
                Scheduler(tasks: tasks, db: t.db, ticks: SQLScheduleStore(db: t.db, workerID: "w\(i)"), jobs: jobs, clock: clock, log: MemoryLog())
            }
            func tickAll() async throws -> [String] {
                try await withThrowingTaskGroup(of: [String].self) { group in
                    for s in schedulers { group.addTask { try await s.tick() } }
                    var all: [String] = []
                    for try await r in group { all += r }
                    return all
                }
            }
            #expect(try await tickAll().sorted() == ["every-minute", "quarter-hour"], "10:00 is both ticks, each enqueued once")
            #expect(try await tickAll().isEmpty, "same minute again: nothing")
            clock.advance(60)
            #expect(try await tickAll() == ["every-minute"])
            // A pause of three minutes is caught up minute by minute.
            clock.advance(180)
            #expect(try await tickAll().count == 3)
            let queued = try await jobs.list(status: .queued, limit: 100)
            #expect(queued.filter { $0.kind == "tick" }.count == 5)
            #expect(queued.filter { $0.kind == "quarter" }.count == 1)
            #expect(try await SQLScheduleStore(db: t.db, workerID: "x").lastTick(task: Scheduler.livenessTask) != nil)
        }
    }
}
