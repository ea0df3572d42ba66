import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// Sign in, the second factor, sign out. The sign-in form is protected against login CSRF by a
/// double-submit token (a cookie and a hidden field that must match).
struct AuthRoutes: Sendable {
    let services: Services
    let renderer: Renderer

    func client(_ request: Request, _ context: AppContext) -> ClientInfo {
        var country = "Unknown"
        if let geo = services.geo, let c = geo.countryCode(ip: context.clientIP) { country = c }
        return ClientInfo(ip: context.clientIP, userAgent: String((request.headers[.userAgent] ?? "").prefix(255)), country: country)
    }

    static func safeNext(_ raw: String?) -> String {
        guard let n = raw, n.hasPrefix("/admin"), !n.hasPrefix("//"), !n.contains("\\") else { return "/admin" }
        return n
    }

    func loginPage(_ context: AppContext, email: String = "", next: String, error: String? = nil, flash: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let token = services.random.base62(length: 32)
        var model: [String: Any] = ["csrf": token, "email": email, "next": next]
        if let error { model["error"] = error }
        if let flash { model["flash"] = flash }
        var r = renderer.html("login", model, status: status)
        r.headers[values: .setCookie].append(Cookies.set(Cookies.loginCSRF, token, secure: context.secure))
        return r
    }

    func register(on router: Router<AppContext>) {
        router.get("/login") { request, context in
            loginPage(context, next: Self.safeNext(request.uri.queryParameters.get("next")),
                      flash: request.uri.queryParameters.get("signed_out") != nil ? "You are signed out." : nil)
        }
        router.post("/login") { request, context -> Response in
            let form = FormData(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
            let next = Self.safeNext(form["next"])
            guard let cookie = Cookies.get(request, Cookies.loginCSRF), constantTimeEquals(cookie, form["_csrf"]), !cookie.isEmpty else {
                return loginPage(context, email: form["email"], next: next, error: "Your sign-in form expired. Please try again.", status: .forbidden)
            }
            switch try await services.auth.login(email: form["email"], password: form["password"], client: client(request, context)) {
            case .signedIn(let token, _):
                return Self.redirect(next, cookie: Cookies.set(Cookies.session, token, secure: context.secure))
            case .secondFactorRequired(let token, _):
                return Self.redirect("/login/2fa?next=\(next.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/admin")",
                                     cookie: Cookies.set(Cookies.session, token, secure: context.secure))
            case .refused(let reason, let message):
                return loginPage(context, email: form["email"], next: next, error: message, status: reason == .locked ? .tooManyRequests : .unauthorized)
            }
        }
        router.get("/login/2fa") { request, context -> Response in
            guard let token = Cookies.get(request, Cookies.session),
                  let pending = try await services.auth.authenticate(token: token, allowPendingSecondFactor: true), pending.session.secondFactorPending else {
                return Self.redirect("/login")
            }
            return renderer.html("login_2fa", ["csrf": pending.session.csrfToken, "next": Self.safeNext(request.uri.queryParameters.get("next"))])
        }
        router.post("/login/2fa") { request, context -> Response in
            let form = FormData(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
            let next = Self.safeNext(form["next"])
            guard let token = Cookies.get(request, Cookies.session),
                  let pending = try await services.auth.authenticate(token: token, allowPendingSecondFactor: true), pending.session.secondFactorPending else {
                return Self.redirect("/login")
            }
            guard constantTimeEquals(pending.session.csrfToken, form["_csrf"]) else {
                return renderer.html("login_2fa", ["csrf": pending.session.csrfToken, "next": next, "error": "Your form expired. Please try again."], status: .forbidden)
            }
            switch try await services.auth.verifySecondFactor(token: token, code: form["code"], client: client(request, context)) {
            case .signedIn: return Self.redirect(next)
            case .refused(let reason, let message):
                if reason == .locked { return loginPage(context, next: next, error: message, status: .tooManyRequests) }
                return renderer.html("login_2fa", ["csrf": pending.session.csrfToken, "next": next, "error": message], status: .unauthorized)
            case .secondFactorRequired: return Self.redirect("/login")
            }
        }
        router.post("/logout") { request, context -> Response in
            let form = FormData(String(buffer: try await request.body.collect(upTo: 16 * 1024)))
            if let token = Cookies.get(request, Cookies.session), let s = try await services.auth.authenticate(token: token, allowPendingSecondFactor: true) {
                guard constantTimeEquals(s.session.csrfToken, form["_csrf"]) else {
                    return Response(status: .forbidden, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "The form expired (CSRF check failed). Go back and try again.")))
                }
                try await services.auth.logout(token: token)
            }
            return Self.redirect("/login?signed_out=1", cookie: Cookies.clear(Cookies.session, secure: context.secure))
        }
    }

    static func redirect(_ to: String, cookie: String? = nil) -> Response {
        var r = Response(status: .seeOther, headers: [.location: to, .cacheControl: "no-store"])
        if let cookie { r.headers[values: .setCookie].append(cookie) }
        return r
    }
}
