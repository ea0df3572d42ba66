import Foundation
import Ports

/// One email OpsIQ sends, as the template registry knows it: its built-in subject and body, and the
/// variables it may use on top of the shared registry (`TemplateVariables`).
public struct EmailTemplateDefinition: Sendable, Equatable {
    public var key: String
    public var label: String
    public var description: String
    public var defaultSubject: String
    public var defaultBody: String
    /// Variables only this template has, e.g. `{{message}}` (the agent's reply).
    public var extraVariables: [TemplateVariable]
    /// The layout is HTML around every email's body; the others are plain text.
    public var isLayout: Bool
}

/// An email ready to send: subject, plain text and the HTML alternative (the text inside the layout).
public struct RenderedEmail: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String
}

/// The registry of email templates and the per-site edits of them. Bodies are plain text with
/// `{{variables}}`; the HTML part of every email is the global layout (editable HTML) with the text,
/// escaped, as `{{content}}`. Unknown variables are refused when a template is saved.
public struct EmailTemplates: Sendable {
    public let db: any SQLDatabase
    public let store: any EmailTemplateStore
    public let outbox: Outbox
    public let clock: any TimeSource

    public init(db: any SQLDatabase, store: any EmailTemplateStore, outbox: Outbox, clock: any TimeSource) {
        self.db = db; self.store = store; self.outbox = outbox; self.clock = clock
    }

    public static let ticketReply = EmailTemplateDefinition(
        key: "ticket_reply", label: "Ticket reply", description: "An agent's reply on a ticket, sent to the customer.",
        defaultSubject: "Re: {{ticket_subject}} [{{ticket_id}}]",
        defaultBody: "{{message}}\n\n--\n{{agent_name}}\n{{department_signature}}",
        extraVariables: [TemplateVariable("message", "The reply the agent wrote.")], isLayout: false)
    /// The portal variables of the automatic emails (empty when the site set no `tickets.portal_url`).
    public static let portalVariables = [
        TemplateVariable("portal_link", "The link where the customer follows this ticket in your site's ticket portal (Settings > Tickets > Ticket portal page); empty when none is set."),
        TemplateVariable("portal_access", "A sentence with that link, \"Follow your request online: …\"; empty when no portal page is set."),
    ]
    public static let ticketReceived = EmailTemplateDefinition(
        key: "ticket_received", label: "Ticket received", description: "Automatic acknowledgement when a customer opens a ticket by email, through the portal or the API.",
        defaultSubject: "We received your request [{{ticket_id}}]: {{ticket_subject}}",
        defaultBody: "Hi {{customer_name}},\n\nThanks for writing to {{business_name}}. Your request is now ticket {{ticket_id}} and our team will answer soon. Reply to this email to add to it.\n\n{{portal_access}}\n\n{{department_signature}}",
        extraVariables: portalVariables, isLayout: false)
    public static let ticketResolved = EmailTemplateDefinition(
        key: "ticket_resolved", label: "Ticket resolved", description: "Sent to the customer when the team resolves or closes their ticket (not when they do it themselves, nor on merges).",
        defaultSubject: "Your request is {{ticket_status}} [{{ticket_id}}]: {{ticket_subject}}",
        defaultBody: "Hi {{customer_name}},\n\nYour request {{ticket_id}} ({{ticket_subject}}) is now {{ticket_status}}. If anything is still not right, reply to this email and the ticket opens again.\n\n{{portal_access}}\n\n{{department_signature}}",
        extraVariables: [TemplateVariable("ticket_status", "\"resolved\" or \"closed\".")] + portalVariables, isLayout: false)
    public static let layout = EmailTemplateDefinition(
        key: "layout", label: "Global layout", description: "The HTML around every email. {{content}} is the email's text; values are HTML-escaped.",
        defaultSubject: "",
        defaultBody: """
            <!DOCTYPE html>
            <html><body style="margin:0;padding:24px;background:#f5f6f8;font-family:Helvetica,Arial,sans-serif;color:#1f2430">
            <div style="max-width:600px;margin:0 auto;background:#fff;border-radius:8px;padding:24px;line-height:1.5">
            {{content}}
            </div>
            <p style="max-width:600px;margin:12px auto;color:#8a8f99;font-size:12px">{{business_name}}</p>
            </body></html>
            """,
        extraVariables: [TemplateVariable("content", "The email's text (the layout only).")], isLayout: true)

    public static let all: [EmailTemplateDefinition] = [ticketReply, ticketReceived, ticketResolved, layout]

    public static func definition(_ key: String, field: String = "key") throws -> EmailTemplateDefinition {
        guard let d = all.first(where: { $0.key == key }) else {
            throw DomainError.validation(field: field, message: "no email template \(key); templates: \(all.map(\.key).joined(separator: ", "))")
        }
        return d
    }

    public static let maxSubject = 500
    public static let maxBody = 100_000

    // MARK: - Rendering

    public static func escapeHTML(_ s: String) -> String {
        HTML.escape(s)
    }

