import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// Requires a signed-in person for everything under /admin; anyone else is sent to the sign-in page.
/// Roles that must use 2FA are sent to the Security page until they have it.
struct RequireSignIn: RouterMiddleware {
    typealias Context = AppContext
    let services: Services

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard let token = Cookies.get(request, Cookies.session), let identity = try await services.auth.authenticate(token: token) else {
            let back = request.uri.path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/admin"
            return AuthRoutes.redirect("/login?next=\(back)")
        }
        var ctx = context
        ctx.identity = identity
        if identity.user.role == .agent { ctx.agentWorkspaces = try await services.users.agentWorkspaces(identity.user.id) }
        let path = request.uri.path
        if !path.hasPrefix("/admin/security"), try await AdminRoutes.mustSetUpTwoFactor(services, identity.user) {
            return AuthRoutes.redirect("/admin/security?required=1")
        }
        return try await next(request, ctx)
    }
}

struct CSRFRejected: Error {}

/// The signed-in admin: shell, navigation and the pages built so far. Every page checks the role
/// server-side; every form goes through the action registry, which checks it again.
struct AdminRoutes: Sendable {
    let services: Services
    let renderer: Renderer

    static func mustSetUpTwoFactor(_ s: Services, _ user: User) async throws -> Bool {
        let rule = try await s.settings.value("security.require_2fa", workspace: nil)?.stringValue ?? "nobody"
        let required: Bool
        switch rule {
        case "everyone": required = true
        case "admins": required = user.role != .agent
        case "owner": required = user.role == .owner
        default: required = false
        }
        guard required else { return false }
        return !(try await s.auth.twoFactorEnabled(user.id))
    }

