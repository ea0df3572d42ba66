import Foundation
import Ports

/// Who is using the customer ticket portal.
public enum PortalCustomer: Sendable, Equatable {
    /// Named by a signed identity token (the authenticated flavour): sees every ticket opened with this email.
    case identified(email: String, name: String)
    /// No identity token: sees only the tickets whose access keys it presents.
    case anonymous
}

/// A file a customer sends with a new ticket or a reply.
public struct PortalFile: Sendable, Equatable {
    public var name: String
    public var bytes: [UInt8]
    public init(name: String, bytes: [UInt8]) { self.name = name; self.bytes = bytes }
}

/// An access key presented by an anonymous customer for one ticket.
public struct PortalTicketKey: Sendable, Equatable {
    public var number: Int64
    public var key: String
    public init(number: Int64, key: String) { self.number = number; self.key = key }
}

/// Too many portal requests from one address; `message` says which limit.
public struct PortalRateLimited: Error, Sendable, Equatable {
    public var retryAfter: Int
    public var message: String
}

/// The customer ticket portal (the widget's `data-mode="tickets"`). A hard boundary: everything it
/// returns is built here from public messages only (`includeInternal: false`) of tickets the customer
/// owns: the identity token's email for identified customers, a per-ticket access key (random, only its
/// SHA-256 stored, compared in constant time) for anonymous ones. A ticket the customer does not own
/// answers exactly like one that does not exist. Customers' messages go through `TicketService`, so the
/// reopen, lock and event rules are the helpdesk's.
public struct TicketPortal: Sendable {
    public let db: any SQLDatabase
    public let store: any TicketPortalStore
    public let tickets: TicketService
    public let attachments: TicketAttachments
    public let rateLimits: any RateLimitStore
    public let digests: any Digests
    public let random: any RandomSource
    public let clock: any TimeSource

    public init(db: any SQLDatabase, store: any TicketPortalStore, tickets: TicketService, attachments: TicketAttachments, rateLimits: any RateLimitStore,
                digests: any Digests, random: any RandomSource, clock: any TimeSource) {
        self.db = db; self.store = store; self.tickets = tickets; self.attachments = attachments; self.rateLimits = rateLimits
        self.digests = digests; self.random = random; self.clock = clock
    }

    /// Site setting: when true the portal only serves customers with a valid identity token.
    public static let requireIdentitySetting = "tickets.portal_require_identity"
    /// Site setting: requests a minute from one address to one site's portal (polling every 12 s uses 5; default 120).
    public static let requestsPerMinuteSetting = "tickets.portal_requests_per_minute"
    /// Site setting: new tickets an hour from one address to one site's portal (anonymous spam guard; default 10).
    public static let createsPerHourSetting = "tickets.portal_creates_per_hour"
    /// Site setting: the page of the site that embeds the portal (links in the automatic emails).
    public static let portalURLSetting = "tickets.portal_url"
    public static let maxFiles = 5
    public static let maxKeys = 50
    public static let notFoundMessage = "no such ticket, or it is not yours"

    // MARK: - Who is asking