    /// Plain text as HTML: escaped, blank lines start paragraphs, single newlines become `<br>`.
    public static func textToHTML(_ text: String) -> String {
        let paragraphs = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }
        return paragraphs.map { "<p>" + escapeHTML($0).replacingOccurrences(of: "\n", with: "<br>\n") + "</p>" }.joined(separator: "\n")
    }

    /// Renders subject, text and HTML from given template texts (no database: used by preview too).
    /// Header values cannot hold line breaks, so the subject is folded onto one line.
    public static func render(subject: String, body: String, layout: String, definition: EmailTemplateDefinition, _ context: [String: String]) -> RenderedEmail {
        let extra = Set(definition.extraVariables.map(\.name))
        let subj = TemplateVariables.render(subject, context, extra: extra)
            .components(separatedBy: .newlines).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        let text = TemplateVariables.render(body, context, extra: extra).trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        // The content goes in after escaping: a placeholder no escaper touches stands in for it.
        let placeholder = "\u{1}opsiq-content\u{1}"
        var layoutContext = context
        layoutContext["content"] = placeholder
        let html = TemplateVariables.render(layout, layoutContext, extra: ["content"], escape: escapeHTML)
            .replacingOccurrences(of: placeholder, with: textToHTML(text))
        return RenderedEmail(subject: subj, text: text, html: html)
    }

    /// The site's current texts of one template (its edit, else the built-in one).
    public func texts(_ ws: WorkspaceID, _ key: String, in conn: any SQLConnection) async throws -> (subject: String, body: String, edited: Bool) {
        let d = try Self.definition(key)
        if let o = try await store.all(ws, in: conn).first(where: { $0.key == key }) { return (o.subject, o.body, true) }
        return (d.defaultSubject, d.defaultBody, false)
    }

    /// Renders `key` for a site with `context`, inside the site's layout.
    public func render(_ ws: WorkspaceID, _ key: String, _ context: [String: String], in conn: any SQLConnection) async throws -> RenderedEmail {
        let d = try Self.definition(key)
        let edits = try await store.all(ws, in: conn)
        let t = edits.first { $0.key == key }
        let layout = edits.first { $0.key == Self.layout.key }?.body ?? Self.layout.defaultBody
        return Self.render(subject: t?.subject ?? d.defaultSubject, body: t?.body ?? d.defaultBody, layout: layout, definition: d, context)
    }

    /// Every template of a site with its current text.
    public func list(_ ws: WorkspaceID) async throws -> [(definition: EmailTemplateDefinition, subject: String, body: String, edited: Bool)] {
        let edits = try await db.read { try await store.all(ws, in: $0) }
        return Self.all.map { d in
            if let o = edits.first(where: { $0.key == d.key }) { return (d, o.subject, o.body, true) }
            return (d, d.defaultSubject, d.defaultBody, false)
        }
    }

    /// Checks a template's texts: sizes, and every `{{variable}}` known (so a typo is caught now, not when mail goes out).
    public static func check(_ d: EmailTemplateDefinition, subject: String, body: String) throws {
        guard subject.count <= maxSubject else { throw DomainError.validation(field: "subject", message: "must be at most \(maxSubject) characters") }
        guard body.count <= maxBody else { throw DomainError.validation(field: "body", message: "must be at most \(maxBody) characters") }
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw DomainError.validation(field: "body", message: "cannot be empty") }
        if d.isLayout {
            guard TemplateVariables.occurrences(in: body).contains(where: { $0.name == "content" }) else { throw DomainError.validation(field: "body", message: "the layout must contain {{content}} where the email's text goes") }
        } else {
            guard !subject.trimmingCharacters(in: .whitespaces).isEmpty else { throw DomainError.validation(field: "subject", message: "cannot be empty") }
        }
        try TemplateVariables.validate(subject, field: "subject", extra: d.extraVariables)
        try TemplateVariables.validate(body, field: "body", extra: d.extraVariables)
    }

    public func save(_ ws: WorkspaceID, key: String, subject: String, body: String, by: UserID?) async throws {
        let d = try Self.definition(key)
        try Self.check(d, subject: subject, body: body)
        try await db.transaction { tx in
            try await store.save(ws, key: key, subject: d.isLayout ? "" : subject, body: body, by: by, now: clock.now(), in: tx)
            try await outbox.publish("email_template.updated", workspace: ws, payload: ["key": .string(key)], in: tx)
        }
    }

    public func reset(_ ws: WorkspaceID, key: String) async throws -> Bool {
        _ = try Self.definition(key)
        return try await db.transaction { tx in
            let done = try await store.reset(ws, key: key, in: tx)
            if done { try await outbox.publish("email_template.updated", workspace: ws, payload: ["key": .string(key), "reset": .bool(true)], in: tx) }
            return done
        }
    }

    /// Sample values for the live preview.
    public static func sampleContext(siteName: String, businessName: String, agentName: String) -> [String: String] {
        [
            "customer_name": "Jane Doe", "customer_email": "jane@example.com", "ticket_id": "T-12345", "ticket_subject": "My order has not arrived",
            "agent_name": agentName, "department_name": "Support", "department_signature": "The Support team", "site_name": siteName,
            "business_name": businessName.isEmpty ? siteName : businessName,
            "message": "Hi Jane,\n\nYour parcel left our warehouse this morning; here is the tracking link.\n\nSorry for the wait!",
            "ticket_status": "resolved", "portal_link": "https://example.com/support#opsiq-ticket=T-12345~tk_sample",
            "portal_access": "Follow your request online: https://example.com/support#opsiq-ticket=T-12345~tk_sample",
        ]
    }

    /// Renders unsaved texts with sample values; unknown variables are refused as on save.
    public func preview(_ ws: WorkspaceID, key: String, subject: String, body: String, siteName: String, businessName: String, agentName: String) async throws -> RenderedEmail {
        let d = try Self.definition(key)
        try Self.check(d, subject: subject, body: body)
        let ctx = Self.sampleContext(siteName: siteName, businessName: businessName, agentName: agentName)
        if d.isLayout {
            let sample = Self.ticketReply
            return Self.render(subject: sample.defaultSubject, body: sample.defaultBody, layout: body, definition: sample, ctx)
        }
        let layout = try await db.read { try await texts(ws, Self.layout.key, in: $0) }.body
        return Self.render(subject: subject, body: body, layout: layout, definition: d, ctx)
    }
}
