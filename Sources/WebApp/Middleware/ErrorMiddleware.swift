import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Ports

/// Turns every error into a clear response: 503 JSON when the database is unavailable, 422 naming the
/// field for validation errors, 409 for conflicts, and a generic 500 (details in the log only). A stack
/// trace or an engine message never reaches the client.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch let error as SQLError where error.isUnavailable {
            logger.warning("database unavailable", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return JSONError.response(.serviceUnavailable, code: "database_unavailable",
                                      message: "The database is temporarily unavailable. Please retry shortly.",
                                      headers: [.retryAfter: "5"])
        } catch is CSRFRejected {
            return Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "The form expired or did not come from this site (CSRF check failed). Go back, reload the page and try again.")))
        } catch let error as DomainError {
            return JSONError.response(for: error)
        } catch {
            let ref = String(UInt32.random(in: .min ... .max), radix: 16)
            logger.error("unhandled error", metadata: ["path": "\(request.uri.path)", "error": "\(error)", "ref": "\(ref)"])
            return JSONError.response(.internalServerError, code: "internal_error", message: "Something went wrong on our side (reference \(ref)).")
        }
    }
}

enum JSONError {
    /// The one mapping from domain errors to HTTP statuses and error codes.
    static func response(for error: DomainError) -> Response {
        switch error {
        case .validation(let field, let message):
            return response(.unprocessableContent, code: "invalid_field", message: "\(field): \(message)", field: field)
        case .conflict(let message):
            return response(.conflict, code: "conflict", message: message)
        case .notFound(let message):
            return response(.notFound, code: "not_found", message: message)
        case .forbidden(let message):
            return response(.forbidden, code: "forbidden", message: message)
        case .unauthenticated(let message):
            return response(.unauthorized, code: "unauthenticated", message: message, headers: [.wwwAuthenticate: "Bearer"])
        case .rateLimited(let after, let limit):
            return response(.tooManyRequests, code: "rate_limited", message: "rate limit of \(limit) requests a minute reached; retry in \(after) s",
                            headers: [.retryAfter: String(after)])
        }
    }

    static func response(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, headers: HTTPFields = [:]) -> Response {
        var err: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let field { err["field"] = .string(field) }
        let body = JSONValue.object(["ok": .bool(false), "error": .object(err)]).encoded()
        var h = headers
        h[.contentType] = "application/json; charset=utf-8"
        h[.cacheControl] = "no-store"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Counts requests by method and status for `/metrics`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: Composition.MetricsRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, status: Int(response.status.code), start: start)
            return response
        } catch let error as any HTTPResponseError {
            record(request, status: Int(error.status.code), start: start)
            throw error
        }
    }

    private func record(_ request: Request, status: Int, start: ContinuousClock.Instant) {
        let keys = MetricsKeys.http(method: request.method.rawValue, status: status)
        metrics.increment(key: keys.requests)
        let d = ContinuousClock.now - start
        metrics.increment(key: keys.duration, by: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}

/// Counter keys made once per (method, status) instead of on every request.
enum MetricsKeys {
    struct HTTP: Hashable { var method: String, status: Int }
    static let httpKeys = Mutex_<[HTTP: (requests: String, duration: String)]>([:])

    static func http(method: String, status: Int) -> (requests: String, duration: String) {
        let k = HTTP(method: method, status: status)
        if let hit = httpKeys.withLock({ $0[k] }) { return hit }
        let labels = ["method": method, "status": String(status)]
        let made = (Composition.MetricsRegistry.key("opsiq_http_requests_total", labels),
                    Composition.MetricsRegistry.key("opsiq_http_request_duration_seconds_sum", labels))
        // Methods and statuses are few; a client inventing methods cannot grow this without bound.
        httpKeys.withLock { if $0.count < 1_000 { $0[k] = made } }
        return made
    }
}
