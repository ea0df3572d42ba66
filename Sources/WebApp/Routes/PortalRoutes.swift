import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// The customer ticket portal's JSON API, called by `/widget-portal.js` from the customer's site:
/// `POST /portal/v1/<site_key>/<op>` with a JSON body (sent as `text/plain`, so browsers need no
/// preflight), op one of list, get, create, reply, resolve, reopen, attachment. CORS answers only
/// pages on the site's domain (or its subdomains); rate limited per site and address. Who the customer
/// is comes from `identity_token` (authenticated) or, per ticket, `key` (anonymous); see `TicketPortal`.
struct PortalRoutes: Sendable {
    let services: Services
    static let ops: Set<String> = ["list", "get", "create", "reply", "resolve", "reopen", "attachment", "branding"]

    func register(on router: Router<AppContext>) {
        router.on("/portal/v1/:site/:op", method: .options) { request, ctx in
            let site = try? await services.trackingSites.site(ctx.parameters.get("site") ?? "")
            var r = Response(status: .noContent)
            if let site { cors(&r, request, site: site.workspace) }
            r.headers[.accessControlAllowMethods] = "POST, OPTIONS"
            r.headers[.accessControlAllowHeaders] = "Content-Type"
            r.headers[.accessControlMaxAge] = "86400"
            return r
        }
        router.post("/portal/v1/:site/:op") { request, ctx in await handle(request, ctx) }
        router.get("/widget-portal.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/javascript; charset=utf-8", .cacheControl: "public, max-age=300",
                                            HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                     body: .init(byteBuffer: ByteBuffer(string: PortalScript.source + "\n")))
        }
    }

    /// A page on the site's domain or a subdomain of it (or OpsIQ itself). No Origin (a server, curl): allowed,
    /// without CORS headers. The opaque origin "null" (sandboxed frames, files) is refused.
    func originAllowed(_ origin: String?, site: Workspace) -> Bool {
        guard let origin, !origin.isEmpty else { return true }
        guard origin != "null" else { return false }
        return BeaconRoutes(services: services).originAllowed(origin, site: site)
    }

    func cors(_ r: inout Response, _ request: Request, site: Workspace) {
        if let origin = request.headers[.origin], !origin.isEmpty, origin != "null", originAllowed(origin, site: site) {
            r.headers[.accessControlAllowOrigin] = origin
            r.headers[.vary] = "Origin"
            r.headers[HTTPField.Name("Access-Control-Expose-Headers")!] = "Content-Disposition, Retry-After"
        }
    }

    func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: body.encoded())))
    }

    func handle(_ request: Request, _ ctx: AppContext) async -> Response {
        let siteKey = ctx.parameters.get("site") ?? "", op = ctx.parameters.get("op") ?? ""
        let cached: TrackingSiteCache.Site?
        do { cached = try await services.trackingSites.site(siteKey) } catch {
            services.logger.error("portal site lookup failed", metadata: ["error": "\(error)"])
            return JSONError.response(.serviceUnavailable, code: "unavailable", message: "temporarily unavailable; retry", headers: [.retryAfter: "5"])
        }
        guard let site = cached?.workspace else {
            return JSONError.response(.notFound, code: "not_found", message: "site_key: no site with this site key", field: "site_key")
        }
        var r = await answer(request, ctx, site: site, op: op)
        cors(&r, request, site: site)
        return r
    }

    func answer(_ request: Request, _ ctx: AppContext, site: Workspace, op: String) async -> Response {
        guard originAllowed(request.headers[.origin], site: site) else {
            return JSONError.response(.forbidden, code: "forbidden", message: "this page's origin is not a domain of the site \(site.domain)")
        }
        guard Self.ops.contains(op) else {
            return JSONError.response(.notFound, code: "not_found", message: "op: unknown portal operation '\(op)' (one of \(Self.ops.sorted().joined(separator: ", ")))", field: "op")
        }
        let portal = services.portal
        do {
            try await portal.hit(site.id, ip: ctx.clientIP, create: op == "create")
            // Room for two attachments at the size limit, base64-encoded, plus the text.
            let maxMB = try await portal.attachments.maxMB(site.id)
            let limit = maxMB * 1_048_576 * 4 / 3 * 2 + 1_048_576
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: limit) } catch {
                return JSONError.response(.contentTooLarge, code: "too_large",
                                          message: "files: the request is larger than \(limit / 1_048_576) MB; each attachment may be at most \(maxMB) MB", field: "files")
            }
            let body: [String: JSONValue]
            if buffer.readableBytes == 0 { body = [:] } else {
                guard case .object(let o)? = try? JSONValue.parse(String(buffer: buffer)) else {
                    return JSONError.response(.badRequest, code: "bad_json", message: "the body must be a JSON object")
                }
                body = o
            }
            let who = try await portal.identify(site, token: body["identity_token"]?.stringValue)
            let key = body["key"]?.stringValue
            switch op {
            case "list":
                var keys: [PortalTicketKey] = []
                if case .array(let items)? = body["tickets"] {
                    for item in items {
                        if let n = try? TicketService.parseNumber(item["ticket_id"], field: "tickets"), let k = item["key"]?.stringValue { keys.append(PortalTicketKey(number: n, key: k)) }
                    }
                }
                return json(.ok, try await portal.list(site.id, who, keys: keys, search: body["search"]?.stringValue ?? "", status: body["status"]?.stringValue ?? ""))
            case "get":
                return json(.ok, try await portal.get(site.id, who, number: try TicketService.parseNumber(body["ticket_id"], field: "ticket_id"), key: key))
            case "create":
                let made = try await portal.create(site.id, who, email: body["email"]?.stringValue, name: body["name"]?.stringValue,
                                                   subject: try text(body, "subject"), message: try text(body, "message"), files: try files(body))
                var out: [String: JSONValue] = ["ticket": made.thread]
                if let k = made.key { out["key"] = .string(k) }
                return json(.created, .object(out))
            case "reply":
                return json(.ok, try await portal.reply(site.id, who, number: try TicketService.parseNumber(body["ticket_id"], field: "ticket_id"), key: key,
                                                        message: try text(body, "message"), files: try files(body)))
            case "branding":
                return json(.ok, try await portal.branding(site.id))
            case "resolve", "reopen":
                return json(.ok, try await portal.setStatus(site.id, who, number: try TicketService.parseNumber(body["ticket_id"], field: "ticket_id"), key: key,
                                                            resolve: op == "resolve"))
            default: // attachment
                guard let aid = body["attachment_id"]?.intValue, aid > 0 else {
                    throw DomainError.validation(field: "attachment_id", message: "must be a positive number")
                }
                let (a, bytes) = try await portal.attachment(site.id, who, number: try TicketService.parseNumber(body["ticket_id"], field: "ticket_id"), key: key,
                                                             attachmentID: aid)
                var headers = HTTPFields()
                headers[.contentType] = a.contentType
                headers[.contentDisposition] = AttachmentRoutes.disposition(a.fileName)
                headers[.cacheControl] = "private, no-store"
                headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
                headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; sandbox"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        } catch let e as PortalRateLimited {
            return JSONError.response(.tooManyRequests, code: "rate_limited", message: e.message, headers: [.retryAfter: String(e.retryAfter)])
        } catch let e as DomainError {
            return JSONError.response(for: e)
        } catch let e as SQLError where e.isUnavailable {
            return JSONError.response(.serviceUnavailable, code: "database_unavailable", message: "temporarily unavailable; retry", headers: [.retryAfter: "5"])
        } catch {
            let ref = String(UInt32.random(in: .min ... .max), radix: 16)
            services.logger.error("portal request failed", metadata: ["op": "\(op)", "error": "\(error)", "ref": "\(ref)"])
            return JSONError.response(.internalServerError, code: "internal_error", message: "Something went wrong on our side (reference \(ref)).")
        }
    }

    func text(_ body: [String: JSONValue], _ field: String) throws -> String {
        guard let s = body[field]?.stringValue else { throw DomainError.validation(field: field, message: "is required") }
        return s
    }

    /// `files: [{name, content_base64}]`.
    func files(_ body: [String: JSONValue]) throws -> [PortalFile] {
        guard let v = body["files"], v != .null else { return [] }
        guard case .array(let items) = v else { throw DomainError.validation(field: "files", message: "must be a list of {name, content_base64}") }
        return try items.enumerated().map { i, item in
            guard let name = item["name"]?.stringValue, !name.isEmpty else { throw DomainError.validation(field: "files[\(i)].name", message: "is required") }
            guard let b64 = item["content_base64"]?.stringValue, let data = Data(base64Encoded: b64, options: .ignoreUnknownCharacters) else {
                throw DomainError.validation(field: "files[\(i)].content_base64", message: "must be the file's bytes in base64")
            }
            return PortalFile(name: name, bytes: [UInt8](data))
        }
    }
}
