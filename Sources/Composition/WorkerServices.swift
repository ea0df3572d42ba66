import Domain
import Foundation
import Logging
import Ports
import ServiceLifecycle

/// The job runner as a lifecycle service: on graceful shutdown it stops claiming, finishes the jobs in hand
/// and hands unstarted ones back to the queue.
public struct JobRunnerService: Service {
    public let runner: JobRunner
    public init(runner: JobRunner) { self.runner = runner }
    public func run() async throws {
        await withGracefulShutdownHandler {
            await runner.run()
        } onGracefulShutdown: {
            runner.requestStop()
        }
    }
}

public struct SchedulerService: Service {
    public let scheduler: Scheduler
    public init(scheduler: Scheduler) { self.scheduler = scheduler }
    public func run() async throws {
        await withGracefulShutdownHandler {
            await scheduler.run()
        } onGracefulShutdown: {
            scheduler.stopFlag.stop()
        }
    }
}

/// Writes this worker's heartbeat every `interval` seconds; removes it on shutdown.
public struct HeartbeatService: Service {
    public let workerID: String
    public let store: any WorkerStatusStore
    public let clock: any TimeSource
    public let runner: JobRunner
    public let interval: TimeInterval
    public let logger: Logger
    let startedAt: Date

    public init(workerID: String, store: any WorkerStatusStore, clock: any TimeSource, runner: JobRunner, interval: TimeInterval = 10, logger: Logger) {
        self.workerID = workerID; self.store = store; self.clock = clock; self.runner = runner; self.interval = interval; self.logger = logger
        self.startedAt = clock.now()
    }

    public func run() async throws {
        let stop = StopFlag()
        await withGracefulShutdownHandler {
            while !stop.isStopped && !Task.isCancelled {
                do {
                    try await store.beat(WorkerHeartbeat(workerID: workerID, host: ProcessInfo.processInfo.hostName,
                                                         pid: Int(ProcessInfo.processInfo.processIdentifier), startedAt: startedAt,
                                                         lastSeenAt: clock.now(), jobsDone: runner.jobsDone))
                } catch {
                    logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
                }
                await stop.sleep(interval)
            }
        } onGracefulShutdown: {
            stop.stop()
        }
        try? await store.remove(workerID: workerID)
    }
}

extension Services {
    /// The worker's three services (runner, scheduler, heartbeat), used by `opsiq-worker` and by
    /// `opsiq-web` in embedded mode.
    public func workerServices(role: String, concurrency: Int? = nil) -> (runner: JobRunner, services: [any Service]) {
        let id = newWorkerID(role: role)
        let runner = makeRunner(workerID: id, concurrency: concurrency)
        let scheduler = makeScheduler(workerID: id)
        logger.info("worker starting", metadata: ["worker_id": "\(id)", "concurrency": "\(runner.config.concurrency)", "kinds": "\(jobHandlers().kinds.joined(separator: ","))"])
        return (runner, [JobRunnerService(runner: runner), SchedulerService(scheduler: scheduler),
                         HeartbeatService(workerID: id, store: workerStatus, clock: clock, runner: runner, logger: logger),
                         makeWebhookService(workerID: id)])
    }
}
