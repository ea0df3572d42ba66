import HTTPTypes
import Hummingbird
import Mustache

/// Renders the compiled-in templates to HTML responses.
struct Renderer: Sendable {
    let library: MustacheLibrary

    init() throws {
        var lib = MustacheLibrary()
        lib.register(try MustacheTemplate(string: Templates.layout), named: "layout")
        lib.register(try MustacheTemplate(string: Templates.setup), named: "setup")
        lib.register(try MustacheTemplate(string: Templates.setupDone), named: "setup_done")
        lib.register(try MustacheTemplate(string: AdminTemplates.adminLayout), named: "admin")
        lib.register(try MustacheTemplate(string: AdminTemplates.login), named: "login")
        lib.register(try MustacheTemplate(string: AdminTemplates.login2FA), named: "login_2fa")
        lib.register(try MustacheTemplate(string: AdminTemplates.accountForm), named: "account_form")
        lib.register(try MustacheTemplate(string: AdminTemplates.home), named: "admin_home")
        lib.register(try MustacheTemplate(string: AdminTemplates.soon), named: "soon")
        lib.register(try MustacheTemplate(string: AdminTemplates.forbidden), named: "forbidden")
        lib.register(try MustacheTemplate(string: AdminTemplates.team), named: "team")
        lib.register(try MustacheTemplate(string: AdminTemplates.sites), named: "sites")
        lib.register(try MustacheTemplate(string: AdminTemplates.apiKeys), named: "api_keys")
        lib.register(try MustacheTemplate(string: AdminTemplates.security), named: "security")
        lib.register(try MustacheTemplate(string: AdminTemplates.failedLogins), named: "failed_logins")
        lib.register(try MustacheTemplate(string: AdminTemplates.apiDocs), named: "api_docs")
        lib.register(try MustacheTemplate(string: AdminTemplates.blockedIPs), named: "blocked_ips")
        lib.register(try MustacheTemplate(string: AdminTemplates.settings), named: "settings")
        lib.register(try MustacheTemplate(string: AdminTemplates.audit), named: "audit")
        lib.register(try MustacheTemplate(string: AdminTemplates.tickets), named: "tickets")
        lib.register(try MustacheTemplate(string: AdminTemplates.ticket), named: "ticket")
        lib.register(try MustacheTemplate(string: AdminTemplates.departments), named: "departments")
        lib.register(try MustacheTemplate(string: AdminTemplates.canned), named: "canned")
        lib.register(try MustacheTemplate(string: AdminTemplates.rangeFields), named: "range_fields")
        lib.register(try MustacheTemplate(string: AdminTemplates.rangePicker), named: "range_picker")
        lib.register(try MustacheTemplate(string: AdminTemplates.visitorLog), named: "visitor_log")
        lib.register(try MustacheTemplate(string: AdminTemplates.sessionsList), named: "sessions_list")
        lib.register(try MustacheTemplate(string: AdminTemplates.sessionDetail), named: "session_detail")
        lib.register(try MustacheTemplate(string: AdminTemplates.liveFeed), named: "live_feed")
        lib.register(try MustacheTemplate(string: AdminTemplates.topPages), named: "top_pages")
        lib.register(try MustacheTemplate(string: AdminTemplates.geo), named: "geo")
        lib.register(try MustacheTemplate(string: AdminTemplates.eventsLog), named: "events_log")
        lib.register(try MustacheTemplate(string: AdminTemplates.intent), named: "intent")
        lib.register(try MustacheTemplate(string: AdminTemplates.leads), named: "leads")
        lib.register(try MustacheTemplate(string: AdminTemplates.dashboard), named: "dashboard")
        lib.register(try MustacheTemplate(string: AdminTemplates.outbox), named: "outbox")
        lib.register(try MustacheTemplate(string: AdminTemplates.outboxMail), named: "outbox_mail")
        lib.register(try MustacheTemplate(string: AdminTemplates.emailTemplates), named: "email_templates")
        lib.register(try MustacheTemplate(string: AdminTemplates.mailboxes), named: "mailboxes")
        lib.register(try MustacheTemplate(string: AdminTemplates.automations), named: "automations")
        lib.register(try MustacheTemplate(string: AdminTemplates.automationEdit), named: "automation_edit")
        lib.register(try MustacheTemplate(string: AdminTemplates.eventCatalog), named: "event_catalog")
        lib.register(try MustacheTemplate(string: AdminTemplates.webhooks), named: "webhooks")
        lib.register(try MustacheTemplate(string: AdminTemplates.webhookLog), named: "webhook_log")
        library = lib
    }

    static let securityHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        HTTPField.Name("X-Frame-Options")!: "DENY", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ]

    /// `frames`: the page embeds same-origin frames (the email template preview); every other page forbids them.
    func html(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok, frames: Bool = false) -> Response {
        let body = library.render(model, withTemplate: template) ?? "template \(template) missing"
        var headers = Self.securityHeaders
        if frames { headers[HTTPField.Name("Content-Security-Policy")!] = Self.framingCSP }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static let framingCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}
