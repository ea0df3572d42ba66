import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// Inbound webhooks: `POST /hooks/<token>` (an automation's own URL) and `POST /connectors.php?slug=…`
/// (a platform's signed deliveries, Stripe first). Both answer JSON; neither needs a session or API key:
/// the unguessable token, or the platform's signature, is the credential.
struct HookRoutes: Sendable {
    let services: Services
    static let maxBody = 256 * 1024

    func register(on router: Router<AppContext>) {
        router.post("/hooks/:token") { request, ctx in await hook(request, ctx) }
        router.post("/connectors.php") { request, _ in await platform(request) }
    }

    static func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: body.encoded())))
    }

    static func headers(_ request: Request) -> [String: String] {
        var h: [String: String] = [:]
        for f in request.headers { h[f.name.canonicalName.lowercased()] = f.value }
        return h
    }

    func body(_ request: Request) async -> [UInt8]? {
        guard let buf = try? await request.body.collect(upTo: Self.maxBody) else { return nil }
        return Array(buf.readableBytesView)
    }

    func hook(_ request: Request, _ ctx: AppContext) async -> Response {
        guard let bytes = await body(request) else {
            return JSONError.response(.contentTooLarge, code: "body_too_large", message: "the body is larger than 256 KB")
        }
        var query: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
        do {
            guard let run = try await services.automations.receiveHook(token: ctx.parameters.get("token") ?? "", headers: Self.headers(request), query: query,
                                                                        body: bytes, contentType: request.headers[.contentType] ?? "") else {
                return Self.json(.ok, .object(["ok": .bool(true), "duplicate": .bool(true)]))
            }
            return Self.json(run.status == .skipped ? .ok : .accepted,
                             .object(["ok": .bool(true), "run_id": .int(run.id), "status": .string(run.status.rawValue)]))
        } catch let e as DomainError {
            return JSONError.response(for: e)
        } catch {
            services.logger.error("inbound hook failed", metadata: ["error": "\(error)"])
            return JSONError.response(.internalServerError, code: "internal_error", message: "Something went wrong on our side; retry later.")
        }
    }

    func platform(_ request: Request) async -> Response {
        let slug = request.uri.queryParameters.get("slug") ?? ""
        guard !slug.isEmpty else { return JSONError.response(.badRequest, code: "missing_slug", message: "slug: name the platform, e.g. ?slug=stripe", field: "slug") }
        guard let bytes = await body(request) else {
            return JSONError.response(.contentTooLarge, code: "body_too_large", message: "the body is larger than 256 KB")
        }
        do {
            let r = try await services.platformWebhooks.receive(slug: slug, siteKey: request.uri.queryParameters.get("site_key"), headers: Self.headers(request), body: bytes)
            return Self.json(.ok, .object(["received": .bool(true), "type": .string(r.type), "duplicate": .bool(r.duplicate),
                                           "published": .array(r.published.map { .string($0) })]))
        } catch let e as InboundWebhookRejection {
            return JSONError.response(.badRequest, code: "rejected", message: e.reason)
        } catch let e as DomainError {
            return JSONError.response(for: e)
        } catch {
            services.logger.error("platform webhook failed", metadata: ["slug": "\(slug)", "error": "\(error)"])
            return JSONError.response(.internalServerError, code: "internal_error", message: "Something went wrong on our side; the platform will retry.")
        }
    }
}