    struct NavItem {
        let label: String, slug: String, built: Bool, adminOnly: Bool, spec: String
        var ownerOnly = false
        func visible(to role: Role) -> Bool { ownerOnly ? role == .owner : (!adminOnly || role != .agent) }
    }
    static let nav: [(String, [NavItem])] = [
        ("Analytics", [NavItem(label: "Dashboard", slug: "", built: true, adminOnly: false, spec: "10-analytics: The Dashboard"),
                       NavItem(label: "Live feed", slug: "live-feed", built: true, adminOnly: false, spec: "10-analytics: Live feed"),
                       NavItem(label: "Visitor log", slug: "visitor-log", built: true, adminOnly: false, spec: "10-analytics: Visitor log"),
                       NavItem(label: "Sessions", slug: "sessions", built: true, adminOnly: false, spec: "10-analytics: Sessions"),
                       NavItem(label: "Top pages", slug: "top-pages", built: true, adminOnly: false, spec: "10-analytics: Top pages"),
                       NavItem(label: "Geo intelligence", slug: "geo", built: true, adminOnly: false, spec: "10-analytics: Geo intelligence"),
                       NavItem(label: "Intent funnel", slug: "intent", built: true, adminOnly: false, spec: "10-analytics: Intent funnel"),
                       NavItem(label: "Events log", slug: "events", built: true, adminOnly: false, spec: "10-analytics: Events log"),
                       NavItem(label: "Session replay", slug: "replay", built: false, adminOnly: false, spec: "10-analytics: Session replay"),
                       NavItem(label: "A/B experiments", slug: "experiments", built: false, adminOnly: true, spec: "10-analytics: A/B experiments"),
                       NavItem(label: "JavaScript errors", slug: "js-errors", built: false, adminOnly: false, spec: "10-analytics: JavaScript errors")]),
        ("Sales", [NavItem(label: "Sales", slug: "sales", built: false, adminOnly: true, spec: "20-sales: Sales and conversions"),
                   NavItem(label: "Leads", slug: "leads", built: true, adminOnly: true, spec: "20-sales: Leads")]),
        ("CRM", [NavItem(label: "CRM home", slug: "crm", built: false, adminOnly: true, spec: "30-crm: The AI CRM home screen"),
                 NavItem(label: "Contacts", slug: "contacts", built: false, adminOnly: true, spec: "30-crm: Contacts, companies and deals"),
                 NavItem(label: "Pipeline", slug: "pipeline", built: false, adminOnly: true, spec: "30-crm: The pipeline"),
                 NavItem(label: "Forecast", slug: "forecast", built: false, adminOnly: true, spec: "30-crm: Forecast and reports"),
                 NavItem(label: "Sequences", slug: "sequences", built: false, adminOnly: true, spec: "30-crm: Automatic follow-up sequences")]),
        ("Support", [NavItem(label: "Tickets", slug: "tickets", built: true, adminOnly: false, spec: "40-support: Tickets"),
                     NavItem(label: "Chat inbox", slug: "chat", built: false, adminOnly: false, spec: "40-support: Chat inbox"),
                     NavItem(label: "Mailboxes", slug: "mailboxes", built: true, adminOnly: true, spec: "40-support: Email mailboxes and drafts"),
                     NavItem(label: "Outbox", slug: "outbox", built: true, adminOnly: true, spec: "40-support: Email mailboxes and drafts"),
                     NavItem(label: "Email templates", slug: "email-templates", built: true, adminOnly: true, spec: "00-overview: Email template system")]),
        ("AI", [NavItem(label: "Set up AI", slug: "ai", built: false, adminOnly: true, spec: "50-ai: Set up your AI"),
                NavItem(label: "Knowledge base", slug: "knowledge", built: false, adminOnly: true, spec: "50-ai: AI knowledge base"),
                NavItem(label: "AI history", slug: "ai-history", built: false, adminOnly: true, spec: "50-ai: AI history"),
                NavItem(label: "AI insights", slug: "ai-insights", built: false, adminOnly: true, spec: "50-ai: AI insights")]),
        ("Connectors", [NavItem(label: "Platforms", slug: "connectors", built: false, adminOnly: true, spec: "60-connectors: Connect your platforms"),
                        NavItem(label: "Marketplace", slug: "marketplace", built: false, adminOnly: true, spec: "60-connectors: Connector marketplace")]),
        ("Developer", [NavItem(label: "API keys", slug: "api-keys", built: true, adminOnly: true, spec: "70-developer: API keys"),
                       NavItem(label: "Webhooks", slug: "webhooks", built: true, adminOnly: true, spec: "70-developer: Webhooks"),
                       NavItem(label: "Triggers", slug: "triggers", built: true, adminOnly: true, spec: "70-developer: Triggers cookbook"),
                       NavItem(label: "Event types", slug: "event-catalog", built: true, adminOnly: true, spec: "70-developer: How data flows through OpsIQ")]),
        ("Settings", [NavItem(label: "Sites", slug: "sites", built: true, adminOnly: true, spec: "80-settings: Your sites"),
                      NavItem(label: "Team", slug: "team", built: true, adminOnly: true, spec: "80-settings: Managing your team"),
                      NavItem(label: "Security", slug: "security", built: true, adminOnly: false, spec: "80-settings: Security and access"),
                      NavItem(label: "Failed logins", slug: "security/failed-logins", built: true, adminOnly: true, spec: "80-settings: Failed logins"),
                      NavItem(label: "Blocked IPs", slug: "blocked-ips", built: true, adminOnly: true, spec: "80-settings: Blocked IPs"),
                      NavItem(label: "Settings", slug: "settings", built: true, adminOnly: true, spec: "80-settings: Settings reference"),
                      NavItem(label: "Ticket departments", slug: "settings/departments", built: true, adminOnly: true, spec: "40-support: Tickets (Departments)"),
                      NavItem(label: "Canned responses", slug: "settings/canned", built: true, adminOnly: true, spec: "40-support: Tickets (Canned responses)"),
                      NavItem(label: "Audit log", slug: "audit", built: true, adminOnly: true, spec: "80-settings: Security and access"),
                      NavItem(label: "License", slug: "license", built: false, adminOnly: true, spec: "80-settings: License and plan", ownerOnly: true)]),
    ]