    /// The customer a request speaks for. A token that fails any check of the beacon's verifier is refused
    /// (never downgraded to anonymous); a site that requires identity refuses requests without one.
    public func identify(_ site: Workspace, token: String?) async throws -> PortalCustomer {
        let t = (token ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty {
            if case .bool(true)? = try await tickets.settings.value(Self.requireIdentitySetting, workspace: site.id) {
                throw DomainError.unauthenticated("identity_token: this site's ticket portal requires a signed identity token (data-identity-token)")
            }
            return .anonymous
        }
        let claims: IdentityClaims
        do { claims = try IdentityTokenVerifier(digests: digests).verify(t, siteKey: site.siteKey, secret: site.siteSecret, now: clock.now()) } catch let e as IdentityTokenError {
            throw DomainError.unauthenticated("identity_token: \(e.description)")
        }
        guard let email = claims.email, email.split(separator: "@").count == 2 else {
            throw DomainError.validation(field: "identity_token", message: "the token's customer needs an email for the ticket portal")
        }
        return .identified(email: email, name: claims.name ?? "")
    }

    /// Counts one request (and one new ticket when `create`) from `ip`; throws when over a limit.
    public func hit(_ ws: WorkspaceID, ip: String, create: Bool) async throws {
        let now = clock.now().timeIntervalSince1970
        let minute = (now / 60).rounded(.down) * 60
        let perMinute = try await tickets.settings.value(Self.requestsPerMinuteSetting, workspace: ws)?.intValue ?? 120
        if try await rateLimits.hit(bucket: "portal:\(ws.raw):\(ip)", windowStart: Date(timeIntervalSince1970: minute)) > perMinute {
            throw PortalRateLimited(retryAfter: max(1, Int((minute + 60 - now).rounded(.up))),
                                    message: "too many requests: at most \(perMinute) a minute from one address (setting \(Self.requestsPerMinuteSetting))")
        }
        guard create else { return }
        let hour = (now / 3600).rounded(.down) * 3600
        let perHour = try await tickets.settings.value(Self.createsPerHourSetting, workspace: ws)?.intValue ?? 10
        if try await rateLimits.hit(bucket: "portal-create:\(ws.raw):\(ip)", windowStart: Date(timeIntervalSince1970: hour)) > perHour {
            throw PortalRateLimited(retryAfter: max(1, Int((hour + 3600 - now).rounded(.up))),
                                    message: "too many new tickets: at most \(perHour) an hour from one address (setting \(Self.createsPerHourSetting))")
        }
    }

    // MARK: - Branding

    /// The portal's look from the site's settings: `tickets.portal_title` (default "Support tickets"),
    /// `branding.color` and `branding.logo_url`. Values were validated when saved; they are checked again
    /// here (a #rrggbb colour, an https URL without quotes or brackets) so nothing else reaches the page,
    /// and the embed applies them as text, a CSS custom property and an image source only.
    public func branding(_ ws: WorkspaceID) async throws -> JSONValue {
        let settings = tickets.settings
        let title = try await settings.value("tickets.portal_title", workspace: ws)?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let color = try await settings.value("branding.color", workspace: ws)?.stringValue ?? ""
        let logo = try await settings.value("branding.logo_url", workspace: ws)?.stringValue ?? ""
        let colorOK = color.count == 7 && color.hasPrefix("#") && color.dropFirst().allSatisfy(\.isHexDigit)
        let logoOK = (try? SettingDefinition("branding.logo_url", group: "", label: "", help: "", kind: .httpsURL, default: .string("")).validate(.string(logo))) == .string(logo)
        return .object([
            "title": .string(title.isEmpty ? "Support tickets" : String(title.prefix(120))),
            "color": colorOK ? .string(color) : .null,
            "logo_url": logoOK && !logo.isEmpty ? .string(logo) : .null,
        ])
    }

    // MARK: - Ownership

    /// The ticket `number` if this customer owns it (following a merge into a ticket of the same customer),
    /// else "not found". Anonymous customers must present the ticket's key.
    func owned(_ ws: WorkspaceID, _ who: PortalCustomer, number: Int64, key: String?) async throws -> Ticket {
        let store = tickets.store, portal = self.store
        return try await db.read { conn in
            guard let t = try await store.find(ws, number: number, in: conn) else { throw DomainError.notFound(Self.notFoundMessage) }
            switch who {
            case .identified(let email, _):
                guard constantTimeEquals(t.customerEmail.lowercased(), email.lowercased()) else { throw DomainError.notFound(Self.notFoundMessage) }
            case .anonymous:
                guard let key, !key.isEmpty, key.count <= 200 else { throw DomainError.notFound(Self.notFoundMessage) }
                let presented = digests.sha256Hex(key)
                // Every stored hash is compared, so the time taken does not depend on which one matched.
                var match = false
                for h in try await portal.keyHashes(ws, ticketID: t.id, in: conn) { match = constantTimeEquals(h, presented) || match }
                guard match else { throw DomainError.notFound(Self.notFoundMessage) }
            }
            if let m = t.mergedInto, let s = try await store.find(ws, id: m, in: conn), s.customerEmail.lowercased() == t.customerEmail.lowercased() {
                return s
            }
            return t
        }
    }

    // MARK: - Reading

    static func statuses(_ filter: String) throws -> (statuses: [TicketStatus], awaitingOnly: Bool) {
        switch filter {
        case "", "all": return ([], false)
        case "awaiting": return ([], true)
        default:
            guard let s = TicketStatus(rawValue: filter) else {
                throw DomainError.validation(field: "status", message: "must be one of all, awaiting, \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return ([s], false)
        }
    }

    /// "Awaiting you": the team asked the customer something (Waiting on Customer) or answered last.
    static func awaiting(_ t: Ticket, lastPublicAuthor: TicketAuthorKind?) -> Bool {
        if t.status == .waitingOnCustomer { return true }
        guard ![.resolved, .closed].contains(t.status) else { return false }
        return lastPublicAuthor == .agent || lastPublicAuthor == .ai
    }

    /// The customer's tickets, newest activity first, with search and a status filter (`awaiting` for the highlight).
    public func list(_ ws: WorkspaceID, _ who: PortalCustomer, keys: [PortalTicketKey], search: String, status: String) async throws -> JSONValue {
        let (statuses, awaitingOnly) = try Self.statuses(status)
        guard search.count <= 200 else { throw DomainError.validation(field: "search", message: "must be at most 200 characters") }
        let owner: PortalTicketQuery.Owner
        switch who {
        case .identified(let email, _): owner = .email(email)
        case .anonymous:
            guard keys.count <= Self.maxKeys else { throw DomainError.validation(field: "tickets", message: "at most \(Self.maxKeys) ticket keys per request") }
            var ids: [Int64] = []
            // Keys that no longer open anything (a wrong key, a deleted ticket) are skipped, not reported.
            for k in keys { if let t = try? await owned(ws, who, number: k.number, key: k.key), !ids.contains(t.id) { ids.append(t.id) } }
            owner = .tickets(ids)
        }
        let store = self.store
        let rows = try await db.read { try await store.list(ws, PortalTicketQuery(owner: owner, search: search, statuses: statuses, limit: 100), in: $0) }
        let views = rows.filter { !awaitingOnly || Self.awaiting($0.ticket, lastPublicAuthor: $0.lastPublicAuthor) }
            .map { Self.ticketJSON($0.ticket, awaiting: Self.awaiting($0.ticket, lastPublicAuthor: $0.lastPublicAuthor)) }
        return .object(["tickets": .array(views)])
    }

    /// One ticket with its public conversation and the public messages' attachments.
    public func get(_ ws: WorkspaceID, _ who: PortalCustomer, number: Int64, key: String?) async throws -> JSONValue {
        let t = try await owned(ws, who, number: number, key: key)
        return try await thread(ws, t)
    }

    func thread(_ ws: WorkspaceID, _ t: Ticket) async throws -> JSONValue {
        let store = tickets.store, files = attachments.store
        let (messages, attached) = try await db.read { conn in
            (try await store.messages(ws, ticketID: t.id, includeInternal: false, in: conn),
             try await files.list(ws, ticketID: t.id, includeInternal: false, in: conn))
        }
        // Belt and braces: the store was asked without internal notes; nothing internal passes here either.
        let publicMessages = messages.filter { !$0.internalNote }
        let publicFiles = attached.filter { !$0.internalNote }
        let last = publicMessages.last?.authorKind
        var byMessage: [Int64: [JSONValue]] = [:]
        var loose: [JSONValue] = []
        for a in publicFiles {
            let v = Self.fileJSON(a)
            if let m = a.messageID, publicMessages.contains(where: { $0.id == m }) { byMessage[m, default: []].append(v) } else if a.messageID == nil { loose.append(v) }
        }
        let msgs: [JSONValue] = publicMessages.map { m in
            .object(["id": .int(m.id), "author_kind": .string(m.authorKind.rawValue),
                     "author": .string(m.authorKind == .customer ? (t.customerName.isEmpty ? "You" : t.customerName) : m.authorKind == .ai ? "Support assistant" : "Support team"),
                     "body": .string(m.body), "created_at": .string(TicketService.iso(m.createdAt)), "attachments": .array(byMessage[m.id] ?? [])])
        }
        var o = Self.ticketJSON(t, awaiting: Self.awaiting(t, lastPublicAuthor: last))
        if case .object(var d) = o {
            d["messages"] = .array(msgs)
            d["attachments"] = .array(loose)
            o = .object(d)
        }
        return o
    }

    /// What the portal shows of a ticket: no department, assignee, SLA or staff details.
    static func ticketJSON(_ t: Ticket, awaiting: Bool) -> JSONValue {
        .object(["id": .string(t.displayID), "number": .int(t.number), "subject": .string(t.subject), "status": .string(t.status.rawValue),
                 "locked": .bool(t.locked), "awaiting_you": .bool(awaiting), "created_at": .string(TicketService.iso(t.createdAt)),
                 "updated_at": .string(TicketService.iso(t.updatedAt))])
    }

    static func fileJSON(_ a: TicketAttachment) -> JSONValue {
        .object(["id": .int(a.id), "file_name": .string(a.fileName), "content_type": .string(a.contentType), "size": .int(a.size)])
    }

    /// One attachment of a public message of a ticket the customer owns, with its bytes.
    public func attachment(_ ws: WorkspaceID, _ who: PortalCustomer, number: Int64, key: String?, attachmentID: Int64) async throws -> (attachment: TicketAttachment, bytes: [UInt8]) {
        let t = try await owned(ws, who, number: number, key: key)
        return try await attachments.fetch(ws, number: t.number, attachmentID: attachmentID, includeInternal: false, scope: .everything)
    }

    // MARK: - Writing

    /// Checks every file before anything is written, naming the one that fails (`files[1]`).
    func checkFiles(_ ws: WorkspaceID, _ files: [PortalFile]) async throws {
        guard files.count <= Self.maxFiles else { throw DomainError.validation(field: "files", message: "at most \(Self.maxFiles) files per message") }
        let maxMB = try await attachments.maxMB(ws)
        for (i, f) in files.enumerated() {
            do { _ = try AttachmentRules.check(fileName: AttachmentRules.displayName(f.name), bytes: f.bytes, maxMB: maxMB) } catch DomainError.validation(_, let message) {
                throw DomainError.validation(field: "files[\(i)]", message: "\(AttachmentRules.displayName(f.name)) \(message)")
            }
        }
    }

    /// Opens a ticket for the customer. Anonymous customers give their email and get the ticket's access
    /// key (shown once; only its hash is kept); identified customers' email comes from the token.
    public func create(_ ws: WorkspaceID, _ who: PortalCustomer, email: String?, name: String?, subject: String, message: String,
                       files: [PortalFile]) async throws -> (thread: JSONValue, key: String?) {
        let customerEmail: String, customerName: String
        switch who {
        case .identified(let e, let n): customerEmail = e; customerName = n
        case .anonymous:
            guard let e = email?.trimmingCharacters(in: .whitespaces), !e.isEmpty else { throw DomainError.validation(field: "email", message: "is required: we answer you there") }
            customerEmail = e
            customerName = String((name ?? "").trimmingCharacters(in: .whitespaces).prefix(190))
        }
        try await checkFiles(ws, files)
        let detail: TicketDetail
        do {
            var input = TicketService.NewTicketInput(subject: subject, message: message, departmentID: nil, customerEmail: customerEmail, customerName: customerName)
            // The acknowledgement carries a link with its own access key, so the customer can come back from any device.
            input.acknowledge = true
            detail = try await tickets.create(ws, input, scope: .everything)
        } catch DomainError.validation(let field, let m) where field == "customer_email" {
            throw DomainError.validation(field: "email", message: m)
        }
        var key: String? = nil
        if who == .anonymous {
            let k = "tk_" + random.bytes(32).hexString
            let store = self.store, now = clock.now()
            try await db.transaction { try await store.insertKey(ws, ticketID: detail.ticket.id, keyHash: digests.sha256Hex(k), now: now, in: $0) }
            key = k
        }
        for f in files {
            _ = try await attachments.attach(ws, number: detail.ticket.number, messageID: detail.messages.first?.id, fileName: f.name, bytes: f.bytes, scope: .everything)
        }
        return (try await thread(ws, detail.ticket), key)
    }

    /// The customer's reply, through `TicketService.reply` (a resolved or closed ticket reopens; a locked one refuses).
    public func reply(_ ws: WorkspaceID, _ who: PortalCustomer, number: Int64, key: String?, message: String, files: [PortalFile]) async throws -> JSONValue {
        let t = try await owned(ws, who, number: number, key: key)
        if t.mergedInto != nil { throw DomainError.conflict("\(t.displayID) was merged into another ticket and takes no replies") }
        try await checkFiles(ws, files)
        let m = try await tickets.reply(ws, number: t.number, body: message, author: .customer(email: t.customerEmail, name: t.customerName), scope: .everything)
        for f in files {
            _ = try await attachments.attach(ws, number: t.number, messageID: m.id, fileName: f.name, bytes: f.bytes, scope: .everything)
        }
        return try await get(ws, who, number: number, key: key)
    }

    /// Resolve (`resolve: true`) or reopen the customer's own ticket.
    public func setStatus(_ ws: WorkspaceID, _ who: PortalCustomer, number: Int64, key: String?, resolve: Bool) async throws -> JSONValue {
        let t = try await owned(ws, who, number: number, key: key)
        if t.mergedInto != nil { throw DomainError.conflict("\(t.displayID) was merged into another ticket") }
        if t.locked { throw DomainError.conflict("\(t.displayID) is locked by the support team") }
        let done = t.status == .resolved || t.status == .closed
        if resolve, done { throw DomainError.conflict("\(t.displayID) is already \(t.status.rawValue)") }
        if !resolve, !done { throw DomainError.conflict("\(t.displayID) is open; only resolved or closed tickets can be reopened") }
        // The customer resolved it: no "your request is resolved" email back to them.
        _ = try await tickets.setStatus(ws, number: t.number, to: resolve ? .resolved : .open, scope: .everything, notifyCustomer: false)
        return try await get(ws, who, number: number, key: key)
    }

    // MARK: - Staff: links for customers who wrote by email

    /// Issues another access key for ticket `number` (one the caller may see), so a customer who wrote
    /// by email or through the admin can follow the ticket in the portal. The key is returned once.
    public func issueKey(_ ws: WorkspaceID, number: Int64, scope: TicketScope) async throws -> (ticket: Ticket, key: String) {
        let t = try await tickets.load(ws, number, scope, forUpdate: nil)
        if t.mergedInto != nil { throw DomainError.validation(field: "ticket_id", message: "\(t.displayID) was merged; issue the key for the ticket it was merged into") }
        let k = "tk_" + random.bytes(32).hexString
        let store = self.store, now = clock.now()
        try await db.transaction { try await store.insertKey(ws, ticketID: t.id, keyHash: digests.sha256Hex(k), now: now, in: $0) }
        return (t, k)
    }

    /// The link to ticket `ticket` on the portal page `page`: the embed opens it from the fragment
    /// (`#opsiq-ticket=T-123~key`), which browsers never send to a server.
    public static func link(page: String, ticket: Ticket, key: String) -> String {
        "\(page.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])#opsiq-ticket=\(ticket.displayID)~\(key)"
    }

    /// For the automatic emails: mints an access key for `ticket` in `tx` (only its hash is stored) and
    /// returns its link on the site's portal page (setting `tickets.portal_url`); nil when none is set.
    public static func accessLink(_ ws: WorkspaceID, ticket: Ticket, store: any TicketPortalStore, settings: SettingsService, digests: any Digests,
                                  random: any RandomSource, now: Date, in tx: any SQLConnection) async throws -> String? {
        guard let page = try await settings.value(portalURLSetting, workspace: ws)?.stringValue, !page.isEmpty else { return nil }
        let k = "tk_" + random.bytes(32).hexString
        try await store.insertKey(ws, ticketID: ticket.id, keyHash: digests.sha256Hex(k), now: now, in: tx)
        return link(page: page, ticket: ticket, key: k)
    }

    /// The `tickets.portal_key` action.
    public static func register(into r: inout ActionRegistry, portal p: TicketPortal) {
        r.register(ActionDefinition(name: "tickets.portal_key", summary: "Issue a ticket portal access key for a ticket (e.g. one that came in by email), shown once; with page_url (the page that embeds the portal) also the link to send the customer.",
                                    scope: "tickets.write", roles: TicketActions.staff, risk: .write, workspaceScoped: true,
                                    params: [TicketActions.ticketParam,
                                             ActionParam("page_url", .string(maxLength: 2000), "The page of your site with the ticket embed, e.g. https://example.com/support")]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            var page: String? = nil
            if let u = inv.string("page_url")?.trimmingCharacters(in: .whitespaces), !u.isEmpty {
                guard u.hasPrefix("https://") || u.hasPrefix("http://"), !u.contains(" ") else {
                    throw DomainError.validation(field: "page_url", message: "must be an http(s) address like https://example.com/support")
                }
                page = String(u.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
            }
            let (t, key) = try await p.issueKey(inv.workspace!.id, number: n, scope: try await TicketActions.scope(inv, departments: p.tickets.departments))
            var out: [String: JSONValue] = ["ticket_id": .string(t.displayID), "key": .string(key)]
            if let page { out["link"] = .string(Self.link(page: page, ticket: t, key: key)) }
            return .object(out)
        })
    }
}
