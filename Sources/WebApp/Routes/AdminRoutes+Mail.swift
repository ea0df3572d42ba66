import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// The mail pages (Owners and Full Admins): the Outbox (`/admin/outbox`, every email the site sent or,
/// with no SMTP configured, would have sent, with full headers and body) and the email templates
/// (`/admin/email-templates`, edit with preview; saving goes through `email_templates.save`).
extension AdminRoutes {
    func registerMail(on admin: RouterGroup<AppContext>) {
        admin.get("outbox") { request, ctx -> Response in try await outboxPage(request, ctx) }
        admin.get("mailboxes") { request, ctx -> Response in try await mailboxesPage(request, ctx) }
        admin.get("outbox/:id") { request, ctx -> Response in try await outboxMailPage(request, ctx) }
        admin.get("email-templates") { request, ctx -> Response in try await emailTemplatesPage(request, ctx, form: nil) }
        admin.post("email-templates") { request, ctx -> Response in
            let f = try await form(request, ctx)
            return try await emailTemplatesPage(request, ctx, form: f)
        }
        admin.post("email-templates/preview") { request, ctx -> Response in
            let f = try await form(request, ctx)
            return try await emailTemplatePreviewFrame(ctx, form: f)
        }
    }

    /// The live preview's frame document: the draft rendered with sample values inside the layout,
    /// posted (CSRF-checked) by the editor's debounced script into a sandboxed iframe (no scripts, an
    /// opaque origin). Defence in depth for template-authored HTML: the layout is sanitised (no script,
    /// handlers, frames, forms or javascript: URLs), and the response has its own CSP with no script
    /// source at all, may be framed only by the admin itself, and loads nothing but data: images.
    func emailTemplatePreviewFrame(_ ctx: AppContext, form f: FormData) async throws -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("X-Frame-Options")!: "SAMEORIGIN",
            HTTPField.Name("Content-Security-Policy")!: Self.previewFrameCSP,
        ]
        guard ctx.identity!.user.role != .agent else {
            return Response(status: .forbidden, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.previewMessage("Email templates are edited by Owners and Full Admins."))))
        }
        do {
            let out = try await invoke("email_templates.preview", form: f, ctx: ctx)
            let html = HTMLSanitizer(remoteImages: false).sanitize(out["html"]?.stringValue ?? "")
            let subject = "<div style=\"font:13px Helvetica,Arial,sans-serif;color:#555;padding:8px 12px;border-bottom:1px solid #ddd;background:#fafafa\" id=\"preview-frame-subject\">Subject: <strong>\(HTML.escape(out["subject"]?.stringValue ?? ""))</strong></div>"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"margin:0\">" + subject + html + "</body></html>")))
        } catch let e as DomainError {
            headers[.cacheControl] = "no-store"
            let status: HTTPResponse.Status = { if case .forbidden = e { return .forbidden }; return .unprocessableContent }()
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.previewMessage(e.description))))
        }
    }

    static let previewFrameCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; form-action 'none'; base-uri 'none'"

    static func previewMessage(_ text: String) -> String {
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"font:14px Helvetica,Arial,sans-serif;color:#b3261e;padding:12px\"><p id=\"preview-frame-error\">\(HTML.escape(text))</p></body></html>"
    }

    static let statusLabels: [StoredMailStatus: String] = [.queued: "Queued", .sent: "Sent", .failed: "Failed", .held: "Held (no SMTP)"]

    func outboxPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Outbox") }
        var m = withFlash(try await base(ctx, title: "Outbox", active: "outbox"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("outbox", m) }
        let q = request.uri.queryParameters
        let status = q.get("status").flatMap(StoredMailStatus.init(rawValue:))
        let page = max(1, q.get("page").flatMap { Int($0) } ?? 1)
        let size = 50
        let list = try await services.db.read { try await services.mailOutbox.list(site.id, status: status, ticketID: nil, limit: size, offset: (page - 1) * size, in: $0) }
        let f = try await timeFormatter(site)
        m["siteName"] = site.name
        m["smtp"] = services.mailer != nil
        m["total"] = list.total
        m["statusOptions"] = Self.options([("", "Any status")] + StoredMailStatus.allCases.map { ($0.rawValue, Self.statusLabels[$0] ?? $0.rawValue) }, selected: status?.rawValue ?? "")
        m["rows"] = list.mails.map { mail -> [String: Any] in
            ["id": mail.id, "to": mail.mail.to.first?.email ?? "", "subject": mail.mail.subject, "kind": mail.kind, "status": mail.status.rawValue,
             "statusLabel": Self.statusLabels[mail.status] ?? mail.status.rawValue, "automatic": mail.automatic, "created": f.string(from: mail.createdAt),
             "error": mail.lastError ?? ""]
        }
        if list.total > page * size { m["next"] = "/admin/outbox?page=\(page + 1)&status=\(status?.rawValue ?? "")" }
        if page > 1 { m["prev"] = "/admin/outbox?page=\(page - 1)&status=\(status?.rawValue ?? "")" }
        return renderer.html("outbox", m)
    }

    func outboxMailPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Outbox") }
        var m = try await base(ctx, title: "Outgoing email", active: "outbox")
        guard let site = try await sites(ctx).current, let id = ctx.parameters.get("id").flatMap({ Int64($0) }),
              let mail = try await services.db.read({ try await services.mailOutbox.find(site.id, id: id, in: $0) }) else {
            m["missing"] = true
            return renderer.html("outbox_mail", m, status: .notFound)
        }
        let f = try await timeFormatter(site)
        m["id"] = mail.id
        m["statusLabel"] = Self.statusLabels[mail.status] ?? mail.status.rawValue
        m["created"] = f.string(from: mail.createdAt)
        m["sent"] = mail.sentAt.map { f.string(from: $0) } ?? ""
        m["attempts"] = mail.attempts
        m["error"] = mail.lastError ?? ""
        m["headers"] = mail.displayHeaders.map { ["name": $0.0, "value": $0.1] }
        m["text"] = mail.mail.textBody
        m["html"] = mail.mail.htmlBody ?? ""
        return renderer.html("outbox_mail", m)
    }

    /// The template list and the editor of `?key=` (or of the posted form: `op=preview` renders it, `op=save` saves it).
    func emailTemplatesPage(_ request: Request, _ ctx: AppContext, form f: FormData?) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Email templates") }
        var m = withFlash(try await base(ctx, title: "Email templates", active: "email-templates"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("email_templates", m) }
        let list = try await services.emailTemplates.list(site.id)
        let key = f?["key"] ?? request.uri.queryParameters.get("key") ?? EmailTemplates.ticketReply.key
        guard let current = list.first(where: { $0.definition.key == key }) else {
            m["error"] = "no email template \(key)"
            return renderer.html("email_templates", m, status: .notFound)
        }
        var subject = current.subject, body = current.body
        var status: HTTPResponse.Status = .ok
        if let f {
            subject = f["subject"]; body = f["body"]
            do {
                let params: FormData = f
                if f["op"] == "save" {
                    _ = try await invoke("email_templates.save", form: params, ctx: ctx)
                    return Self.flashRedirect("/admin/email-templates?key=\(key)", flash: "Saved the \(current.definition.label) template.")
                }
                let out = try await invoke("email_templates.preview", form: params, ctx: ctx)
                m["preview"] = ["subject": out["subject"]?.stringValue ?? "", "text": out["text"]?.stringValue ?? "", "html": out["html"]?.stringValue ?? ""]
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Email templates") }
                m["error"] = e.description
                status = .unprocessableContent
            }
        }
        m["siteName"] = site.name
        m["siteKey"] = site.siteKey
        m["templates"] = list.map { ["key": $0.definition.key, "label": $0.definition.label, "edited": $0.edited, "current": $0.definition.key == key] }
        m["key"] = key
        m["label"] = current.definition.label
        m["description"] = current.definition.description
        m["isLayout"] = current.definition.isLayout
        m["edited"] = current.edited
        m["subject"] = subject
        m["body"] = body
        m["variables"] = (TemplateVariables.all + current.definition.extraVariables).map { ["token": $0.token, "description": $0.description] }
        // The live preview frame needs frame-src 'self' on this page (and only here).
        return renderer.html("email_templates", m, status: status, frames: true)
    }

    func mailboxesPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Mailboxes") }
        var m = withFlash(try await base(ctx, title: "Mailboxes", active: "mailboxes"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("mailboxes", m) }
        let f = try await timeFormatter(site)
        let departments = try await services.departments.list(site.id, includeArchived: false)
        let names = Dictionary(uniqueKeysWithValues: departments.map { ($0.id, $0.name) })
        m["siteKey"] = site.siteKey
        m["siteName"] = site.name
        m["rows"] = try await services.mailboxes.list(site.id).map { b -> [String: Any] in
            ["id": b.id, "name": b.name, "address": b.address, "server": "\(b.host):\(b.port) (\(b.security.rawValue))", "username": b.username, "folder": b.folder,
             "department": b.departmentID.flatMap { names[$0] } ?? "—", "poll": b.pollMinutes, "enabled": b.enabled,
             "lastPolled": b.lastPolledAt.map { f.string(from: $0) } ?? "never", "error": b.lastError ?? "", "healthy": b.lastError == nil && b.lastPolledAt != nil]
        }
        m["departments"] = departments.map { ["id": $0.id, "name": $0.name] }
        return renderer.html("mailboxes", m)
    }
}