    /// The page model every admin page shares: navigation filtered by role, identity, presence, CSRF.
    func base(_ ctx: AppContext, title: String, active: String) async throws -> [String: Any] {
        let me = ctx.identity!
        let nav: [[String: Any]] = Self.nav.compactMap { group, items in
            let visible = items.filter { $0.visible(to: me.user.role) }
            if visible.isEmpty { return nil }
            return ["group": group, "items": visible.map { i -> [String: Any] in
                ["label": i.label, "href": i.built ? (i.slug.isEmpty ? "/admin" : "/admin/\(i.slug)") : "/admin/soon/\(i.slug)", "built": i.built, "active": i.slug == active]
            }]
        }
        let online = try await services.sessions.activeUserIDs(since: services.clock.now().addingTimeInterval(-180)).count
        var m: [String: Any] = ["pageTitle": title, "nav": nav, "userName": me.user.name, "roleName": me.user.role.displayName, "csrf": me.session.csrfToken]
        // The workspace switcher: the sites this person may work in, the session's choice selected.
        let (sites, current) = try await self.sites(ctx)
        m["switcher"] = sites.map { ["siteKey": $0.siteKey, "name": $0.name, "selected": $0.id == current?.id] }
        m["hasSites"] = !sites.isEmpty
        m["currentSite"] = current?.name ?? ""
        if online > 0 { m["online"] = String(online) }
        return m
    }

    /// The sites this person may work in, and the one the session works in (the first when none is chosen).
    func sites(_ ctx: AppContext) async throws -> (all: [Workspace], current: Workspace?) {
        let all = try await services.db.read { try await services.workspaces.all(in: $0) }.filter { ActionRegistry.canAccess(ctx.actor!, $0.id) }
        return (all, all.first { $0.id == ctx.identity!.session.workspaceID } ?? all.first)
    }

    /// Reads a POSTed form and checks its CSRF token against the session's.
    func form(_ request: Request, _ ctx: AppContext) async throws -> FormData {
        let f = FormData(String(buffer: try await request.body.collect(upTo: 256 * 1024)))
        guard let s = ctx.identity, constantTimeEquals(s.session.csrfToken, f["_csrf"]) else { throw CSRFRejected() }
        return f
    }

    func forbidden(_ ctx: AppContext, title: String) async throws -> Response {
        renderer.html("forbidden", try await base(ctx, title: title, active: ""), status: .forbidden)
    }

    /// Calls an action as the signed-in person, turning form strings into the parameter types it declares.
    func invoke(_ name: String, form: FormData, ctx: AppContext) async throws -> JSONValue {
        guard let d = services.actions.definitions[name] else { throw DomainError.notFound("unknown action \(name)") }
        var params: [String: JSONValue] = [:]
        for p in d.params {
            let raw = form[p.name]
            switch p.type {
            case .integer:
                if !raw.isEmpty { params[p.name] = Int64(raw).map { .int($0) } ?? .string(raw) }
            case .boolean:
                if form.values[p.name] != nil { params[p.name] = .bool(["on", "true", "1", "yes"].contains(raw.lowercased())) }
            case .array(let item, _):
                let list = form.list(p.name).filter { !$0.isEmpty }
                if case .integer = item {
                    // A checkbox group may be sent empty on purpose (the marker field says so).
                    if !list.isEmpty || form.values[p.name + "_present"] != nil { params[p.name] = .array(list.map { Int64($0).map { JSONValue.int($0) } ?? .string($0) }) }
                } else if !list.isEmpty {
                    params[p.name] = .array(list.map { .string($0) })
                }
            case .object, .any:
                if !raw.isEmpty { params[p.name] = (try? JSONValue.parse(raw)) ?? .string(raw) }
            default:
                if form.values[p.name] != nil { params[p.name] = .string(raw) }
            }
        }
        let siteKey = form.values["site_key"]
        let db = services.db, ws = services.workspaces
        return try await services.actions.invoke(name, actor: ctx.actor!, siteKey: siteKey, params: params, ip: ctx.clientIP) { sk in
            try await db.read { try await ws.find(siteKey: sk, in: $0) }
        }
    }

