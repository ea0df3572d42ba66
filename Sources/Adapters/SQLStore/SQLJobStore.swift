import Foundation
import Ports

/// The job queue over the SQL driver port. On MariaDB claims use `FOR UPDATE SKIP LOCKED`, so any number
/// of workers claim disjoint jobs without waiting on each other; on SQLite the single writer serializes them.
public struct SQLJobStore: JobStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static let columns = "id, queue, kind, payload, workspace_id, status, attempts, max_attempts, run_at, lease_until, locked_by, last_error, unique_key, created_at, finished_at"

    static func decode(_ r: SQLRow) throws -> JobRecord {
        JobRecord(
            id: try r.int("id"), kind: try r.string("kind"), queue: try r.string("queue"), payload: try r.string("payload"),
            workspaceID: try r.optionalInt("workspace_id").map(WorkspaceID.init),
            status: JobStatus(rawValue: try r.string("status")) ?? .dead,
            attempts: Int(try r.int("attempts")), maxAttempts: Int(try r.int("max_attempts")),
            runAt: try r.date("run_at"), leaseUntil: try r.optionalDate("lease_until"), lockedBy: try r.optionalString("locked_by"),
            lastError: try r.optionalString("last_error"), uniqueKey: try r.optionalString("unique_key"),
            createdAt: try r.date("created_at"), finishedAt: try r.optionalDate("finished_at"))
    }

    public func enqueue(_ job: NewJob, now: Date, in tx: any SQLConnection) async throws -> EnqueueResult {
        let binds: [SQLValue] = [
            .text(job.queue), .text(job.kind), .text(job.payload), SQLValue(job.workspaceID?.raw),
            .int(Int64(max(1, job.maxAttempts))), .int((job.runAt ?? now).epochMillis), SQLValue(job.uniqueKey),
            .int(now.epochMillis), .int(now.epochMillis),
        ]
        let insert = "INSERT INTO jobs (queue, kind, payload, workspace_id, status, attempts, max_attempts, run_at, unique_key, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?)"
        guard let key = job.uniqueKey else {
            let r = try await tx.execute(insert, binds)
            return EnqueueResult(id: r.lastInsertID, deduplicated: false)
        }
        // A duplicate key fails only this statement (both engines keep the transaction), so the caller's
        // transaction goes on with the existing job's id.
        do {
            let r = try await tx.execute(insert, binds)
            return EnqueueResult(id: r.lastInsertID, deduplicated: false)
        } catch SQLError.uniqueViolation {
            guard let row = try await tx.queryFirst("SELECT id FROM jobs WHERE unique_key = ?", [.text(key)]) else {
                throw SQLError.retryable(message: "job with unique key \(key) finished while enqueueing; retry")
            }
            return EnqueueResult(id: try row.int("id"), deduplicated: true)
        }
    }

    public func claim(queues: [String], worker: String, limit: Int, now: Date, leaseFor: TimeInterval) async throws -> [JobRecord] {
        guard !queues.isEmpty, limit > 0 else { return [] }
        let placeholders = Array(repeating: "?", count: queues.count).joined(separator: ", ")
        let lock = db.dialect == .mariadb ? " FOR UPDATE SKIP LOCKED" : ""
        let leaseUntil = now.addingTimeInterval(leaseFor).epochMillis
        return try await db.transaction { tx in
            let rows = try await tx.query(
                "SELECT \(Self.columns) FROM jobs WHERE status = 'queued' AND queue IN (\(placeholders)) AND run_at <= ? ORDER BY run_at, id LIMIT ?\(lock)",
                queues.map { SQLValue.text($0) } + [.int(now.epochMillis), .int(Int64(limit))])
            if rows.isEmpty { return [] }
            var jobs = try rows.map(Self.decode)
            let ids = jobs.map { SQLValue.int($0.id) }
            let idList = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            try await tx.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = ?, locked_by = ?, updated_at = ? WHERE id IN (\(idList))",
                [.int(leaseUntil), .text(worker), .int(now.epochMillis)] + ids)
            for i in jobs.indices {
                jobs[i].status = .running
                jobs[i].attempts += 1
                jobs[i].leaseUntil = Date(epochMillis: leaseUntil)
                jobs[i].lockedBy = worker
            }
            return jobs
        }
    }

    /// Makes jobs whose lease ran out (their worker died) claimable again, or dead when their attempts are used up.
    public func reclaimExpired(now: Date, limit: Int = 500) async throws -> (requeued: Int, dead: Int) {
        let lock = db.dialect == .mariadb ? " FOR UPDATE SKIP LOCKED" : ""
        return try await db.transaction { tx in
            let rows = try await tx.query(
                "SELECT id, attempts, max_attempts, locked_by FROM jobs WHERE status = 'running' AND lease_until < ? ORDER BY lease_until LIMIT ?\(lock)",
                [.int(now.epochMillis), .int(Int64(limit))])
            var requeued = 0, dead = 0
            for r in rows {
                let id = try r.int("id")
                let who = try r.optionalString("locked_by") ?? "?"
                if try r.int("attempts") >= (try r.int("max_attempts")) {
                    try await tx.execute(
                        "UPDATE jobs SET status = 'dead', lease_until = NULL, locked_by = NULL, unique_key = NULL, finished_at = ?, updated_at = ?, last_error = ? WHERE id = ? AND status = 'running'",
                        [.int(now.epochMillis), .int(now.epochMillis), .text("lease expired on worker \(who) and no attempts remain"), .int(id)])
                    dead += 1
                } else {
                    try await tx.execute(
                        "UPDATE jobs SET status = 'queued', lease_until = NULL, locked_by = NULL, run_at = ?, updated_at = ?, last_error = ? WHERE id = ? AND status = 'running'",
                        [.int(now.epochMillis), .int(now.epochMillis), .text("lease expired on worker \(who); reclaimed"), .int(id)])
                    requeued += 1
                }
            }
            return (requeued, dead)
        }
    }

    public func complete(id: Int64, worker: String, now: Date) async throws -> Bool {
        try await db.write { conn in
            try await conn.execute(
                "UPDATE jobs SET status = 'done', lease_until = NULL, unique_key = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND locked_by = ? AND status = 'running'",
                [.int(now.epochMillis), .int(now.epochMillis), .int(id), .text(worker)]).affectedRows == 1
        }
    }

    public func fail(id: Int64, worker: String, error: String, retryAt: Date?, now: Date) async throws -> Bool {
        let message = String(error.prefix(4000))
        return try await db.write { conn in
            if let retryAt {
                return try await conn.execute(
                    "UPDATE jobs SET status = 'queued', lease_until = NULL, locked_by = NULL, run_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND locked_by = ? AND status = 'running'",
                    [.int(retryAt.epochMillis), .text(message), .int(now.epochMillis), .int(id), .text(worker)]).affectedRows == 1
            }
            return try await conn.execute(
                "UPDATE jobs SET status = 'dead', lease_until = NULL, locked_by = NULL, unique_key = NULL, last_error = ?, finished_at = ?, updated_at = ? WHERE id = ? AND locked_by = ? AND status = 'running'",
                [.text(message), .int(now.epochMillis), .int(now.epochMillis), .int(id), .text(worker)]).affectedRows == 1
        }
    }

    public func release(id: Int64, worker: String, now: Date) async throws -> Bool {
        try await db.write { conn in
            try await conn.execute(
                "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_until = NULL, locked_by = NULL, updated_at = ? WHERE id = ? AND locked_by = ? AND status = 'running'",
                [.int(now.epochMillis), .int(id), .text(worker)]).affectedRows == 1
        }
    }

    public func extendLease(id: Int64, worker: String, until: Date) async throws -> Bool {
        try await db.write { conn in
            try await conn.execute("UPDATE jobs SET lease_until = ? WHERE id = ? AND locked_by = ? AND status = 'running'",
                                   [.int(until.epochMillis), .int(id), .text(worker)]).affectedRows == 1
        }
    }

    public func find(id: Int64) async throws -> JobRecord? {
        try await db.read { conn in
            try await conn.queryFirst("SELECT \(Self.columns) FROM jobs WHERE id = ?", [.int(id)]).map(Self.decode)
        }
    }

    public func list(status: JobStatus?, limit: Int) async throws -> [JobRecord] {
        try await db.read { conn in
            if let status {
                return try await conn.query("SELECT \(Self.columns) FROM jobs WHERE status = ? ORDER BY id DESC LIMIT ?",
                                            [.text(status.rawValue), .int(Int64(limit))]).map(Self.decode)
            }
            return try await conn.query("SELECT \(Self.columns) FROM jobs ORDER BY id DESC LIMIT ?", [.int(Int64(limit))]).map(Self.decode)
        }
    }

    public func counts() async throws -> [JobStatus: Int] {
        try await db.read { conn in
            var out: [JobStatus: Int] = [:]
            for s in JobStatus.allCases { out[s] = 0 }
            for r in try await conn.query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status") {
                if let s = JobStatus(rawValue: try r.string("status")) { out[s] = Int(try r.int("n")) }
            }
            return out
        }
    }

    public func retry(id: Int64, now: Date) async throws -> Bool {
        try await db.write { conn in
            try await conn.execute(
                "UPDATE jobs SET status = 'queued', attempts = 0, run_at = ?, lease_until = NULL, locked_by = NULL, finished_at = NULL, updated_at = ? WHERE id = ? AND status IN ('dead', 'queued')",
                [.int(now.epochMillis), .int(now.epochMillis), .int(id)]).affectedRows == 1
        }
    }

    public func prune(before: Date) async throws -> Int {
        try await db.write { conn in
            try await conn.execute("DELETE FROM jobs WHERE status = 'done' AND finished_at < ?", [.int(before.epochMillis)]).affectedRows
        }
    }
}
