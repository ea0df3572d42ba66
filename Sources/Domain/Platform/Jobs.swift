import Foundation
import Ports

/// What a handler gets: the job as claimed (attempts already counts this run).
public struct JobContext: Sendable {
    public let job: JobRecord
    public let workerID: String
}

public typealias JobHandler = @Sendable (JobContext) async throws -> Void

/// Thrown by a handler when retrying cannot help (bad payload, deleted target): the job goes dead at once.
public struct PermanentJobFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Thrown by a handler that knows when to try again (a receiver's `Retry-After`).
public struct RetryJobLater: Error, Sendable, CustomStringConvertible {
    public let after: TimeInterval
    public let message: String
    public init(after: TimeInterval, message: String) { self.after = after; self.message = message }
    public var description: String { message }
}

/// The registered handlers, by job kind, each with its retry policy.
public struct JobHandlers: Sendable {
    var handlers: [String: JobHandler] = [:]
    var policies: [String: RetryPolicy] = [:]
    public init() {}

    public mutating func register(_ kind: String, policy: RetryPolicy = .standard, _ handler: @escaping JobHandler) {
        handlers[kind] = handler
        policies[kind] = policy
    }

    public var kinds: [String] { handlers.keys.sorted() }
    func handler(_ kind: String) -> JobHandler? { handlers[kind] }
    func policy(_ kind: String) -> RetryPolicy { policies[kind] ?? .standard }
}

public struct JobRunnerConfig: Sendable {
    public var workerID: String
    public var queues: [String]
    /// Claim loops run side by side in this process.
    public var concurrency: Int
    /// Jobs claimed per round trip by each loop.
    public var batchSize: Int
    public var leaseSeconds: TimeInterval
    public var pollInterval: TimeInterval
    /// How often this worker looks for jobs whose worker died.
    public var reclaimInterval: TimeInterval

    public init(workerID: String, queues: [String] = ["default"], concurrency: Int = 4, batchSize: Int = 8,
                leaseSeconds: TimeInterval = 300, pollInterval: TimeInterval = 0.5, reclaimInterval: TimeInterval = 5) {
        self.workerID = workerID; self.queues = queues; self.concurrency = max(1, concurrency); self.batchSize = max(1, batchSize)
        self.leaseSeconds = leaseSeconds; self.pollInterval = pollInterval; self.reclaimInterval = reclaimInterval
    }
}

/// A cooperative stop flag that sleeping loops check in short slices.
public final class StopFlag: Sendable {
    private let flag = Mutex_(false)
    public init() {}
    public func stop() { flag.set(true) }
    public var isStopped: Bool { flag.get() }

    /// Sleeps up to `seconds`, returning early once stopped or cancelled.
    public func sleep(_ seconds: TimeInterval) async {
        var left = seconds
        while left > 0 && !isStopped && !Task.isCancelled {
            let slice = min(left, 0.05)
            try? await Task.sleep(nanoseconds: UInt64(slice * 1e9))
            left -= slice
        }
    }
}

/// Claims jobs, runs their handlers, and records the outcome. A job whose handler throws is retried
/// with backoff until its attempts run out, then dead-lettered. A job whose worker dies is reclaimed by
/// any worker once its lease expires. Delivery is at least once: handlers must be idempotent.
public final class JobRunner: Sendable {
    public let config: JobRunnerConfig
    let store: any JobStore
    let handlers: JobHandlers
    let clock: any TimeSource
    let random: any RandomSource
    let log: any DomainLog
    public let stopFlag = StopFlag()
    private let done = Mutex_<Int64>(0)
    private let lastReclaim = Mutex_<Date>(.distantPast)
    private let inFlight = Mutex_<Int>(0)

    public init(config: JobRunnerConfig, store: any JobStore, handlers: JobHandlers, clock: any TimeSource,
                random: any RandomSource, log: any DomainLog) {
        self.config = config; self.store = store; self.handlers = handlers; self.clock = clock; self.random = random; self.log = log
    }

    public var jobsDone: Int64 { done.get() }
    public var running: Int { inFlight.get() }

    /// Asks every loop to finish the job in hand and return; claimed jobs not yet started go back to the queue.
    public func requestStop() { stopFlag.stop() }

    /// Runs `concurrency` claim loops until `requestStop()` or cancellation.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<config.concurrency {
                group.addTask { await self.loop() }
            }
        }
    }

    private func loop() async {
        var idle = config.pollInterval
        while !stopFlag.isStopped && !Task.isCancelled {
            await reclaimIfDue()
            let jobs: [JobRecord]
            do {
                jobs = try await store.claim(queues: config.queues, worker: config.workerID, limit: config.batchSize,
                                             now: clock.now(), leaseFor: config.leaseSeconds)
            } catch {
                log.warning("job claim failed; retrying", ["error": String(describing: error)])
                await stopFlag.sleep(min(5, idle * 2))
                idle = min(5, idle * 2)
                continue
            }
            if jobs.isEmpty {
                await stopFlag.sleep(idle)
                idle = min(idle * 1.5, max(config.pollInterval, 2))
                continue
            }
            idle = config.pollInterval
            for (i, job) in jobs.enumerated() {
                if stopFlag.isStopped {
                    await releaseUnstarted(Array(jobs[i...]))
                    break
                }
                await process(job)
            }
        }
    }

    /// One pass for `opsiq-admin cron run-once`: runs due jobs until none are left or `maxJobs` ran.
    public func drain(maxJobs: Int = 10_000, deadline: Date? = nil) async throws -> Int {
        var ran = 0
        _ = try await store.reclaimExpired(now: clock.now(), limit: 500)
        while ran < maxJobs {
            if let deadline, clock.now() >= deadline { break }
            let jobs = try await store.claim(queues: config.queues, worker: config.workerID, limit: min(config.batchSize, maxJobs - ran),
                                             now: clock.now(), leaseFor: config.leaseSeconds)
            if jobs.isEmpty { break }
            for job in jobs { await process(job); ran += 1 }
        }
        return ran
    }

    private func reclaimIfDue() async {
        let now = clock.now()
        let due: Bool = lastReclaim.withLock { last in
            if now.timeIntervalSince(last) >= config.reclaimInterval { last = now; return true }
            return false
        }
        guard due else { return }
        do {
            let r = try await store.reclaimExpired(now: now, limit: 500)
            if r.requeued + r.dead > 0 {
                log.warning("reclaimed jobs whose lease expired", ["requeued": String(r.requeued), "dead": String(r.dead)])
            }
        } catch {
            log.warning("lease reclaim failed", ["error": String(describing: error)])
        }
    }

    private func releaseUnstarted(_ jobs: [JobRecord]) async {
        for job in jobs {
            _ = try? await store.release(id: job.id, worker: config.workerID, now: clock.now())
        }
    }

    /// Runs one claimed job and records its outcome.
    public func process(_ job: JobRecord) async {
        inFlight.withLock { $0 += 1 }
        defer { inFlight.withLock { $0 -= 1 } }
        let meta = ["job_id": String(job.id), "kind": job.kind, "attempt": String(job.attempts)]
        guard let handler = handlers.handler(job.kind) else {
            await recordFailure(job, message: "no handler is registered for job kind '\(job.kind)'", retryAfter: nil, permanent: false)
            return
        }
        do {
            try await withLeaseRenewal(job) {
                try await handler(JobContext(job: job, workerID: self.config.workerID))
            }
        } catch let e as PermanentJobFailure {
            log.warning("job failed permanently", meta.merging(["error": e.message]) { a, _ in a })
            await recordFailure(job, message: e.message, retryAfter: nil, permanent: true)
            return
        } catch let e as RetryJobLater {
            await recordFailure(job, message: e.message, retryAfter: e.after, permanent: false)
            return
        } catch {
            log.warning("job failed", meta.merging(["error": String(describing: error)]) { a, _ in a })
            await recordFailure(job, message: String(describing: error), retryAfter: nil, permanent: false)
            return
        }
        // The handler succeeded: record it, retrying briefly if the database blinks. If it stays down the
        // lease expires and the job runs again (at least once), which is why handlers are idempotent.
        for attempt in 0..<5 {
            do {
                if try await store.complete(id: job.id, worker: config.workerID, now: clock.now()) {
                    done.withLock { $0 += 1 }
                } else {
                    log.warning("job finished after its lease was lost; another worker may run it again", meta)
                }
                return
            } catch {
                await stopFlag.sleep(0.2 * Double(attempt + 1))
            }
        }
        log.error("could not record job completion; it will be retried after its lease expires", meta)
    }

    private func recordFailure(_ job: JobRecord, message: String, retryAfter: TimeInterval?, permanent: Bool) async {
        let now = clock.now()
        var retryAt: Date? = nil
        if !permanent && job.attempts < job.maxAttempts {
            let delay = retryAfter ?? handlers.policy(job.kind).delay(afterAttempt: job.attempts, random: random)
            retryAt = now.addingTimeInterval(delay)
        }
        for attempt in 0..<5 {
            do {
                _ = try await store.fail(id: job.id, worker: config.workerID, error: message, retryAt: retryAt, now: now)
                if retryAt == nil {
                    log.error("job dead-lettered", ["job_id": String(job.id), "kind": job.kind, "attempts": String(job.attempts), "error": message])
                }
                return
            } catch {
                await stopFlag.sleep(0.2 * Double(attempt + 1))
            }
        }
    }

    private func withLeaseRenewal(_ job: JobRecord, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let renewEvery = max(1, config.leaseSeconds / 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(nanoseconds: UInt64(renewEvery * 1e9))
                    _ = try? await self.store.extendLease(id: job.id, worker: self.config.workerID,
                                                          until: self.clock.now().addingTimeInterval(self.config.leaseSeconds))
                }
            }
            // The first child to finish is the handler (the renewer only ends when cancelled).
            do {
                try await group.next()
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }
}
