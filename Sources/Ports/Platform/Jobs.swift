import Foundation

public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, done, dead
}

/// A job to enqueue. `uniqueKey` makes enqueueing idempotent while a job with that key is queued or running.
public struct NewJob: Sendable {
    public var kind: String
    public var payload: String
    public var queue: String
    public var workspaceID: WorkspaceID?
    public var runAt: Date?
    public var uniqueKey: String?
    public var maxAttempts: Int
    public init(kind: String, payload: String = "{}", queue: String = "default", workspaceID: WorkspaceID? = nil,
                runAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int = 8) {
        self.kind = kind; self.payload = payload; self.queue = queue; self.workspaceID = workspaceID
        self.runAt = runAt; self.uniqueKey = uniqueKey; self.maxAttempts = maxAttempts
    }
}

public struct JobRecord: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var queue: String
    public var payload: String
    public var workspaceID: WorkspaceID?
    public var status: JobStatus
    /// Attempts started so far, including the current one while running.
    public var attempts: Int
    public var maxAttempts: Int
    public var runAt: Date
    public var leaseUntil: Date?
    public var lockedBy: String?
    public var lastError: String?
    public var uniqueKey: String?
    public var createdAt: Date
    public var finishedAt: Date?
    public init(id: Int64, kind: String, queue: String, payload: String, workspaceID: WorkspaceID?, status: JobStatus, attempts: Int, maxAttempts: Int,
                runAt: Date, leaseUntil: Date?, lockedBy: String?, lastError: String?, uniqueKey: String?, createdAt: Date, finishedAt: Date?) {
        self.id = id; self.kind = kind; self.queue = queue; self.payload = payload; self.workspaceID = workspaceID; self.status = status
        self.attempts = attempts; self.maxAttempts = maxAttempts; self.runAt = runAt; self.leaseUntil = leaseUntil; self.lockedBy = lockedBy
        self.lastError = lastError; self.uniqueKey = uniqueKey; self.createdAt = createdAt; self.finishedAt = finishedAt
    }
}

/// The outcome of `enqueue`: the job's id, and whether an existing job with the same unique key was found instead.
public struct EnqueueResult: Sendable, Equatable {
    public var id: Int64
    public var deduplicated: Bool
    public init(id: Int64, deduplicated: Bool) { self.id = id; self.deduplicated = deduplicated }
}

/// The durable job queue. Claims lease jobs to one worker; a lease that runs out makes the job claimable again.
public protocol JobStore: Sendable {
    func enqueue(_ job: NewJob, now: Date, in tx: any SQLConnection) async throws -> EnqueueResult
    /// Claims up to `limit` due jobs (queued with `run_at <= now`, or running with an expired lease).
    /// Jobs whose expired lease used up their attempts are dead-lettered instead of returned.
    func claim(queues: [String], worker: String, limit: Int, now: Date, leaseFor: TimeInterval) async throws -> [JobRecord]
    /// Requeues running jobs whose lease ran out (their worker died), or dead-letters them when no attempts remain.
    func reclaimExpired(now: Date, limit: Int) async throws -> (requeued: Int, dead: Int)
    /// Marks a job done if `worker` still holds it. Returns false when the lease was lost.
    func complete(id: Int64, worker: String, now: Date) async throws -> Bool
    /// Records a failed attempt: requeued at `retryAt`, or dead when `retryAt` is nil.
    func fail(id: Int64, worker: String, error: String, retryAt: Date?, now: Date) async throws -> Bool
    /// Hands a claimed but unstarted job back to the queue (a draining worker), undoing its attempt.
    func release(id: Int64, worker: String, now: Date) async throws -> Bool
    func extendLease(id: Int64, worker: String, until: Date) async throws -> Bool
    func find(id: Int64) async throws -> JobRecord?
    func list(status: JobStatus?, limit: Int) async throws -> [JobRecord]
    func counts() async throws -> [JobStatus: Int]
    /// Puts a dead (or queued) job back in the queue with a fresh attempt budget. False if no such job.
    func retry(id: Int64, now: Date) async throws -> Bool
    /// Deletes finished jobs older than `before`.
    func prune(before: Date) async throws -> Int
}

/// A periodic task's claim on one tick: exactly one worker wins each (task, tick).
public protocol ScheduleStore: Sendable {
    /// Records the tick; true only for the first caller. Runs inside `tx` so the job it enqueues commits with it.
    func claimTick(task: String, tick: Date, now: Date, in tx: any SQLConnection) async throws -> Bool
    func lastTick(task: String?) async throws -> Date?
    func prune(before: Date) async throws -> Int
}

/// Liveness of worker processes, read by doctor and /metrics.
public struct WorkerHeartbeat: Sendable, Equatable {
    public var workerID: String
    public var host: String
    public var pid: Int
    public var startedAt: Date
    public var lastSeenAt: Date
    public var jobsDone: Int64
    public init(workerID: String, host: String, pid: Int, startedAt: Date, lastSeenAt: Date, jobsDone: Int64) {
        self.workerID = workerID; self.host = host; self.pid = pid; self.startedAt = startedAt; self.lastSeenAt = lastSeenAt; self.jobsDone = jobsDone
    }
}

public protocol WorkerStatusStore: Sendable {
    func beat(_ hb: WorkerHeartbeat) async throws
    func remove(workerID: String) async throws
    func all() async throws -> [WorkerHeartbeat]
}
