import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// The first-run setup page: creates the Owner and the first site, once. The form needs the setup token
/// (printed in the server log), so nobody who merely reaches the port first can claim the installation.
struct SetupRoutes: Sendable {
    let services: Services
    let renderer: Renderer

    struct Model {
        var token = ""
        var name = ""
        var email = ""
        var siteName = ""
        var domain = ""
        var errors: [String: String] = [:]
        var formError: String? = nil
    }

    func register(on router: Router<some RequestContext>) {
        router.get("/") { _, _ -> Response in
            if try await services.setup.needsSetup() {
                return Response(status: .seeOther, headers: [.location: "/setup"])
            }
            return Response(status: .seeOther, headers: [.location: "/admin"])
        }
        router.get("/setup") { request, _ -> Response in
            guard try await services.setup.needsSetup() else {
                return Response(status: .seeOther, headers: [.location: "/"])
            }
            var m = Model()
            m.token = request.uri.queryParameters.get("token") ?? ""
            return renderer.html("setup", view(m))
        }
        router.post("/setup") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            let form = FormData(String(buffer: buffer))
            var m = Model(token: form["token"], name: form["name"], email: form["email"], siteName: form["site_name"], domain: form["domain"])
            guard try await services.setup.needsSetup() else {
                m.formError = "OpsIQ is already set up. Sign in at /login with the Owner account instead."
                return renderer.html("setup", view(m), status: .conflict)
            }
            guard constantTimeEquals(m.token.trimmingCharacters(in: .whitespaces), services.setupToken) else {
                m.errors["token"] = "The setup token does not match the one in the server log."
                m.token = ""
                return renderer.html("setup", view(m), status: .forbidden)
            }
            do {
                let (user, site) = try await services.setup.completeFirstRun(
                    owner: .init(email: form["email"], name: form["name"], password: form["password"]),
                    site: .init(name: form["site_name"], domain: form["domain"]))
                services.logger.info("first-run setup complete", metadata: ["owner": "\(user.email)", "site": "\(site.siteKey)"])
                let snippet = try await WidgetResponse.snippet(services, site)
                return renderer.html("setup_done", ["email": user.email, "siteName": site.name, "domain": site.domain,
                                                    "siteKey": site.siteKey, "snippet": snippet], status: .created)
            } catch DomainError.validation(let field, let message) {
                m.errors[field] = message.prefix(1).uppercased() + message.dropFirst() + "."
                m.formError = "Please correct the highlighted field."
                return renderer.html("setup", view(m), status: .unprocessableContent)
            } catch DomainError.conflict(let message) {
                m.formError = message
                return renderer.html("setup", view(m), status: .conflict)
            }
        }
    }

    func view(_ m: Model) -> [String: Any] {
        var d: [String: Any] = ["token": m.token, "name": m.name, "email": m.email, "siteName": m.siteName, "domain": m.domain,
                                "errors": m.errors]
        if let e = m.formError { d["formError"] = e }
        return d
    }
}
