import Foundation
import Ports

/// The `email_templates.*` and `mail.outbox.*` actions: Owners and Full Admins edit a site's email
/// templates (unknown variables refused at save) and read the outgoing-mail outbox, headers and body.
public enum MailActions {
    static let admins: Set<Role> = [.owner, .fullAdmin]
    static let keyParam = ActionParam("key", .string(maxLength: 64, enumValues: EmailTemplates.all.map(\.key)), required: true, "The template: "
                                      + EmailTemplates.all.map { "\($0.key) (\($0.label))" }.joined(separator: ", ") + ".")

    public static func register(into r: inout ActionRegistry, templates: EmailTemplates, outbox: any MailOutboxStore, tickets: TicketService, db: any SQLDatabase, settings: SettingsService) {
        r.register(ActionDefinition(name: "email_templates.list", summary: "List a site's email templates with their current subject and body, and the variables each may use.",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true) { inv in
            let list = try await templates.list(inv.workspace!.id)
            return .object(["templates": .array(list.map { t in
                .object(["key": .string(t.definition.key), "label": .string(t.definition.label), "description": .string(t.definition.description),
                         "subject": .string(t.subject), "body": .string(t.body), "edited": .bool(t.edited), "layout": .bool(t.definition.isLayout),
                         "variables": .array((TemplateVariables.all + t.definition.extraVariables).map { .string($0.token) })])
            })])
        })
        let textParams = [keyParam,
                          ActionParam("subject", .string(maxLength: EmailTemplates.maxSubject), "The subject with {{variables}} (ignored for the layout)."),
                          ActionParam("body", .string(maxLength: EmailTemplates.maxBody), required: true, "The text with {{variables}}; the layout is HTML with {{content}}.")]
        r.register(ActionDefinition(name: "email_templates.save", summary: "Change an email template of the site. Unknown {{variables}} are refused.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: textParams) { inv in
            var by: UserID? = nil
            if case .user(let u, _) = inv.actor { by = u.id }
            let key = inv.string("key")!
            try await templates.save(inv.workspace!.id, key: key, subject: inv.string("subject") ?? "", body: inv.string("body") ?? "", by: by)
            return .object(["key": .string(key), "saved": .bool(true)])
        })
        r.register(ActionDefinition(name: "email_templates.reset", summary: "Put an email template back to the built-in text.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: [keyParam]) { inv in
            let key = inv.string("key")!
            return .object(["key": .string(key), "reset": .bool(try await templates.reset(inv.workspace!.id, key: key))])
        })
        r.register(ActionDefinition(name: "email_templates.preview", summary: "Render unsaved template texts with sample values (subject, text and the HTML inside the layout).",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true, params: textParams) { inv in
            let ws = inv.workspace!
            var agent = "Alex from Support"
            if case .user(let u, _) = inv.actor { agent = u.name }
            let business = try await settings.value("business.name", workspace: ws.id)?.stringValue ?? ""
            let out = try await templates.preview(ws.id, key: inv.string("key")!, subject: inv.string("subject") ?? "", body: inv.string("body") ?? "",
                                                  siteName: ws.name, businessName: business, agentName: agent)
            return .object(["subject": .string(out.subject), "text": .string(out.text), "html": .string(out.html)])
        })
        r.register(ActionDefinition(name: "mail.outbox.list", summary: "The site's outgoing email, newest first: queued, sent, failed, or held (no SMTP configured).",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true,
                                    params: [ActionParam("status", .string(maxLength: 16, enumValues: StoredMailStatus.allCases.map(\.rawValue)), "Only emails in this state."),
                                             ActionParam("ticket_id", .any, "Only emails about this ticket (T-123 or 123)."),
                                             ActionParam("limit", .integer(min: 1, max: 200), "Page size (default 50)."),
                                             ActionParam("offset", .integer(min: 0), "Rows to skip.")]) { inv in
            let ws = inv.workspace!.id
            var ticketID: Int64? = nil
            if let ref = inv.params["ticket_id"], ref != .null {
                let n = try TicketService.parseNumber(ref, field: "ticket_id")
                // An unknown ticket matches nothing (not every email).
                ticketID = try await db.read { try await tickets.store.find(ws, number: n, in: $0) }?.id ?? -1
            }
            let page = try await db.read {
                try await outbox.list(ws, status: inv.string("status").flatMap(StoredMailStatus.init(rawValue:)), ticketID: ticketID,
                                      limit: Int(inv.int("limit") ?? 50), offset: Int(inv.int("offset") ?? 0), in: $0)
            }
            return .object(["mails": .array(page.mails.map { $0.summaryJSON }), "total": .int(Int64(page.total))])
        })
        r.register(ActionDefinition(name: "mail.outbox.get", summary: "One outgoing email with every header and both bodies.",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true,
                                    params: [ActionParam("id", .integer(min: 1), required: true, "The email's id in the outbox.")]) { inv in
            guard let m = try await db.read({ try await outbox.find(inv.workspace!.id, id: inv.int("id")!, in: $0) }) else {
                throw DomainError.notFound("no outgoing email \(inv.int("id")!) in this site")
            }
            var o: [String: JSONValue] = [:]
            if case .object(let summary) = m.summaryJSON { o = summary }
            o["headers"] = .array(m.displayHeaders.map { .array([.string($0.0), .string($0.1)]) })
            o["text"] = .string(m.mail.textBody)
            o["html"] = m.mail.htmlBody.map { .string($0) } ?? .null
            return .object(o)
        })
    }
}

extension StoredMail {
    /// Every header as it goes out (the sender adds Date and the MIME headers).
    public var displayHeaders: [(String, String)] {
        func addr(_ a: MailAddress) -> String { a.name.map { "\($0) <\(a.email)>" } ?? a.email }
        var h: [(String, String)] = [("From", addr(mail.from)), ("To", mail.to.map(addr).joined(separator: ", "))]
        if let r = mail.replyTo { h.append(("Reply-To", addr(r))) }
        h.append(("Subject", mail.subject))
        return h + mail.headers
    }

    public var summaryJSON: JSONValue {
        .object(["id": .int(id), "ticket_id": ticketID.map { .int($0) } ?? .null, "kind": .string(kind), "automatic": .bool(automatic),
                 "status": .string(status.rawValue), "to": .string(mail.to.first?.email ?? ""), "subject": .string(mail.subject), "message_id": .string(messageID),
                 "attempts": .int(Int64(attempts)), "last_error": lastError.map { .string($0) } ?? .null,
                 "created_at": .string(TicketService.iso(createdAt)), "sent_at": sentAt.map { .string(TicketService.iso($0)) } ?? .null])
    }
}
