import Foundation
import Ports

/// A periodic task: at each cron tick, one job is enqueued, however many workers are running.
public struct PeriodicTask: Sendable {
    public let name: String
    public let schedule: CronExpression
    public let job: @Sendable (Date) -> NewJob
    public init(name: String, schedule: CronExpression, job: @escaping @Sendable (Date) -> NewJob) {
        self.name = name; self.schedule = schedule; self.job = job
    }
}

/// Turns periodic tasks into jobs. Each worker evaluates every minute since its last pass (a short
/// catch-up window after a pause); the (task, minute) row in `schedule_ticks` lets exactly one win.
public final class Scheduler: Sendable {
    /// The pseudo-task recorded every minute so `doctor` can show the last scheduler tick.
    public static let livenessTask = "_scheduler"
    public let tasks: [PeriodicTask]
    let db: any SQLDatabase
    let ticks: any ScheduleStore
    let jobs: any JobStore
    let clock: any TimeSource
    let calendar: Calendar
    let log: any DomainLog
    /// How far back a pass looks for minutes it missed (a paused or restarted worker).
    let catchUp: TimeInterval = 5 * 60
    private let lastEvaluated = Mutex_<Date?>(nil)
    public let stopFlag = StopFlag()

    public init(tasks: [PeriodicTask], db: any SQLDatabase, ticks: any ScheduleStore, jobs: any JobStore,
                clock: any TimeSource, timeZone: TimeZone = TimeZone(identifier: "UTC")!, log: any DomainLog) {
        self.tasks = tasks; self.db = db; self.ticks = ticks; self.jobs = jobs; self.clock = clock; self.log = log
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        self.calendar = cal
    }

    /// Evaluates the minutes since the last pass; returns the names of the tasks this process enqueued.
    @discardableResult
    public func tick() async throws -> [String] {
        let now = clock.now()
        let minute = CronExpression.floorToMinute(now)
        let previous = lastEvaluated.get()
        var from = minute
        if let previous {
            from = max(previous.addingTimeInterval(60), minute.addingTimeInterval(-catchUp))
        }
        var enqueued: [String] = []
        var m = from
        while m <= minute {
            let due = tasks.filter { $0.schedule.matches(m, calendar: calendar) }
            let tickAt = m
            let won: [String] = try await db.transaction { tx in
                var names: [String] = []
                _ = try await ticks.claimTick(task: Self.livenessTask, tick: tickAt, now: now, in: tx)
                for task in due where try await ticks.claimTick(task: task.name, tick: tickAt, now: now, in: tx) {
                    _ = try await jobs.enqueue(task.job(tickAt), now: now, in: tx)
                    names.append(task.name)
                }
                return names
            }
            enqueued += won
            m = m.addingTimeInterval(60)
        }
        lastEvaluated.set(minute)
        if !enqueued.isEmpty { log.debug("scheduled periodic tasks", ["tasks": enqueued.joined(separator: ",")]) }
        return enqueued
    }

    /// Ticks every minute (a few seconds past the boundary) until stopped.
    public func run() async {
        while !stopFlag.isStopped && !Task.isCancelled {
            do {
                try await tick()
            } catch {
                log.warning("scheduler tick failed; will retry", ["error": String(describing: error)])
                await stopFlag.sleep(5)
                continue
            }
            let now = clock.now()
            let next = CronExpression.floorToMinute(now).addingTimeInterval(61)
            await stopFlag.sleep(max(1, next.timeIntervalSince(now)))
        }
    }
}
