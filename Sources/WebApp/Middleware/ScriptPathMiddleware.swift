import Composition
import Domain
import HTTPTypes
import Hummingbird
import NIOCore
import Ports

/// Serves the tracking widget at every site's custom path (`tracking.script_path`, e.g. /js/site.js),
/// besides /widget.php and /widget.js. Only GET/HEAD of a path ending in .js is looked up, against a
/// cached map; any other path, and a .js path no site uses, goes on to the router (and its 404).
struct ScriptPathMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let directory: ScriptPathDirectory

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method == .get || request.method == .head, path.hasSuffix(".js"), path != "/widget.js", !path.hasPrefix("/assets/") else {
            return try await next(request, context)
        }
        guard try await !directory.sites(atPath: path).isEmpty else { return try await next(request, context) }
        return WidgetResponse.make()
    }
}

/// The widget script response, the same at every path it is served from.
enum WidgetResponse {
    static func make() -> Response {
        Response(status: .ok, headers: [.contentType: "application/javascript; charset=utf-8", .cacheControl: "public, max-age=300",
                                        HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                 body: .init(byteBuffer: ByteBuffer(string: WidgetScript.source + "\n")))
    }

    /// The `<script>` tag for a site, with its custom path when it has one.
    static func snippet(_ services: Services, _ site: Workspace) async throws -> String {
        ScriptPath.snippet(baseURL: services.config.baseURL, siteKey: site.siteKey,
                           customPath: try await services.enrichment.scriptPaths.customPath(for: site.id))
    }
}
