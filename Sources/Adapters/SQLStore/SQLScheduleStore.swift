import Foundation
import Ports

/// One row per (task, tick): the primary key makes exactly one worker win each tick.
public struct SQLScheduleStore: ScheduleStore {
    public let db: any SQLDatabase
    public let workerID: String
    public init(db: any SQLDatabase, workerID: String) { self.db = db; self.workerID = workerID }

    public func claimTick(task: String, tick: Date, now: Date, in tx: any SQLConnection) async throws -> Bool {
        let ignore = tx.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
        return try await tx.execute("\(ignore) schedule_ticks (task, tick_at, claimed_at, claimed_by) VALUES (?, ?, ?, ?)",
                                    [.text(task), .int(tick.epochMillis), .int(now.epochMillis), .text(workerID)]).affectedRows == 1
    }

    public func lastTick(task: String?) async throws -> Date? {
        try await db.read { conn in
            let row: SQLRow?
            if let task {
                row = try await conn.queryFirst("SELECT MAX(claimed_at) AS t FROM schedule_ticks WHERE task = ?", [.text(task)])
            } else {
                row = try await conn.queryFirst("SELECT MAX(claimed_at) AS t FROM schedule_ticks")
            }
            return try row?.optionalDate("t")
        }
    }

    public func prune(before: Date) async throws -> Int {
        try await db.write { conn in
            try await conn.execute("DELETE FROM schedule_ticks WHERE tick_at < ?", [.int(before.epochMillis)]).affectedRows
        }
    }
}

public struct SQLWorkerStatusStore: WorkerStatusStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func beat(_ hb: WorkerHeartbeat) async throws {
        let upsert: String
        switch db.dialect {
        case .mariadb:
            upsert = "INSERT INTO worker_heartbeats (worker_id, host, pid, started_at, last_seen_at, jobs_done) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE last_seen_at = VALUES(last_seen_at), jobs_done = VALUES(jobs_done)"
        case .sqlite:
            upsert = "INSERT INTO worker_heartbeats (worker_id, host, pid, started_at, last_seen_at, jobs_done) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, jobs_done = excluded.jobs_done"
        }
        try await db.write { conn in
            try await conn.execute(upsert, [.text(hb.workerID), .text(hb.host), .int(Int64(hb.pid)), .int(hb.startedAt.epochMillis), .int(hb.lastSeenAt.epochMillis), .int(hb.jobsDone)])
        }
    }

    public func remove(workerID: String) async throws {
        try await db.write { conn in
            try await conn.execute("DELETE FROM worker_heartbeats WHERE worker_id = ?", [.text(workerID)])
        }
    }

    public func all() async throws -> [WorkerHeartbeat] {
        try await db.read { conn in
            try await conn.query("SELECT worker_id, host, pid, started_at, last_seen_at, jobs_done FROM worker_heartbeats ORDER BY last_seen_at DESC").map {
                WorkerHeartbeat(workerID: try $0.string("worker_id"), host: try $0.string("host"), pid: Int(try $0.int("pid")),
                                startedAt: try $0.date("started_at"), lastSeenAt: try $0.date("last_seen_at"), jobsDone: try $0.int("jobs_done"))
            }
        }
    }
}
