import Foundation
import Ports

/// Addresses and messages that must never get automatic mail: bounces, list traffic and robots.
public enum MailLoopGuard {
    /// Local parts of robot mailboxes (compared without `-`, `_` and `.`).
    static let robotLocalParts: Set<String> = ["noreply", "donotreply", "mailerdaemon", "postmaster", "bounce", "bounces", "nobody"]

    /// True for noreply, mailer-daemon and postmaster style addresses.
    public static func isRobotAddress(_ email: String) -> Bool {
        let local = email.lowercased().split(separator: "@").first.map(String.init) ?? ""
        let plain = local.split(separator: "+").first.map(String.init) ?? local
        let squeezed = plain.filter { $0 != "-" && $0 != "_" && $0 != "." }
        return robotLocalParts.contains(squeezed) || squeezed.hasPrefix("noreply") || squeezed.hasPrefix("donotreply")
    }
}

/// Mail out for tickets: every email is rendered from the site's templates and written to the mail
/// outbox in the caller's transaction (so it exists exactly when the change that caused it does),
/// then sent by the `mail.outbox.send` job. With no SMTP configured it is kept as `held`, visible in
/// the admin's Outbox page, and never sent.
public struct TicketMailer: Sendable {
    public let store: any MailOutboxStore
    public let tickets: any TicketStore
    public let templates: EmailTemplates
    public let jobs: any JobStore
    public let workspaces: any WorkspaceStore
    public let departments: any DepartmentStore
    public let users: any UserStore
    public let settings: SettingsService
    public let clock: any TimeSource
    public let random: any RandomSource
    /// The sender of every email (OPSIQ_MAIL_FROM); the display name becomes the business or site name.
    public let from: MailAddress
    /// False in the embedded default (no OPSIQ_SMTP_URL): mail is held in the local outbox.
    public let smtpConfigured: Bool
    /// The address replies should go to for a ticket's department (its mailbox), when there is one.
    public var replyAddress: (@Sendable (WorkspaceID, Int64?, any SQLConnection) async throws -> String?)?
    /// Mints a portal access key for the ticket in the caller's transaction and returns the link to it on
    /// the site's portal page; nil when the site has none (see `TicketPortal.accessLink`).
    public var portalLink: (@Sendable (WorkspaceID, Ticket, any SQLConnection) async throws -> String?)?

    public static let jobKind = "mail.outbox.send"
    /// Automatic emails (acknowledgements, AI replies) allowed per ticket and per address in `rateWindow`.
    public static let perTicketLimit = 3
    public static let perAddressLimit = 5
    public static let rateWindow: TimeInterval = 3600

    public init(store: any MailOutboxStore, tickets: any TicketStore, templates: EmailTemplates, jobs: any JobStore, workspaces: any WorkspaceStore, departments: any DepartmentStore,
                users: any UserStore, settings: SettingsService, clock: any TimeSource, random: any RandomSource, from: MailAddress, smtpConfigured: Bool) {
        self.store = store; self.tickets = tickets; self.templates = templates; self.jobs = jobs; self.workspaces = workspaces; self.departments = departments; self.users = users
        self.settings = settings; self.clock = clock; self.random = random; self.from = from; self.smtpConfigured = smtpConfigured
    }

    /// A fresh Message-ID on our domain, angle brackets included.
    public func newMessageID(ticket: Ticket) -> String {
        let domain = from.email.split(separator: "@").last.map { $0.lowercased() } ?? "opsiq.localhost"
        return "<opsiq.\(ticket.displayID.lowercased()).\(random.hexToken(bytes: 10))@\(domain)>"
    }

    /// Why an automatic email was not written (nil: it was).
    public enum Skipped: String, Sendable, Equatable {
        case robotAddress = "robot_address"
        case ticketRateLimit = "ticket_rate_limit"
        case addressRateLimit = "address_rate_limit"
        case loopProtection = "loop_protection"
    }

    /// Whether automatic mail may go to `email` about `ticketID` now (robot addresses and rate limits).
    public func automaticAllowed(_ ws: WorkspaceID, ticketID: Int64, email: String, in tx: any SQLConnection) async throws -> Skipped? {
        if MailLoopGuard.isRobotAddress(email) { return .robotAddress }
        let since = clock.now().addingTimeInterval(-Self.rateWindow)
        if try await store.countAutomatic(ws, ticketID: ticketID, toEmail: nil, since: since, in: tx) >= Self.perTicketLimit { return .ticketRateLimit }
        if try await store.countAutomatic(ws, ticketID: nil, toEmail: email, since: since, in: tx) >= Self.perAddressLimit { return .addressRateLimit }
        return nil
    }

