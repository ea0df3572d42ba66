import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Ports
import ServiceLifecycle

/// Every route of the web process, listed in one place.
func buildRouter(services: Services, schema: SchemaState) throws -> Router<AppContext> {
    let router = Router(context: AppContext.self)
    router.add(middleware: MetricsMiddleware(metrics: services.metrics))
    router.add(middleware: ClientMiddleware(trusted: services.config.trustedProxies, baseIsHTTPS: services.config.baseURL.hasPrefix("https://"), baseURL: services.config.baseURL))
    router.add(middleware: ErrorMiddleware(logger: services.logger))
    router.add(middleware: BlocklistMiddleware(services: services))
    router.add(middleware: ScriptPathMiddleware(directory: services.enrichment.scriptPaths))
    let renderer = try Renderer()
    HealthRoutes(services: services, schema: schema).register(on: router)
    SetupRoutes(services: services, renderer: renderer).register(on: router)
    APIRoutes(services: services, renderer: renderer).register(on: router)
    AuthRoutes(services: services, renderer: renderer).register(on: router)
    AdminRoutes(services: services, renderer: renderer).register(on: router)
    AttachmentRoutes(services: services).register(on: router)
    BeaconRoutes(services: services).register(on: router)
    PortalRoutes(services: services).register(on: router)
    HookRoutes(services: services).register(on: router)
    // The tracking widget, at the path customers already paste (/widget.php) and at /widget.js;
    // ScriptPathMiddleware also serves it at each site's custom path.
    for path in ["/widget.php", "/widget.js"] {
        router.get(RouterPath(path)) { _, _ in WidgetResponse.make() }
    }
    router.get("/assets/opsiq.css") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: Assets.css)))
    }
    router.get("/assets/opsiq.js") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: Assets.js)))
    }
    return router
}

/// Watches the schema until it is current (MariaDB mode, where `opsiq-admin migrate` applies it), so
/// `/readyz` turns ready without a restart; stops the process if an applied migration was changed.
struct SchemaWatchService: Service {
    let services: Services
    let schema: SchemaState

    func run() async throws {
        let stop = StopFlag()
        try await withGracefulShutdownHandler {
            var announced = false
            while !stop.isStopped && !Task.isCancelled {
                do {
                    let m = services.migrations
                    let pending = try await withTimeout(10) { try await m.verify() }
                    schema.set(pending == 0 ? .current : .pending(pending))
                    if pending == 0 {
                        if !announced { services.logger.info("database reachable and schema current") }
                        announced = true
                        if !services.config.database.isEmbedded, try await services.setup.needsSetup() {
                            services.logger.notice("no Owner yet: finish setup at \(services.config.baseURL)/setup?token=\(services.setupToken)")
                        }
                        return
                    }
                    services.logger.warning("\(pending) migration(s) pending: run opsiq-admin migrate")
                } catch let error as Adapters_MigrationError {
                    services.logger.critical("refusing to serve: \(error)")
                    throw error
                } catch {
                    schema.set(.unknown("\(error)"))
                    services.logger.warning("database not reachable yet; retrying", metadata: ["error": "\(error)"])
                }
                await stop.sleep(2)
            }
        } onGracefulShutdown: {
            stop.stop()
        }
        // Keep running as a quiet service until shutdown, so the group does not treat our return as a failure.
        try? await gracefulShutdown()
    }
}