    static func flashRedirect(_ back: String, flash: String? = nil, error: String? = nil) -> Response {
        let path = back.hasPrefix("/admin") && !back.hasPrefix("//") ? back : "/admin"
        var q: [String] = []
        if let flash { q.append("flash=" + (flash.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
        if let error { q.append("error=" + (error.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
        return AuthRoutes.redirect(q.isEmpty ? path : path + "?" + q.joined(separator: "&"))
    }

    func withFlash(_ m: [String: Any], _ request: Request) -> [String: Any] {
        var m = m
        if let f = request.uri.queryParameters.get("flash"), !f.isEmpty { m["flash"] = String(f.prefix(300)) }
        if let e = request.uri.queryParameters.get("error"), !e.isEmpty { m["error"] = String(e.prefix(300)) }
        return m
    }

    func register(on router: Router<AppContext>) {
        let admin = router.group("admin").add(middleware: RequireSignIn(services: services))

        admin.get("") { request, ctx -> Response in
            try await dashboardPage(request, ctx)
        }
        admin.get("soon/:slug") { request, ctx -> Response in
            let slug = ctx.parameters.get("slug") ?? ""
            guard let item = Self.nav.flatMap(\.1).first(where: { $0.slug == slug && !$0.built }) else { throw HTTPError(.notFound) }
            if !item.visible(to: ctx.identity!.user.role) { return try await forbidden(ctx, title: item.label) }
            var m = try await base(ctx, title: item.label, active: slug)
            m["spec"] = item.spec
            return renderer.html("soon", m)
        }
        // A generic form target: every admin form that changes something calls one registered action.
        admin.post("actions/:name") { request, ctx -> Response in
            let f = try await form(request, ctx)
            let name = ctx.parameters.get("name") ?? ""
            let back = f["back"].isEmpty ? "/admin" : f["back"]
            do {
                _ = try await invoke(name, form: f, ctx: ctx)
                // A form may name its own confirmation ("Reply added."); it is shown escaped, to the person who posted it.
                let done = f["done"].isEmpty ? "Done: \(services.actions.definitions[name]?.summary ?? name)" : String(f["done"].prefix(120))
                return Self.flashRedirect(back, flash: done)
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Not allowed") }
                return Self.flashRedirect(back, error: e.description)
            }
        }

        registerTickets(on: admin)
        registerSupportSettings(on: admin)
        registerWebhooks(on: admin)
        registerAnalytics(on: admin)
        registerIntent(on: admin)
        registerLeads(on: admin)
        registerMail(on: admin)
        registerAutomations(on: admin)

        admin.get("team") { request, ctx -> Response in
            guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Team") }
            var m = withFlash(try await base(ctx, title: "Team", active: "team"), request)
            m["mail"] = services.mailer != nil
            let online = Set(try await services.sessions.activeUserIDs(since: services.clock.now().addingTimeInterval(-180)))
            let me = ctx.identity!.user
            let sites = Dictionary(uniqueKeysWithValues: try await services.db.read { try await services.workspaces.all(in: $0) }.map { ($0.id, $0.name) })
            let departments = try await services.departments.all()
            var members: [[String: Any]] = []
            for u in try await services.db.read({ try await services.users.all(in: $0) }) {
                let mine = Set(try await services.departments.assignments(user: u.id))
                members.append(["id": u.id.raw, "name": u.name, "email": u.email, "roleName": u.role.displayName, "active": u.active, "online": online.contains(u.id),
                                "editable": u.role != .owner && u.id != me.id, "csrf": ctx.identity!.session.csrfToken, "isAgent": u.role == .agent,
                                "departments": departments.map { d -> [String: Any] in ["id": d.id, "label": "\(sites[d.workspaceID] ?? "?") · \(d.name)", "checked": mine.contains(d.id)] },
                                "hasDepartments": !departments.isEmpty])
            }
            m["members"] = members
            return renderer.html("team", m)
        }

        admin.get("sites") { request, ctx -> Response in
            try await sitesPage(request, ctx, secret: nil)
        }
        admin.post("sites/secret") { request, ctx -> Response in
            let f = try await form(request, ctx)
            let r = try await invoke("sites.secret.reveal", form: f, ctx: ctx)
            return try await sitesPage(request, ctx, secret: (f["site_key"], r["site_secret"]?.stringValue ?? ""))
        }
        admin.post("sites/rotate") { request, ctx -> Response in
            let f = try await form(request, ctx)
            let r = try await invoke("sites.secret.rotate", form: f, ctx: ctx)
            return try await sitesPage(request, ctx, secret: (f["site_key"], r["site_secret"]?.stringValue ?? ""))
        }

        admin.get("api-keys") { request, ctx -> Response in try await keysPage(request, ctx, newKey: nil, formName: "") }
        admin.post("api-keys") { request, ctx -> Response in
            let f = try await form(request, ctx)
            do {
                let r = try await invoke("keys.create", form: f, ctx: ctx)
                return try await keysPage(request, ctx, newKey: r["key"]?.stringValue, formName: "")
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "API keys") }
                var resp = try await keysPage(request, ctx, newKey: nil, formName: f["name"], error: e.description)
                resp.status = .unprocessableContent
                return resp
            }
        }

        admin.get("security") { request, ctx -> Response in
            var m = withFlash(try await base(ctx, title: "Security", active: "security"), request)
            m["enabled"] = try await services.auth.twoFactorEnabled(ctx.identity!.user.id)
            if request.uri.queryParameters.get("required") != nil { m["required"] = true }
            return renderer.html("security", m)
        }
        admin.post("security/2fa/start") { request, ctx -> Response in
            _ = try await form(request, ctx)
            var m = try await base(ctx, title: "Security", active: "security")
            do {
                let (secret, uri) = try await services.auth.beginTwoFactor(for: ctx.identity!.user)
                m["setup"] = true; m["secret"] = secret; m["uri"] = uri; m["enabled"] = false
            } catch let e as DomainError {
                m["error"] = e.description; m["enabled"] = true
            }
            return renderer.html("security", m)
        }
        admin.post("security/2fa/confirm") { request, ctx -> Response in
            let f = try await form(request, ctx)
            var m = try await base(ctx, title: "Security", active: "security")
            do {
                let codes = try await services.auth.confirmTwoFactor(for: ctx.identity!.user, code: f["code"])
                m["enabled"] = true; m["recovery"] = codes; m["hasRecovery"] = true
                m["flash"] = "Two-factor authentication is on."
            } catch let e as DomainError {
                m["error"] = e.description; m["enabled"] = false
                return renderer.html("security", m, status: .unprocessableContent)
            }
            return renderer.html("security", m)
        }
        admin.post("security/2fa/disable") { request, ctx -> Response in
            let f = try await form(request, ctx)
            do {
                try await services.auth.disableTwoFactor(for: ctx.identity!.user, password: f["password"])
                return Self.flashRedirect("/admin/security", flash: "Two-factor authentication is off.")
            } catch let e as DomainError {
                return Self.flashRedirect("/admin/security", error: e.description)
            }
        }
        admin.post("security/logout-everywhere") { request, ctx -> Response in
            _ = try await form(request, ctx)
            try await services.auth.logoutEverywhere(ctx.identity!.user.id)
            return AuthRoutes.redirect("/login?signed_out=1", cookie: Cookies.clear(Cookies.session, secure: ctx.secure))
        }
        // The 60-second presence heartbeat of open admin pages (CSRF token in a header).
        admin.post("heartbeat") { request, ctx -> Response in
            guard let token = request.headers[HTTPField.Name("X-CSRF-Token")!], constantTimeEquals(token, ctx.identity!.session.csrfToken) else { throw CSRFRejected() }
            let online = try await services.sessions.activeUserIDs(since: services.clock.now().addingTimeInterval(-180)).count
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(["online": .int(Int64(online))]).encoded())))
        }
        admin.post("workspace") { request, ctx -> Response in
            let f = try await form(request, ctx)
            let site = try await services.db.read { try await services.workspaces.find(siteKey: f["site_key"], in: $0) }
            guard let site, ActionRegistry.canAccess(ctx.actor!, site.id) else { return Self.flashRedirect("/admin", error: "No such site.") }
            try await services.sessions.setWorkspace(tokenHash: ctx.identity!.session.tokenHash, workspace: site.id)
            return Self.flashRedirect(f["back"].isEmpty ? "/admin" : f["back"], flash: "Now working in \(site.name).")
        }
        admin.get("audit") { request, ctx -> Response in
            guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Audit log") }
            var m = try await base(ctx, title: "Audit log", active: "audit")
            let f = ISO8601DateFormatter()
            let names = Dictionary(uniqueKeysWithValues: try await services.db.read { try await services.workspaces.all(in: $0) }.map { ($0.id, $0.name) })
            m["rows"] = try await services.audit.recent(workspace: nil, limit: 300).map {
                ["at": f.string(from: $0.at), "actor": $0.actorLabel, "action": $0.action, "target": $0.target, "site": $0.workspaceID.flatMap { names[$0] } ?? "—", "ip": $0.ip]
            }
            return renderer.html("audit", m)
        }
        admin.get("blocked-ips") { request, ctx -> Response in try await blockedPage(request, ctx) }
        admin.get("settings") { request, ctx -> Response in try await settingsPage(request, ctx, siteKey: request.uri.queryParameters.get("site")) }
        admin.post("settings") { request, ctx -> Response in
            let f = try await form(request, ctx)
            let site = f["site"].isEmpty ? nil : f["site"]
            let clear = !f["clear"].isEmpty
            var params: [String: JSONValue] = ["name": .string(f["name"])]
            if clear { params["clear"] = .bool(true) } else { params["value"] = .string(f["value"]) }
            let db = services.db, ws = services.workspaces
            do {
                _ = try await services.actions.invoke(site == nil ? "settings.global.set" : "settings.set", actor: ctx.actor!, siteKey: site, params: params, ip: ctx.clientIP) { sk in
                    try await db.read { try await ws.find(siteKey: sk, in: $0) }
                }
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Settings") }
                return try await settingsPage(request, ctx, siteKey: site, error: e.description)
            }
            if f["name"] == ScriptPathDirectory.settingName { services.enrichment.scriptPaths.invalidate() }
            let back = "/admin/settings" + (site.map { "?site=\($0)&" } ?? "?") + "flash=" + ("Saved.".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            return AuthRoutes.redirect(back)
        }
        admin.get("security/failed-logins") { request, ctx -> Response in
            guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Failed logins") }
            var m = try await base(ctx, title: "Failed logins", active: "security/failed-logins")
            let f = ISO8601DateFormatter()
            m["rows"] = try await services.failedLogins.recent(limit: 200, offset: 0).map {
                ["at": f.string(from: $0.at), "ip": $0.ip, "country": $0.country, "email": $0.email, "reason": $0.reason.rawValue.replacingOccurrences(of: "_", with: " "),
                 "userAgent": $0.userAgent, "csrf": ctx.identity!.session.csrfToken]
            }
            return renderer.html("failed_logins", m)
        }
    }

    func blockedPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Blocked IPs") }
        var m = withFlash(try await base(ctx, title: "Blocked IPs", active: "blocked-ips"), request)
        let sites = try await services.db.read { try await services.workspaces.all(in: $0) }
        let names = Dictionary(uniqueKeysWithValues: sites.map { ($0.id, $0.name) })
        let f = ISO8601DateFormatter()
        m["rows"] = try await services.blocklist.store.all().map { b -> [String: Any] in
            ["id": b.id, "cidr": b.cidr, "reason": b.reason, "scope": b.workspaceID.map { "Tracking of \(names[$0] ?? "site \($0)")" } ?? "Whole installation",
             "createdAt": f.string(from: b.createdAt), "expires": b.expiresAt.map { f.string(from: $0) } ?? "never", "csrf": ctx.identity!.session.csrfToken]
        }
        m["sites"] = sites.map { ["siteKey": $0.siteKey, "name": $0.name] }
        m["myIP"] = ctx.clientIP.isEmpty ? "unknown" : ctx.clientIP
        return renderer.html("blocked_ips", m)
    }

    func settingsPage(_ request: Request, _ ctx: AppContext, siteKey: String?, error: String? = nil) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Settings") }
        var m = withFlash(try await base(ctx, title: "Settings", active: "settings"), request)
        let sites = try await services.db.read { try await services.workspaces.all(in: $0) }
        let site = sites.first { $0.siteKey == siteKey }
        let resolved = try await services.settings.resolved(workspace: site?.id)
        var groups: [(String, [[String: Any]])] = []
        for d in services.settings.definitions where site == nil || !d.globalOnly {
            let r = resolved.first { $0.name == d.name }!
            let shown: String
            switch r.value { case .string(let v): shown = v; case .bool(let b): shown = b ? "true" : "false"; default: shown = r.value.encoded() }
            let item: [String: Any] = ["name": d.name, "label": d.label, "help": d.help, "value": shown, "siteKey": site?.siteKey ?? "",
                                       "inherited": site != nil && r.source != "workspace", "overridden": site != nil && r.source == "workspace",
                                       "csrf": ctx.identity!.session.csrfToken]
            if let i = groups.firstIndex(where: { $0.0 == d.group }) { groups[i].1.append(item) } else { groups.append((d.group, [item])) }
        }
        m["groups"] = groups.map { ["group": $0.0, "items": $0.1] }
        m["sites"] = sites.map { ["siteKey": $0.siteKey, "name": $0.name, "selected": $0.siteKey == site?.siteKey] }
        if let error { m["error"] = error }
        return renderer.html("settings", m, status: error == nil ? .ok : .unprocessableContent)
    }