    /// The thread's Message-IDs, oldest first: public messages and the mail we sent for the ticket.
    func threadIDs(_ ws: WorkspaceID, ticket: Ticket, excluding own: String, in tx: any SQLConnection) async throws -> (references: [String], inReplyTo: String?) {
        // Internal notes never take part in mail, not even by their ids.
        let messages = try await tickets.messages(ws, ticketID: ticket.id, includeInternal: false, in: tx)
        let sent = try await store.list(ws, status: nil, ticketID: ticket.id, limit: 100, offset: 0, in: tx).mails
        var items: [(Date, Int, String)] = messages.compactMap { m in m.messageID.map { (m.createdAt, 0, $0) } }
        items += sent.map { ($0.createdAt, 1, $0.messageID) }
        items.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var seen: Set<String> = [], ids: [String] = []
        for (_, _, id) in items where id != own && seen.insert(id).inserted { ids.append(id) }
        // The customer's latest email is what this answers; else the latest message of the thread.
        let lastCustomer = messages.last { $0.authorKind == .customer && $0.messageID != nil && $0.messageID != own }?.messageID
        // Long threads: keep the first and the most recent references (RFC 5322 3.6.4 allows trimming).
        let refs = ids.count > 20 ? [ids[0]] + ids.suffix(19) : ids
        return (refs, lastCustomer ?? ids.last)
    }

    /// The template variables for `ticket` (site, business name, department signature).
    func context(_ ws: WorkspaceID, ticket: Ticket, agentName: String, in tx: any SQLConnection) async throws -> (vars: [String: String], site: Workspace?) {
        let site = try await workspaces.find(ws, in: tx)
        let business = try await settings.value("business.name", workspace: ws)?.stringValue ?? ""
        let dept = try await ticket.departmentID.asyncMap { id in try await departments.list(ws, includeArchived: true).first { $0.id == id } } ?? nil
        let vars = TemplateVariables.context(ticket: ticket, agentName: agentName, department: dept, siteName: site?.name ?? "", businessName: business)
        return (vars, site)
    }

    /// Writes one email for `ticket` to the outbox (and its send job when SMTP is configured).
    func write(_ ws: WorkspaceID, ticket: Ticket, kind: String, automatic: Bool, messageID: String, extra: [String: String], agentName: String,
               in tx: any SQLConnection) async throws -> StoredMail {
        let ctx = try await context(ws, ticket: ticket, agentName: agentName, in: tx)
        var vars = ctx.vars
        let site = ctx.site
        for (k, v) in extra { vars[k] = v }
        var rendered = try await templates.render(ws, kind, vars, in: tx)
        // The subject token threads replies even when a mail client drops the headers; a template cannot remove it.
        if !rendered.subject.contains("[\(ticket.displayID)]") { rendered.subject += " [\(ticket.displayID)]" }
        let thread = try await threadIDs(ws, ticket: ticket, excluding: messageID, in: tx)
        var headers: [(String, String)] = [("Message-ID", messageID)]
        if let irt = thread.inReplyTo { headers.append(("In-Reply-To", irt)) }
        if !thread.references.isEmpty { headers.append(("References", thread.references.joined(separator: " "))) }
        headers.append(("X-OpsIQ-Ticket", ticket.displayID))
        if automatic {
            headers.append(("Auto-Submitted", "auto-replied"))
            headers.append(("X-Loop", from.email.lowercased()))
        }
        let name = vars["business_name"].flatMap { $0.isEmpty ? nil : $0 } ?? site?.name
        let replyTo = try await replyAddress?(ws, ticket.departmentID, tx)
        let mail = OutgoingMail(from: MailAddress(from.email, name: name ?? from.name), to: [MailAddress(ticket.customerEmail, name: ticket.customerName.isEmpty ? nil : ticket.customerName)],
                                replyTo: replyTo.map { MailAddress($0, name: name) }, subject: rendered.subject, textBody: rendered.text, htmlBody: rendered.html,
                                headers: headers)
        let now = clock.now()
        let stored = try await store.insert(ws, NewStoredMail(ticketID: ticket.id, kind: kind, automatic: automatic, status: smtpConfigured ? .queued : .held,
                                                              mail: mail, messageID: messageID, now: now), in: tx)
        if smtpConfigured {
            _ = try await jobs.enqueue(NewJob(kind: Self.jobKind, payload: "{\"workspace_id\":\(ws.raw),\"mail_id\":\(stored.id)}", queue: "default", workspaceID: ws,
                                              uniqueKey: "mail.outbox.\(stored.id)", maxAttempts: 8), now: now, in: tx)
        }
        return stored
    }

