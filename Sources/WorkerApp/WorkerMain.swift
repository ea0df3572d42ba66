import Composition
import Foundation
import Logging
import ServiceLifecycle

/// `opsiq-worker`: runs jobs and the scheduler, writes a heartbeat, drains on SIGTERM.
@main
struct WorkerMain {
    static func main() async {
        if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
            print("""
            usage: opsiq-worker

            Runs OpsIQ's background jobs and periodic tasks against OPSIQ_DATABASE_URL.
            Run as many as you like; each job runs once and each periodic task once per tick.
            Settings (environment or OPSIQ_CONFIG_FILE): \(AppConfig.settingNames.joined(separator: ", "))
            OPSIQ_WORKER_CONCURRENCY sets the jobs run side by side (default 4).
            On SIGTERM or SIGINT it stops claiming, finishes the jobs in hand (up to
            OPSIQ_SHUTDOWN_GRACE_SECONDS) and hands unstarted ones back to the queue.
            """)
            return
        }
        let config: AppConfig
        do { config = try AppConfig.load() } catch {
            FileHandle.standardError.write(Data("opsiq-worker: \(error)\n".utf8))
            exit(2)
        }
        let logger = Bootstrap.logging(config: config, label: "opsiq.worker")
        let services: Services
        do { services = try Services.build(config: config, logger: logger) } catch {
            FileHandle.standardError.write(Data("opsiq-worker: \(error)\n".utf8))
            exit(error is ConfigError ? 2 : 1)
        }
        // Wait for the database and a current schema; a worker must not run jobs against an old schema.
        while true {
            do {
                let m = services.migrations
                // Embedded (SQLite) installs migrate themselves; production waits for `opsiq-admin migrate`.
                let embedded = services.config.database.isEmbedded
                let pending = try await withTimeout(10) {
                    if embedded { _ = try await m.migrate(); return 0 }
                    return try await m.verify()
                }
                if pending == 0 { break }
                logger.warning("\(pending) migration(s) pending: run opsiq-admin migrate; waiting")
            } catch let error as Adapters_MigrationError {
                FileHandle.standardError.write(Data("opsiq-worker: \(error)\n".utf8))
                exit(1)
            } catch {
                logger.warning("database not reachable; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(nanoseconds: 2_000_000_000)
        }
        let (_, workerServices) = services.workerServices(role: "worker")
        var groupConfig = ServiceGroupConfiguration(services: workerServices.map { .init(service: $0) },
                                                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .seconds(config.shutdownGraceSeconds)
        let group = ServiceGroup(configuration: groupConfig)
        do {
            try await group.run()
        } catch {
            logger.error("worker stopped: \(error)")
            await services.db.shutdown()
            exit(1)
        }
        await services.db.shutdown()
        logger.notice("worker drained and stopped")
    }
}
