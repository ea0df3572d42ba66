import Composition
import Domain
import HTTPTypes
import Hummingbird

/// Works out the client address and scheme. Forwarded headers are believed only from configured
/// proxies (OPSIQ_TRUSTED_PROXIES); the right-most untrusted hop in X-Forwarded-For is the client.
struct ClientMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let trusted: [CIDR]
    let baseIsHTTPS: Bool
    let baseURL: String

    /// Header names, made once (building one validates the name every time).
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
    static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!
    static let cdnCountryHeader = HTTPField.Name(CDNCountry.headerName)!

    func isTrusted(_ ip: String) -> Bool {
        guard !trusted.isEmpty, let a = IPAddress(ip) else { return false }
        return trusted.contains { $0.contains(a) }
    }

    /// The CDN's country for a request from `peer`: only a trusted proxy's CF-IPCountry is believed,
    /// and only a real two-letter code ("XX" unknown and "T1" Tor give nil).
    static func cdnCountry(headers: HTTPFields, peer: String, trusted: [CIDR]) -> String? {
        guard !trusted.isEmpty else { return nil }
        return CDNCountry.from(header: headers[cdnCountryHeader], peer: peer, trustedProxies: trusted)
    }

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var ctx = context
        ctx.cdnCountry = Self.cdnCountry(headers: request.headers, peer: ctx.peer, trusted: trusted)
        if isTrusted(ctx.peer) {
            if let xff = request.headers[Self.xForwardedFor] {
                let hops = xff.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { IPAddress($0) != nil }
                if let client = hops.reversed().first(where: { !isTrusted($0) }) ?? hops.first { ctx.clientIP = IPAddress(client)!.description }
            }
            let proto = request.headers[Self.xForwardedProto]?.lowercased()
            ctx.secure = proto == "https"
            // HTTPS is required when the public URL is https: a plain-HTTP request through the proxy is sent over.
            if baseIsHTTPS, proto == "http", request.method == .get || request.method == .head {
                return Response(status: .movedPermanently, headers: [.location: baseURL + (request.uri.path.isEmpty ? "/" : request.uri.description)])
            }
        }
        if baseIsHTTPS { ctx.secure = true }
        var response = try await next(request, ctx)
        // Security headers on every response; HSTS only over TLS.
        response.headers[Self.contentTypeOptions] = "nosniff"
        if response.headers[Self.referrerPolicy] == nil { response.headers[Self.referrerPolicy] = "same-origin" }
        response.headers[Self.permissionsPolicy] = "camera=(), microphone=(), geolocation=(), payment=()"
        if ctx.secure { response.headers[Self.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
        return response
    }
}
