import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// `/healthz` (the process is alive), `/readyz` (the database answers and the schema is current) and
/// `/metrics` (Prometheus text).
struct HealthRoutes: Sendable {
    let services: Services
    let schema: SchemaState

    func register(on router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("/readyz") { _, _ in await readiness() }
        router.get("/metrics") { _, _ in await metrics() }
    }

    func readiness() async -> Response {
        var checks: [String: JSONValue] = [:]
        var ready = true
        do {
            let db = services.db
            try await withTimeout(2) { try await db.ping() }
            checks["database"] = .string("ok")
        } catch {
            ready = false
            checks["database"] = .string("unreachable")
        }
        if ready, case .current = schema.current {
            checks["migrations"] = .string("current")
        } else if ready {
            // Re-check on demand so /readyz turns green as soon as `opsiq-admin migrate` has run.
            do {
                let m = services.migrations
                let pending = try await withTimeout(3) { try await m.verify() }
                schema.set(pending == 0 ? .current : .pending(pending))
            } catch {
                schema.set(.unknown("\(error)"))
            }
            switch schema.current {
            case .current: checks["migrations"] = .string("current")
            case .pending(let n):
                ready = false
                checks["migrations"] = .string("\(n) pending: run opsiq-admin migrate")
            case .unknown(let why):
                ready = false
                checks["migrations"] = .string("unknown: \(why)")
            }
        } else {
            checks["migrations"] = .string("unknown")
        }
        let body = JSONValue.object(["status": .string(ready ? "ready" : "unavailable"), "checks": .object(checks)]).encoded()
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if !ready { headers[.retryAfter] = "5" }
        return Response(status: ready ? .ok : .serviceUnavailable, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func metrics() async -> Response {
        var out = "# HELP opsiq_up 1 while this process serves.\n# TYPE opsiq_up gauge\nopsiq_up 1\n"
        var dbUp = 0
        let db = services.db
        if (try? await withTimeout(2) { try await db.ping() }) != nil { dbUp = 1 }
        out += "# HELP opsiq_database_up 1 when the database answers.\n# TYPE opsiq_database_up gauge\nopsiq_database_up \(dbUp)\n"
        if dbUp == 1 {
            let jobs = services.jobs
            if let counts = try? await withTimeout(2, { try await jobs.counts() }) {
                out += "# HELP opsiq_jobs Jobs in the durable queue by status.\n# TYPE opsiq_jobs gauge\n"
                for s in JobStatus.allCases { out += "opsiq_jobs{status=\"\(s.rawValue)\"} \(counts[s] ?? 0)\n" }
            }
            let status = services.workerStatus
            let now = services.clock.now()
            if let beats = try? await withTimeout(2, { try await status.all() }) {
                let alive = beats.filter { now.timeIntervalSince($0.lastSeenAt) < 60 }.count
                out += "# HELP opsiq_workers_alive Workers with a heartbeat in the last 60 seconds.\n# TYPE opsiq_workers_alive gauge\nopsiq_workers_alive \(alive)\n"
            }
            let outbox = services.outbox.store
            if let seq = try? await withTimeout(2, { try await db.read { try await outbox.latestSequence(in: $0) } }) {
                out += "# HELP opsiq_outbox_sequence The newest event sequence in the outbox.\n# TYPE opsiq_outbox_sequence gauge\nopsiq_outbox_sequence \(seq)\n"
            }
        }
        let ingest = services.ingest.stats
        out += "# HELP opsiq_ingest_waiting Tracking events queued or being written now.\n# TYPE opsiq_ingest_waiting gauge\nopsiq_ingest_waiting \(ingest.waiting)\n"
        out += "# HELP opsiq_ingest_transactions_total Group-commit transactions of tracking events.\n# TYPE opsiq_ingest_transactions_total counter\n"
        out += "opsiq_ingest_transactions_total{result=\"committed\"} \(ingest.groups)\nopsiq_ingest_transactions_total{result=\"failed\"} \(ingest.failures)\n"
        out += "# HELP opsiq_ingest_events_total Tracking events committed by the group commit.\n# TYPE opsiq_ingest_events_total counter\nopsiq_ingest_events_total \(ingest.events)\n"
        out += "# HELP opsiq_ingest_spool_bytes Tracking events spooled on disk and not yet in the database.\n# TYPE opsiq_ingest_spool_bytes gauge\nopsiq_ingest_spool_bytes \(services.ingest.spooledBytes)\n"
        out += "# HELP opsiq_ingest_write_seconds_total Seconds spent in group-commit transactions.\n# TYPE opsiq_ingest_write_seconds_total counter\nopsiq_ingest_write_seconds_total \(ingest.writeSeconds)\n"
        out += services.metrics.render(help: [
            "opsiq_http_requests_total": "HTTP requests served, by method and status.",
            "opsiq_http_request_duration_seconds_sum": "Total seconds spent serving requests, by method and status.",
        ])
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: out)))
    }
}
