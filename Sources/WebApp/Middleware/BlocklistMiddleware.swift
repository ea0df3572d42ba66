import Composition
import Domain
import HTTPTypes
import Hummingbird

/// Refuses clients on the installation-wide blocklist everywhere but the health endpoints (which
/// load balancers and monitors call). Site-specific entries are checked by tracking itself.
struct BlocklistMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: Services
    static let open: Set<String> = ["/healthz", "/readyz", "/metrics"]

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        if !Self.open.contains(request.uri.path), let block = try await services.blocklist.match(context.clientIP) {
            services.logger.notice("blocked request", metadata: ["ip": "\(context.clientIP)", "entry": "\(block.cidr)", "path": "\(request.uri.path)"])
            if request.uri.path.hasPrefix("/api/") {
                return JSONError.response(.forbidden, code: "blocked", message: "requests from your address are blocked by this OpsIQ installation")
            }
            return Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "Access from your address is blocked by this OpsIQ installation.")))
        }
        return try await next(request, context)
    }
}
