import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// `POST /api/v1.php` (every registered action, with a Bearer API key) and `/api/docs/`.
struct APIRoutes: Sendable {
    let services: Services
    let renderer: Renderer
    static let maxBody = 1_048_576

    func register(on router: Router<AppContext>) {
        router.post("/api/v1.php") { request, ctx in await call(request, ip: ctx.clientIP) }
        // The server Events API: the body of events.send without the action field.
        router.post("/api/v1/events") { request, ctx in await call(request, ip: ctx.clientIP, forcedAction: "events.send") }
        router.get("/api/docs/") { _, _ in
            let actions: [[String: Any]] = services.actions.sorted.map { d in
                ["name": d.name, "summary": d.summary, "scope": d.scope, "risk": d.risk.rawValue, "site": d.workspaceScoped, "api": d.apiKeyAllowed, "hasParams": !d.params.isEmpty,
                 "params": d.params.map { p -> [String: Any] in ["name": p.name, "type": Self.typeName(p.type), "required": p.required, "description": p.description] }]
            }
            return renderer.html("api_docs", ["base": services.config.baseURL, "actions": actions])
        }
        router.get("/api/docs/openapi.json") { _, _ in
            let doc = OpenAPIDocument.make(services.actions, serverURL: services.config.baseURL)
            return Response(status: .ok, headers: [.contentType: "application/json", .accessControlAllowOrigin: "*"],
                            body: .init(byteBuffer: ByteBuffer(string: doc.encoded())))
        }
    }

    static func ok(_ data: JSONValue, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "application/json; charset=utf-8"
        h[.cacheControl] = "no-store"
        return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(["ok": .bool(true), "data": data]).encoded())))
    }

    static func typeName(_ t: ParamType) -> String {
        switch t {
        case .string(_, let e, _): return e.map { "one of " + $0.joined(separator: ", ") } ?? "string"
        case .integer: return "integer"
        case .number: return "number"
        case .boolean: return "boolean"
        case .array(let i, _): return "array of \(typeName(i))"
        case .object: return "object"
        case .any: return "any JSON value"
        }
    }

    func call(_ request: Request, ip: String, forcedAction: String? = nil) async -> Response {
        var rateHeaders: HTTPFields = [:]
        do {
            guard let auth = request.headers[.authorization], auth.lowercased().hasPrefix("bearer ") else {
                throw DomainError.unauthenticated("send your API key as Authorization: Bearer opq_…")
            }
            let key = try await services.apiKeys.authenticate(bearer: String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            let limit = Int(try await services.settings.value("api.rate_limit_per_minute", workspace: nil)?.intValue ?? 60)
            do {
                let state = try await services.apiKeys.hit(key, limit: limit)
                rateHeaders = Self.rateHeaders(state)
            } catch let e as APIKeyService.RateLimited {
                var r = JSONError.response(for: .rateLimited(retryAfter: e.state.retryAfter, limit: e.state.limit))
                for f in Self.rateHeaders(e.state) { r.headers[f.name] = f.value }
                return r
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: Self.maxBody)
            } catch {
                return JSONError.response(.contentTooLarge, code: "body_too_large", message: "the request body is larger than 1 MB", headers: rateHeaders)
            }
            var body: [String: JSONValue]
            switch try? JSONValue.parse(String(buffer: buffer)) {
            case .object(let o)?: body = o
            case nil: return JSONError.response(.badRequest, code: "invalid_json", message: "the body is not valid JSON", headers: rateHeaders)
            default: return JSONError.response(.badRequest, code: "invalid_json", message: "the body must be a JSON object with an \"action\" field", headers: rateHeaders)
            }
            if let forcedAction { body["action"] = .string(forcedAction) }
            guard case .string(let action)? = body["action"], !action.isEmpty else {
                return JSONError.response(.badRequest, code: "missing_action", message: "action: name the action to call, e.g. \"sites.list\"", field: "action", headers: rateHeaders)
            }
            var siteKey: String? = nil
            if let sk = body["site_key"] {
                guard case .string(let s) = sk else {
                    return JSONError.response(.unprocessableContent, code: "invalid_field", message: "site_key: must be a string", field: "site_key", headers: rateHeaders)
                }
                siteKey = s
            }
            let db = services.db, workspaces = services.workspaces
            let data = try await services.actions.invoke(action, actor: .apiKey(key), siteKey: siteKey, params: body, ip: ip) { sk in
                try await db.read { try await workspaces.find(siteKey: sk, in: $0) }
            }
            return Self.ok(data, headers: rateHeaders)
        } catch let e as DomainError {
            var r = JSONError.response(for: e)
            for f in rateHeaders { r.headers[f.name] = f.value }
            return r
        } catch let e as SQLError where e.isUnavailable {
            return JSONError.response(.serviceUnavailable, code: "database_unavailable", message: "The database is temporarily unavailable. Please retry shortly.", headers: [.retryAfter: "5"])
        } catch {
            let ref = String(UInt32.random(in: .min ... .max), radix: 16)
            services.logger.error("API action failed", metadata: ["error": "\(error)", "ref": "\(ref)"])
            return JSONError.response(.internalServerError, code: "internal_error", message: "Something went wrong on our side (reference \(ref)).")
        }
    }

    static func rateHeaders(_ s: APIKeyService.RateState) -> HTTPFields {
        [HTTPField.Name("X-RateLimit-Limit")!: String(s.limit), HTTPField.Name("X-RateLimit-Remaining")!: String(s.remaining),
         HTTPField.Name("X-RateLimit-Reset")!: String(Int(s.resetAt.timeIntervalSince1970))]
    }
}