    /// The email for a public agent (or AI) reply, in the reply's transaction. `messageID` is the one
    /// stored on the ticket message, so the customer's answer threads back to it. AI replies are
    /// automatic: rate-limited, and never sent to robot addresses.
    public func replyWritten(_ ws: WorkspaceID, ticket: Ticket, message: TicketMessage, in tx: any SQLConnection) async throws -> StoredMail? {
        guard !message.internalNote, message.authorKind == .agent || message.authorKind == .ai, let id = message.messageID else { return nil }
        let automatic = message.authorKind == .ai
        if automatic, try await automaticAllowed(ws, ticketID: ticket.id, email: ticket.customerEmail, in: tx) != nil { return nil }
        var agentName = ""
        if let u = message.authorUserID, let user = try await users.find(u, in: tx) { agentName = user.name }
        return try await write(ws, ticket: ticket, kind: EmailTemplates.ticketReply.key, automatic: automatic, messageID: id,
                               extra: ["message": message.body], agentName: agentName, in: tx)
    }

    /// `{{portal_link}}` and `{{portal_access}}` for an automatic email (a fresh access key each time, so
    /// anonymous customers who wrote by email, the portal or through the API can follow the ticket).
    func portalVariables(_ ws: WorkspaceID, ticket: Ticket, in tx: any SQLConnection) async throws -> [String: String] {
        guard let link = try await portalLink?(ws, ticket, tx) else { return ["portal_link": "", "portal_access": ""] }
        return ["portal_link": link, "portal_access": "Follow your request online: \(link)"]
    }

    /// The automatic acknowledgement of a ticket a customer opened (by email, in the portal or through the
    /// API); nil when skipped (and why).
    public func acknowledge(_ ws: WorkspaceID, ticket: Ticket, in tx: any SQLConnection) async throws -> (mail: StoredMail?, skipped: Skipped?) {
        if let why = try await automaticAllowed(ws, ticketID: ticket.id, email: ticket.customerEmail, in: tx) { return (nil, why) }
        let m = try await write(ws, ticket: ticket, kind: EmailTemplates.ticketReceived.key, automatic: true, messageID: newMessageID(ticket: ticket),
                                extra: try await portalVariables(ws, ticket: ticket, in: tx), agentName: "", in: tx)
        return (m, nil)
    }

    /// The automatic "your request is resolved/closed" email, in the status change's transaction. Automatic
    /// like the acknowledgement: rate-limited per ticket and address, never to robots; nothing for a
    /// merged ticket or a ticket that is not resolved or closed. The caller decides whether the change
    /// was the team's (the customer's own resolve in the portal and merges send nothing).
    public func resolvedNotice(_ ws: WorkspaceID, ticket: Ticket, in tx: any SQLConnection) async throws -> (mail: StoredMail?, skipped: Skipped?) {
        guard ticket.mergedInto == nil, ticket.status == .resolved || ticket.status == .closed else { return (nil, nil) }
        if let why = try await automaticAllowed(ws, ticketID: ticket.id, email: ticket.customerEmail, in: tx) { return (nil, why) }
        var extra = try await portalVariables(ws, ticket: ticket, in: tx)
        extra["ticket_status"] = ticket.status == .closed ? "closed" : "resolved"
        let m = try await write(ws, ticket: ticket, kind: EmailTemplates.ticketResolved.key, automatic: true, messageID: newMessageID(ticket: ticket),
                                extra: extra, agentName: "", in: tx)
        return (m, nil)
    }
}

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let w): return try await f(w)
        case .none: return nil
        }
    }
}
