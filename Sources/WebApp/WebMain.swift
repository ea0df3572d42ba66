import Composition
import Domain
import Foundation
import Hummingbird
import Logging
import Ports
import ServiceLifecycle

@main
struct WebMain {
    static func main() async {
        let config: AppConfig
        do {
            config = try AppConfig.load()
        } catch {
            FileHandle.standardError.write(Data("opsiq-web: \(error)\n".utf8))
            exit(2)
        }
        let logger = Bootstrap.logging(config: config, label: "opsiq.web")
        let services: Services
        do {
            var spool: (any DurableSpool)?
            if config.ingestSpool {
                let dir = (config.dataDir as NSString).appendingPathComponent("spool/web-\(config.port)")
                do {
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    let s = try Adapters_FileSpool(directory: dir, maxPendingBytes: config.ingestSpoolMaxBytes)
                    if s.truncatedTailBytes > 0 { logger.warning("tracking spool: cut \(s.truncatedTailBytes) bytes of an unfinished write (never acknowledged)") }
                    if s.pendingBytes > 0 { logger.notice("tracking spool: \(s.pendingBytes) bytes from the last run will be stored now") }
                    spool = s
                } catch {
                    throw ConfigError("OPSIQ_INGEST_SPOOL", "cannot open the tracking spool in \(dir): \(error)")
                }
            }
            services = try Services.build(config: config, logger: logger, spool: spool)
            services.ingest.startDraining()
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("opsiq-web: \(error)\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("opsiq-web: \(error)\n".utf8))
            exit(1)
        }
        let schema = SchemaState()
        if config.database.isEmbedded {
            do {
                let applied = try await services.migrations.migrate()
                if !applied.isEmpty { logger.info("applied migrations", metadata: ["versions": "\(applied)"]) }
                schema.set(.current)
            } catch {
                FileHandle.standardError.write(Data("opsiq-web: \(error)\n".utf8))
                exit(1)
            }
        } else {
            // A changed migration stops us before serving; an unreachable database does not: we keep retrying.
            do {
                let m = services.migrations
                let pending = try await withTimeout(5) { try await m.verify() }
                schema.set(pending == 0 ? .current : .pending(pending))
                if pending > 0 { logger.warning("\(pending) migration(s) pending: run opsiq-admin migrate; /readyz answers 503 until then") }
            } catch let error as Adapters_MigrationError {
                FileHandle.standardError.write(Data("opsiq-web: \(error)\n".utf8))
                exit(1)
            } catch {
                logger.warning("database not reachable at start; serving /healthz and retrying", metadata: ["error": "\(error)"])
            }
        }
        if case .current = schema.current, (try? await services.setup.needsSetup()) == true {
            logger.notice("Finish setup at \(config.baseURL)/setup?token=\(services.setupToken)")
        }
        do {
            let router = try buildRouter(services: services, schema: schema)
            var extra: [any Service] = [SchemaWatchService(services: services, schema: schema)]
            if config.embeddedWorker {
                extra += services.workerServices(role: "web").services
            }
            let app = Application(
                router: router,
                configuration: .init(address: .hostname(config.host, port: config.port), serverName: "OpsIQ"),
                services: extra,
                onServerRunning: { _ in
                    logger.notice("OpsIQ web listening on \(config.baseURL) (database \(config.database.redacted)\(config.embeddedWorker ? ", embedded worker" : ""))")
                },
                logger: logger)
            var groupConfig = ServiceGroupConfiguration(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            // In-flight requests and jobs get this long to finish after SIGTERM; then the process exits
            // and unfinished jobs are reclaimed by another worker when their lease runs out.
            groupConfig.maximumGracefulShutdownDuration = .seconds(config.shutdownGraceSeconds)
            try await ServiceGroup(configuration: groupConfig).run()
        } catch {
            logger.critical("stopped: \(error)")
            await services.db.shutdown()
            exit(1)
        }
        await services.db.shutdown()
    }
}
