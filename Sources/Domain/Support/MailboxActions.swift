import Foundation
import Ports

/// The `mailboxes.*` actions: Owners and Full Admins connect IMAP mailboxes, test them and poll them
/// now. Passwords go in and are never returned.
public enum MailboxActions {
    static let admins: Set<Role> = [.owner, .fullAdmin]
    static let idParam = ActionParam("id", .integer(min: 1), required: true, "The mailbox's id.")

    public static func register(into r: inout ActionRegistry, mailboxes s: Mailboxes, tickets: TicketService, ownAddresses: Set<String>) {
        r.register(ActionDefinition(name: "mailboxes.list", summary: "List the site's mailboxes with their health (last poll, last error). Passwords are never shown.",
                                    scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true) { inv in
            .object(["mailboxes": .array(try await s.list(inv.workspace!.id).map(\.json))])
        })
        r.register(ActionDefinition(name: "mailboxes.create", summary: "Connect an IMAP mailbox: mail arriving in its folder becomes tickets in its department.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: fieldParams(required: true)) { inv in
            try await s.save(inv.workspace!.id, id: nil, try await fields(inv, tickets, base: nil)).json
        })
        r.register(ActionDefinition(name: "mailboxes.update", summary: "Change a mailbox; fields left out keep their value (the password too).",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: [idParam] + fieldParams(required: false)) { inv in
            let ws = inv.workspace!.id, id = inv.int("id")!
            let current = try await s.get(ws, id: id)
            return try await s.save(ws, id: id, try await fields(inv, tickets, base: current)).json
        })
        r.register(ActionDefinition(name: "mailboxes.delete", summary: "Disconnect a mailbox (its tickets stay).", scope: "settings.write", roles: admins,
                                    risk: .destructive, workspaceScoped: true, params: [idParam]) { inv in
            try await s.delete(inv.workspace!.id, id: inv.int("id")!)
            return .object(["id": .int(inv.int("id")!), "deleted": .bool(true)])
        })
        r.register(ActionDefinition(name: "mailboxes.test", summary: "Log in to the mailbox and open its folder; the error says what failed (password, TLS, folder).",
                                    scope: "settings.write", roles: admins, risk: .read, workspaceScoped: true, params: [idParam]) { inv in
            let r = try await s.test(inv.workspace!.id, id: inv.int("id")!)
            return .object(["ok": .bool(true), "uid_validity": .int(r.uidValidity), "messages": .int(Int64(r.messages))])
        })
        r.register(ActionDefinition(name: "mailboxes.poll", summary: "Import the mailbox's new mail now instead of waiting for the next poll.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true, params: [idParam]) { inv in
            let r = try await s.poll(inv.workspace!.id, id: inv.int("id")!, ownAddresses: ownAddresses)
            if let e = r.error { throw DomainError.validation(field: "id", message: e) }
            var created = 0, replied = 0, skipped = 0
            for o in r.imported {
                switch o {
                case .created: created += 1
                case .replied: replied += 1
                default: skipped += 1
                }
            }
            return .object(["created": .int(Int64(created)), "replied": .int(Int64(replied)), "skipped": .int(Int64(skipped))])
        })
    }

    static func fieldParams(required: Bool) -> [ActionParam] {
        [ActionParam("name", .string(maxLength: 190), required: required, "What the team calls it, e.g. Support inbox."),
         ActionParam("address", .string(maxLength: 190), required: required, "The mailbox's email address (support@example.com)."),
         ActionParam("host", .string(maxLength: 255), required: required, "IMAP host, e.g. imap.gmail.com."),
         ActionParam("port", .integer(min: 1, max: 65535), "993 for SSL/TLS (default), 143 for STARTTLS."),
         ActionParam("security", .string(maxLength: 16, enumValues: IMAPAccount.Security.allCases.map(\.rawValue)), "tls (default), starttls or none (localhost only)."),
         ActionParam("username", .string(maxLength: 255), required: required, "The login, usually the full address."),
         ActionParam("password", .string(maxLength: 1000), required: required, "Password or app password; stored encrypted, never shown again."),
         ActionParam("folder", .string(maxLength: 255), "Folder to read (default INBOX)."),
         ActionParam("department", .any, "The department new tickets go to (id or name); null: none."),
         ActionParam("poll_minutes", .integer(min: 1, max: 1440), "Minutes between polls (default 5)."),
         ActionParam("enabled", .boolean, "Poll it (default true).")]
    }

    static func fields(_ inv: ActionInvocation, _ tickets: TicketService, base: Mailbox?) async throws -> MailboxFields {
        var dept = base?.departmentID
        if let ref = inv.params["department"] { dept = ref == .null ? nil : try await tickets.department(inv.workspace!.id, ref).id }
        let security = inv.string("security").flatMap(IMAPAccount.Security.init(rawValue:)) ?? base?.security ?? .tls
        return MailboxFields(name: inv.string("name") ?? base?.name ?? "", address: inv.string("address") ?? base?.address ?? "",
                             host: inv.string("host") ?? base?.host ?? "", port: Int(inv.int("port") ?? Int64(base?.port ?? (security == .tls ? 993 : 143))),
                             security: security, username: inv.string("username") ?? base?.username ?? "", password: inv.string("password"),
                             folder: inv.string("folder") ?? base?.folder ?? "INBOX", departmentID: dept,
                             pollMinutes: Int(inv.int("poll_minutes") ?? Int64(base?.pollMinutes ?? 5)), enabled: inv.bool("enabled") ?? base?.enabled ?? true)
    }
}

extension Mailbox {
    /// The API view: everything but the password.
    public var json: JSONValue {
        .object(["id": .int(id), "name": .string(name), "address": .string(address), "host": .string(host), "port": .int(Int64(port)),
                 "security": .string(security.rawValue), "username": .string(username), "folder": .string(folder),
                 "department_id": departmentID.map { .int($0) } ?? .null, "poll_minutes": .int(Int64(pollMinutes)), "enabled": .bool(enabled),
                 "uid_validity": uidValidity.map { .int($0) } ?? .null, "last_uid": .int(lastUID),
                 "last_polled_at": lastPolledAt.map { .string(TicketService.iso($0)) } ?? .null, "last_error": lastError.map { .string($0) } ?? .null,
                 "healthy": .bool(lastError == nil)])
    }
}
