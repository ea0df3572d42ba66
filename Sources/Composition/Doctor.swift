import Adapters
import Domain
import Foundation
import Ports

/// One diagnostic, with a hint that says how to fix it.
public struct DoctorCheck: Sendable {
    public enum Status: String, Sendable { case ok = "ok", warn = "warn", fail = "FAIL" }
    public var name: String
    public var status: Status
    public var detail: String
    public var fix: String?
}

/// The diagnostics behind `opsiq-admin doctor` (and later Settings > Diagnostics).
public struct Doctor: Sendable {
    public let services: Services
    public init(services: Services) { self.services = services }

    public func run() async -> [DoctorCheck] {
        var out: [DoctorCheck] = []
        let now = services.clock.now()
        let cfg = services.config
        out.append(DoctorCheck(name: "configuration", status: .ok, detail: "database \(cfg.database.redacted), data dir \(cfg.dataDir)", fix: nil))

        var dbUp = false
        do {
            try await withTimeout(5) { try await services.db.ping() }
            dbUp = true
            out.append(DoctorCheck(name: "database", status: .ok, detail: "reachable (\(services.db.dialect.rawValue))", fix: nil))
        } catch {
            out.append(DoctorCheck(name: "database", status: .fail, detail: "not reachable: \(error)",
                                   fix: cfg.database.isEmbedded ? "check that \(cfg.dataDir) is writable and the disk is not full"
                                       : "start MariaDB (systemctl start mariadb) and check OPSIQ_DATABASE_URL host, port, user and password"))
        }

        if dbUp {
            do {
                let pending = try await services.migrations.verify()
                if pending == 0 {
                    out.append(DoctorCheck(name: "migrations", status: .ok, detail: "all \(services.migrations.migrations.count) applied", fix: nil))
                } else {
                    out.append(DoctorCheck(name: "migrations", status: .fail, detail: "\(pending) pending", fix: "run: opsiq-admin migrate"))
                }
            } catch {
                out.append(DoctorCheck(name: "migrations", status: .fail, detail: "\(error)", fix: "restore the original migration files or the matching OpsIQ version"))
            }

            do {
                let beats = try await services.workerStatus.all()
                if let fresh = beats.first(where: { now.timeIntervalSince($0.lastSeenAt) < 60 }) {
                    out.append(DoctorCheck(name: "worker", status: .ok,
                                           detail: "\(beats.filter { now.timeIntervalSince($0.lastSeenAt) < 60 }.count) alive; last heartbeat \(Int(now.timeIntervalSince(fresh.lastSeenAt)))s ago from \(fresh.workerID)", fix: nil))
                } else if let last = beats.first {
                    out.append(DoctorCheck(name: "worker", status: .fail, detail: "last heartbeat \(Int(now.timeIntervalSince(last.lastSeenAt)))s ago (\(last.workerID))",
                                           fix: "start opsiq-worker (systemctl start opsiq-worker), or run opsiq-admin cron run-once from cron every minute"))
                } else {
                    out.append(DoctorCheck(name: "worker", status: cfg.database.isEmbedded ? .warn : .fail, detail: "no worker heartbeat recorded",
                                           fix: "start opsiq-worker, or opsiq-web with OPSIQ_EMBEDDED_WORKER=true, or run opsiq-admin cron run-once every minute"))
                }
            } catch {
                out.append(DoctorCheck(name: "worker", status: .fail, detail: "\(error)", fix: "run opsiq-admin migrate"))
            }

            do {
                if let last = try await SQLScheduleStore(db: services.db, workerID: "doctor").lastTick(task: nil) {
                    let age = Int(now.timeIntervalSince(last))
                    out.append(DoctorCheck(name: "scheduler", status: age <= 300 ? .ok : .fail, detail: "last tick \(age)s ago",
                                           fix: age <= 300 ? nil : "a worker or cron must run every minute: see README, Cron"))
                } else {
                    out.append(DoctorCheck(name: "scheduler", status: .warn, detail: "has never ticked", fix: "start opsiq-worker or add the cron entry: * * * * * opsiq-admin cron run-once"))
                }
                let counts = try await services.jobs.counts()
                let dead = counts[.dead] ?? 0
                out.append(DoctorCheck(name: "jobs", status: dead > 0 ? .warn : .ok,
                                       detail: JobStatus.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", "),
                                       fix: dead > 0 ? "inspect with opsiq-admin jobs dead; retry with opsiq-admin jobs retry ID" : nil))
            } catch {
                out.append(DoctorCheck(name: "scheduler", status: .fail, detail: "\(error)", fix: "run opsiq-admin migrate"))
            }

            do {
                let sites = try await services.db.read { try await services.workspaces.all(in: $0) }
                out.append(DoctorCheck(name: "master key", status: .ok, detail: "opens the secrets of \(sites.count) site(s)", fix: nil))
            } catch {
                out.append(DoctorCheck(name: "master key", status: .fail, detail: "\(error)",
                                       fix: "OPSIQ_MASTER_KEY must be the key the secrets were sealed with; restore it from your backup"))
            }
        }