    func sitesPage(_ request: Request, _ ctx: AppContext, secret: (String, String)?) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Sites") }
        var m = withFlash(try await base(ctx, title: "Sites", active: "sites"), request)
        let isAdmin = ctx.identity!.user.role != .agent
        let all = try await services.db.read { try await services.workspaces.all(in: $0) }.filter { ActionRegistry.canAccess(ctx.actor!, $0.id) }
        var rows: [[String: Any]] = []
        for w in all {
            rows.append(["name": w.name, "domain": w.domain, "siteKey": w.siteKey, "admin": isAdmin, "csrf": ctx.identity!.session.csrfToken,
                         "snippet": try await WidgetResponse.snippet(services, w)])
        }
        m["sites"] = rows
        m["admin"] = isAdmin
        if let (site, value) = secret { m["secret"] = value; m["secretSite"] = site }
        return renderer.html("sites", m)
    }

    func keysPage(_ request: Request, _ ctx: AppContext, newKey: String?, formName: String, error: String? = nil) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "API keys") }
        var m = withFlash(try await base(ctx, title: "API keys", active: "api-keys"), request)
        let sites = try await services.db.read { try await services.workspaces.all(in: $0) }
        let names = Dictionary(uniqueKeysWithValues: sites.map { ($0.id, $0.name) })
        let f = ISO8601DateFormatter()
        m["keys"] = try await services.apiKeys.store.all().map { k -> [String: Any] in
            ["id": k.id, "name": k.name, "prefix": k.prefix, "scopes": k.scopes.joined(separator: ", "), "site": k.workspaceID.flatMap { names[$0] } ?? "All sites",
             "lastUsed": k.lastUsedAt.map { f.string(from: $0) } ?? "never", "revoked": k.revokedAt != nil, "csrf": ctx.identity!.session.csrfToken]
        }
        m["sites"] = sites.map { ["siteKey": $0.siteKey, "name": $0.name] }
        m["scopes"] = APIKeyService.scopes
        m["formName"] = formName
        m["rateLimit"] = Int(try await services.settings.value("api.rate_limit_per_minute", workspace: nil)?.intValue ?? 60)
        if let newKey { m["newKey"] = newKey }
        if let error { m["error"] = error }
        return renderer.html("api_keys", m)
    }
}
