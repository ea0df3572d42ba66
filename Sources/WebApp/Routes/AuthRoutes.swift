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
        // Forgotten password: always the same answer, so the form does not reveal which emails have accounts.
        router.get("/login/forgot") { _, context in
            accountPage(context, ["heading": "Reset your password", "lead": "Enter your email; if it belongs to an account, we send a link to choose a new password.",
                                  "action": "/login/forgot", "askEmail": true, "button": "Send the link"])
        }
        router.post("/login/forgot") { request, context -> Response in
            let form = FormData(String(buffer: try await request.body.collect(upTo: 16 * 1024)))
            guard checkLoginCSRF(request, form) else { return accountPage(context, ["heading": "Reset your password", "error": "The form expired. Please try again.", "action": "/login/forgot", "askEmail": true, "button": "Send the link"], status: .forbidden) }
            do {
                try await services.accountEmails.requestReset(email: form["email"])
            } catch let e as DomainError {
                return accountPage(context, ["heading": "Reset your password", "error": e.description, "showForm": false], status: .serviceUnavailable)
            }
            return accountPage(context, ["heading": "Check your email", "flash": "If an account uses that address, a reset link is on its way. It works once, for one hour.", "showForm": false])
        }
        router.get("/login/reset") { request, context -> Response in
            let token = request.uri.queryParameters.get("token") ?? ""
            guard try await services.accountEmails.resetTarget(token: token) != nil else {
                return accountPage(context, ["heading": "Link expired", "error": "This reset link has expired or was already used. Ask for a new one.", "showForm": false], status: .notFound)
            }
            return accountPage(context, ["heading": "Choose a new password", "action": "/login/reset", "token": token, "askPassword": true, "button": "Save password"])
        }
        router.post("/login/reset") { request, context -> Response in
            let form = FormData(String(buffer: try await request.body.collect(upTo: 16 * 1024)))
            let base: [String: Any] = ["heading": "Choose a new password", "action": "/login/reset", "token": form["token"], "askPassword": true, "button": "Save password"]
            guard checkLoginCSRF(request, form) else { return accountPage(context, base.merging(["error": "The form expired. Please try again."]) { _, b in b }, status: .forbidden) }
            do {
                _ = try await services.accountEmails.resetPassword(token: form["token"], newPassword: form["password"])
            } catch DomainError.validation(_, let message) {
                return accountPage(context, base.merging(["error": "Password " + message + "."]) { _, b in b }, status: .unprocessableContent)
            } catch let e as DomainError {
                return accountPage(context, ["heading": "Link expired", "error": e.description, "showForm": false], status: .notFound)
            }
            return loginPage(context, next: "/admin", flash: "Your password was changed and every session signed out. Sign in with the new password.")
        }
        router.get("/invite") { request, context -> Response in
            let token = request.uri.queryParameters.get("token") ?? ""
            guard let inv = try await services.accountEmails.invitation(token: token) else {
                return accountPage(context, ["heading": "Invitation expired", "error": "This invitation has expired or was already used. Ask for a new one.", "showForm": false], status: .notFound)
            }
            return accountPage(context, ["heading": "Join the team", "lead": "You were invited as \(inv.email).", "action": "/invite", "token": token,
                                         "askName": true, "askPassword": true, "button": "Create my account"])
        }
        router.post("/invite") { request, context -> Response in
            let form = FormData(String(buffer: try await request.body.collect(upTo: 16 * 1024)))
            let base: [String: Any] = ["heading": "Join the team", "action": "/invite", "token": form["token"], "askName": true, "askPassword": true, "name": form["name"], "button": "Create my account"]
            guard checkLoginCSRF(request, form) else { return accountPage(context, base.merging(["error": "The form expired. Please try again."]) { _, b in b }, status: .forbidden) }
            do {
                let u = try await services.accountEmails.acceptInvitation(token: form["token"], name: form["name"], password: form["password"])
                return loginPage(context, email: u.email, next: "/admin", flash: "Your account is ready. Sign in.")
            } catch DomainError.validation(let field, let message) {
                return accountPage(context, base.merging(["error": "\(field == "name" ? "Name" : "Password") \(message)."]) { _, b in b }, status: .unprocessableContent)
            } catch let e as DomainError {
                return accountPage(context, ["heading": "Invitation expired", "error": e.description, "showForm": false], status: .notFound)
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

    /// Pages reached without a session use the double-submit login CSRF token.
    func checkLoginCSRF(_ request: Request, _ form: FormData) -> Bool {
        guard let cookie = Cookies.get(request, Cookies.loginCSRF), !cookie.isEmpty else { return false }
        return constantTimeEquals(cookie, form["_csrf"])
    }

    func accountPage(_ context: AppContext, _ model: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let token = services.random.base62(length: 32)
        var m = model
        m["csrf"] = token
        if m["showForm"] == nil { m["showForm"] = true }
        var r = renderer.html("account_form", m, status: status)
        r.headers[values: .setCookie].append(Cookies.set(Cookies.loginCSRF, token, secure: context.secure))
        return r
    }

    static func redirect(_ to: String, cookie: String? = nil) -> Response {
        var r = Response(status: .seeOther, headers: [.location: to, .cacheControl: "no-store"])
        if let cookie { r.headers[values: .setCookie].append(cookie) }
        return r
    }
}