        do {
            let geo = try GeoIPCountryDatabase(path: cfg.geoIPPath)
            let probe = geo.countryCode(ip: "8.8.8.8") ?? "unknown"
            out.append(DoctorCheck(name: "geoip", status: .ok, detail: "\(cfg.geoIPPath) (8.8.8.8 → \(probe))", fix: nil))
        } catch {
            out.append(DoctorCheck(name: "geoip", status: .warn, detail: "\(error)", fix: "apt-get install geoip-database, or set OPSIQ_GEOIP_PATH; visitors show country Unknown until then"))
        }
        if let city = cfg.geoIPCityPath {
            do {
                let db = try GeoIPCityDatabase(path: city)
                let probe = GeoIPLocator(country: nil, city: db).locate(ip: "8.8.8.8")
                out.append(DoctorCheck(name: "geoip city", status: .ok, detail: "\(city)\(db.v6Path.map { " and \($0)" } ?? "") (8.8.8.8 → \(probe))", fix: nil))
            } catch {
                out.append(DoctorCheck(name: "geoip city", status: .warn, detail: "\(error)", fix: "point OPSIQ_GEOIP_CITY_PATH at a GeoLite City legacy database (GeoLiteCity.dat), or unset it"))
            }
        }

        out.append(diskCheck(path: cfg.dataDir))
        return out
    }

    func diskCheck(path: String) -> DoctorCheck {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard let attrs = try? FileManager.default.attributesOfFileSystem(forPath: path),
              let free = (attrs[.systemFreeSize] as? NSNumber)?.int64Value else {
            return DoctorCheck(name: "disk", status: .warn, detail: "cannot read free space of \(path)", fix: nil)
        }
        let mb = free / 1_048_576
        if mb < 200 { return DoctorCheck(name: "disk", status: .fail, detail: "\(mb) MB free in \(path)", fix: "free disk space or lower data retention") }
        if mb < 1024 { return DoctorCheck(name: "disk", status: .warn, detail: "\(mb) MB free in \(path)", fix: "OpsIQ needs at least 1 GB free") }
        return DoctorCheck(name: "disk", status: .ok, detail: "\(mb / 1024) GB free in \(path)", fix: nil)
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "timed out after \(seconds)s" }
}

/// Runs `body`, giving up after `seconds` even when `body` is stuck in a blocking call that ignores
/// cancellation (a database connect to a host that does not answer): the caller gets the timeout at once
/// and the stuck work finishes, unobserved, in the background.
public func withTimeout<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
        once.install(cont)
        let work = Task {
            do { once.resume(.success(try await body())) } catch { once.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            if once.resume(.failure(TimeoutError(seconds: seconds))) { work.cancel() }
        }
    }
}

final class ResumeOnce<T: Sendable>: Sendable {
    private let state = Mutex_<CheckedContinuation<T, any Error>?>(nil)
    func install(_ c: CheckedContinuation<T, any Error>) { state.set(c) }
    @discardableResult
    func resume(_ r: Result<T, any Error>) -> Bool {
        let c: CheckedContinuation<T, any Error>? = state.withLock { s in
            let c = s
            s = nil
            return c
        }
        guard let c else { return false }
        c.resume(with: r)
        return true
    }
}
