import Foundation
import Ports

/// What the access actions work with.
public struct AccessServices: Sendable {
    public let db: any SQLDatabase
    public let users: any UserStore
    public let workspaces: any WorkspaceStore
    public let sessions: any SessionStore
    public let apiKeys: APIKeyService
    public let settings: SettingsService
    public let audit: any AuditStore
    public let setup: SetupService
    public let outbox: Outbox
    public let secrets: any SecretBox
    public let clock: any TimeSource
    public let random: any RandomSource
    public let blocklist: Blocklist
    public let departments: any DepartmentStore

    public init(db: any SQLDatabase, users: any UserStore, workspaces: any WorkspaceStore, sessions: any SessionStore, apiKeys: APIKeyService,
                settings: SettingsService, audit: any AuditStore, setup: SetupService, outbox: Outbox, secrets: any SecretBox,
                clock: any TimeSource, random: any RandomSource, blocklist: Blocklist, departments: any DepartmentStore) {
        self.blocklist = blocklist
        self.departments = departments
        self.db = db; self.users = users; self.workspaces = workspaces; self.sessions = sessions; self.apiKeys = apiKeys; self.settings = settings
        self.audit = audit; self.setup = setup; self.outbox = outbox; self.secrets = secrets; self.clock = clock; self.random = random
    }

    /// Records who changed what, in the same transaction as the change.
    public func record(_ inv: ActionInvocation, target: String, details: [String: JSONValue] = [:], in tx: any SQLConnection) async throws {
        var type = "system", id: Int64? = nil
        switch inv.actor {
        case .user(let u, _): type = "user"; id = u.id.raw
        case .apiKey(let k): type = "api_key"; id = k.id
        case .system: break
        }
        try await audit.record(AuditEntry(at: clock.now(), actorType: type, actorID: id, actorLabel: inv.actor.label, workspaceID: inv.workspace?.id,
                                          action: inv.action, target: target, details: JSONValue.object(details).encoded(), ip: inv.ip), in: tx)
    }
}

extension Workspace {
    /// The public view of a site (the secret is only shown on request).
    public var json: JSONValue {
        .object(["id": .int(id.raw), "name": .string(name), "domain": .string(domain), "description": .string(description),
                 "site_key": .string(siteKey), "created_at": .string(ISO8601DateFormatter().string(from: createdAt))])
    }
}

extension User {
    public var json: JSONValue {
        .object(["id": .int(id.raw), "email": .string(email), "name": .string(name), "role": .string(role.rawValue), "active": .bool(active)])
    }
}

extension APIKeyRecord {
    public var json: JSONValue {
        let f = ISO8601DateFormatter()
        return .object(["id": .int(id), "name": .string(name), "prefix": .string(prefix), "scopes": .array(scopes.map { .string($0) }),
                        "workspace_id": workspaceID.map { .int($0.raw) } ?? .null, "created_at": .string(f.string(from: createdAt)),
                        "last_used_at": lastUsedAt.map { .string(f.string(from: $0)) } ?? .null,
                        "revoked": .bool(revokedAt != nil)])
    }
}

/// The actions this context owns: sites, team, API keys, settings and the audit log.
public enum AccessActions {
    /// `team.invite`: needs outgoing mail, so it is registered with the account emails service.
    public static func registerInvitations(into r: inout ActionRegistry, accountEmails: AccountEmails) {
        r.register(ActionDefinition(name: "team.invite", summary: "Invite someone by email as a Full Admin or an Agent; the link expires after 72 hours.", scope: "team.write", roles: admins, risk: .write, workspaceScoped: false, apiKeyAllowed: false,
                                    params: [ActionParam("email", .string(maxLength: 190, format: "email"), required: true, "Who to invite."),
                                             ActionParam("role", .string(maxLength: 20, enumValues: ["full_admin", "agent"]), required: true, "Their role.")]) { inv in
            guard case .user(let me, _) = inv.actor else { throw DomainError.forbidden("only a person can invite") }
            try await accountEmails.invite(email: inv.string("email") ?? "", role: Role(rawValue: inv.string("role") ?? "") ?? .agent, by: me)
            return .object(["invited": .string(inv.string("email") ?? "")])
        })
    }

    static let admins: Set<Role> = [.owner, .fullAdmin]
    static let everyone: Set<Role> = [.owner, .fullAdmin, .agent]

    public static func register(into r: inout ActionRegistry, _ s: AccessServices) {
        // Sites
        r.register(ActionDefinition(name: "sites.list", summary: "List the sites (workspaces) you can see.", scope: "settings.read", roles: everyone, risk: .read, workspaceScoped: false) { inv in
            let all = try await s.db.read { try await s.workspaces.all(in: $0) }
            return .array(all.filter { ActionRegistry.canAccess(inv.actor, $0.id) }.map(\.json))
        })
        r.register(ActionDefinition(name: "sites.get", summary: "Get one site, with its tracking snippet.", scope: "settings.read", roles: everyone, risk: .read, workspaceScoped: true) { inv in
            guard case .object(var o) = inv.workspace!.json else { return .null }
            o["snippet"] = .string("<script src=\"/widget.php\" data-site-key=\"\(inv.workspace!.siteKey)\" async></script>")
            return .object(o)
        })
        r.register(ActionDefinition(name: "sites.create", summary: "Create a site with a new site key and secret.", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: false,
                                    params: [ActionParam("name", .string(maxLength: 190), required: true, "The site's name."),
                                             ActionParam("domain", .string(maxLength: 253), required: true, "The site's domain, like shop.example.com."),
                                             ActionParam("description", .string(maxLength: 2000), "A short description.")]) { inv in
            let ws = try await s.setup.createSite(.init(name: inv.string("name") ?? "", domain: inv.string("domain") ?? "", description: inv.string("description") ?? ""))
            try await s.db.transaction { tx in
                try await s.record(ActionInvocation(action: inv.action, actor: inv.actor, workspace: ws, params: inv.params, ip: inv.ip), target: "site \(ws.siteKey)", in: tx)
            }
            return ws.json
        })
        r.register(ActionDefinition(name: "sites.update", summary: "Rename a site or change its domain or description.", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("name", .string(maxLength: 190), "New name."),
                                             ActionParam("domain", .string(maxLength: 253), "New domain."),
                                             ActionParam("description", .string(maxLength: 2000), "New description.")]) { inv in
            var ws = inv.workspace!
            if let n = inv.string("name") {
                let t = n.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !t.isEmpty else { throw DomainError.validation(field: "name", message: "cannot be empty") }
                ws.name = t
            }
            if let d = inv.string("domain") { ws.domain = try SetupService.normalizedDomain(d) }
            if let d = inv.string("description") { ws.description = d }
            let updated = ws
            try await s.db.transaction { tx in
                try await s.workspaces.update(updated, in: tx)
                try await s.outbox.publish("workspace.updated", workspace: updated.id, payload: ["workspace_id": .int(updated.id.raw), "name": .string(updated.name), "domain": .string(updated.domain)], in: tx)
                try await s.record(inv, target: "site \(updated.siteKey)", details: ["name": .string(updated.name), "domain": .string(updated.domain)], in: tx)
            }
            s.settings.changes.bump()
            return updated.json
        })
        r.register(ActionDefinition(name: "sites.secret.reveal", summary: "Show the site secret (for identity tokens and webhook signatures).", scope: "settings.write", roles: admins, risk: .read, workspaceScoped: true, apiKeyAllowed: false) { inv in
            try await s.db.transaction { tx in try await s.record(inv, target: "site \(inv.workspace!.siteKey)", in: tx) }
            return .object(["site_secret": .string(inv.workspace!.siteSecret)])
        })
        r.register(ActionDefinition(name: "sites.secret.rotate", summary: "Replace the site secret; signatures made with the old one stop verifying.", scope: "settings.write", roles: admins, risk: .destructive, workspaceScoped: true, apiKeyAllowed: false) { inv in
            let secret = "opsiq_whsec_" + s.random.base62(length: 40)
            try await s.db.transaction { tx in
                try await s.workspaces.setSecret(inv.workspace!.id, sealed: try s.secrets.seal(secret), in: tx)
                try await s.outbox.publish("workspace.secret_rotated", workspace: inv.workspace!.id, payload: ["workspace_id": .int(inv.workspace!.id.raw)], in: tx)
                try await s.record(inv, target: "site \(inv.workspace!.siteKey)", in: tx)
            }
            s.settings.changes.bump() // cached copies of the site (beacon, identity tokens) reload
            return .object(["site_secret": .string(secret)])
        })

        // Team
        r.register(ActionDefinition(name: "team.list", summary: "List team members with their roles.", scope: "team.read", roles: admins, risk: .read, workspaceScoped: false) { _ in
            let all = try await s.db.read { try await s.users.all(in: $0) }
            return .array(all.map(\.json))
        })
        r.register(ActionDefinition(name: "team.set_role", summary: "Change a member's role (Full Admin or Agent). The Owner's role cannot change.", scope: "team.write", roles: admins, risk: .write, workspaceScoped: false, apiKeyAllowed: false,
                                    params: [ActionParam("user_id", .integer(min: 1), required: true, "The member."),
                                             ActionParam("role", .string(maxLength: 20, enumValues: ["full_admin", "agent"]), required: true, "The new role.")]) { inv in
            let id = UserID(inv.int("user_id")!)
            let role = Role(rawValue: inv.string("role")!)!
            return try await s.db.transaction { tx in
                guard var u = try await s.users.find(id, in: tx) else { throw DomainError.notFound("no team member with id \(id)") }
                guard u.role != .owner else { throw DomainError.conflict("the Owner's role cannot be changed; there is exactly one Owner") }
                if case .user(let me, _) = inv.actor, me.id == u.id { throw DomainError.conflict("you cannot change your own role") }
                try await s.users.setRole(id, role: role, now: s.clock.now(), in: tx)
                try await s.record(inv, target: "user \(u.email)", details: ["from": .string(u.role.rawValue), "to": .string(role.rawValue)], in: tx)
                u.role = role
                return u.json
            }
        })
        r.register(ActionDefinition(name: "team.deactivate", summary: "Deactivate a member: their sessions end and they can no longer sign in.", scope: "team.write", roles: admins, risk: .destructive, workspaceScoped: false, apiKeyAllowed: false,
                                    params: [ActionParam("user_id", .integer(min: 1), required: true, "The member.")]) { inv in
            let id = UserID(inv.int("user_id")!)
            let u: User = try await s.db.transaction { tx in
                guard var u = try await s.users.find(id, in: tx) else { throw DomainError.notFound("no team member with id \(id)") }
                guard u.role != .owner else { throw DomainError.conflict("the Owner cannot be deactivated") }
                try await s.users.setActive(id, active: false, now: s.clock.now(), in: tx)
                try await s.record(inv, target: "user \(u.email)", in: tx)
                u.active = false
                return u
            }
            _ = try await s.sessions.deleteAll(userID: id)
            return u.json
        })

        // Departments (the helpdesk routes tickets to them; Agents see the sites of their departments)
        r.register(ActionDefinition(name: "departments.list", summary: "List a site's departments.", scope: "tickets.read", roles: everyone, risk: .read, workspaceScoped: true,
                                    params: [ActionParam("include_archived", .boolean, "Also list archived departments.")]) { inv in
            .array(try await s.departments.list(inv.workspace!.id, includeArchived: inv.bool("include_archived") ?? false).map {
                .object(["id": .int($0.id), "name": .string($0.name), "archived": .bool($0.archived), "signature": .string($0.signature),
                         "sla": ($0.sla ?? .standard).json, "sla_custom": .bool($0.sla != nil)])
            })
        })
        r.register(ActionDefinition(name: "departments.create", summary: "Create a department in a site.", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("name", .string(maxLength: 190), required: true, "The department's name, e.g. Billing.")]) { inv in
            let name = (inv.string("name") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else { throw DomainError.validation(field: "name", message: "cannot be empty") }
            return try await s.db.transaction { tx in
                let d: Department
                do { d = try await s.departments.insert(inv.workspace!.id, name: name, now: s.clock.now(), in: tx) } catch SQLError.uniqueViolation {
                    throw DomainError.validation(field: "name", message: "this site already has a department called \(name)")
                }
                try await s.record(inv, target: "department \(name)", in: tx)
                return .object(["id": .int(d.id), "name": .string(d.name)])
            }
        })
        r.register(ActionDefinition(name: "departments.archive", summary: "Archive (or restore) a department; its Agents lose (or regain) access through it.", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("department_id", .integer(min: 1), required: true, "The department."),
                                             ActionParam("restore", .boolean, "Restore instead of archiving.")]) { inv in
            let id = inv.int("department_id")!
            let ok = try await s.db.transaction { tx in
                let ok = try await s.departments.setArchived(inv.workspace!.id, id: id, archived: !(inv.bool("restore") ?? false), now: s.clock.now(), in: tx)
                if ok { try await s.record(inv, target: "department \(id)", in: tx) }
                return ok
            }
            guard ok else { throw DomainError.notFound("no department \(id) in this site") }
            return .object(["id": .int(id), "archived": .bool(!(inv.bool("restore") ?? false))])
        })
        r.register(ActionDefinition(name: "departments.set_signature", summary: "Set a department's signature: plain text that {{department_signature}} inserts into replies (empty clears it).",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("department_id", .integer(min: 1), required: true, "The department."),
                                             ActionParam("signature", .string(maxLength: 2000), required: true, "The signature, e.g. \"The Billing team\".")]) { inv in
            let id = inv.int("department_id")!
            let text = (inv.string("signature") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let ok = try await s.db.transaction { tx in
                let ok = try await s.departments.setSignature(inv.workspace!.id, id: id, signature: text, in: tx)
                if ok { try await s.record(inv, target: "department \(id) signature", in: tx) }
                return ok
            }
            guard ok else { throw DomainError.notFound("no department \(id) in this site") }
            return .object(["id": .int(id), "signature": .string(text)])
        })
        r.register(ActionDefinition(name: "departments.rename", summary: "Rename a department.", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("department_id", .integer(min: 1), required: true, "The department."),
                                             ActionParam("name", .string(maxLength: 190), required: true, "The new name.")]) { inv in
            let id = inv.int("department_id")!
            let name = (inv.string("name") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else { throw DomainError.validation(field: "name", message: "cannot be empty") }
            let ok = try await s.db.transaction { tx in
                let ok: Bool
                do { ok = try await s.departments.rename(inv.workspace!.id, id: id, name: name, in: tx) } catch SQLError.uniqueViolation {
                    throw DomainError.validation(field: "name", message: "this site already has a department called \(name)")
                }
                if ok { try await s.record(inv, target: "department \(id)", details: ["name": .string(name)], in: tx) }
                return ok
            }
            guard ok else { throw DomainError.notFound("no department \(id) in this site") }
            return .object(["id": .int(id), "name": .string(name)])
        })
        r.register(ActionDefinition(name: "departments.set_sla", summary: "Set a department's SLA targets in business minutes per clock and priority, e.g. {\"first_response\": {\"urgent\": 30}, \"resolution\": {\"low\": 0}, \"escalate\": true} (0: no target; left out: the default). Without sla the defaults come back. Open tickets keep their due times until their priority or department changes.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("department_id", .integer(min: 1), required: true, "The department."),
                                             ActionParam("sla", .any, "The targets; leave out to restore the defaults.")]) { inv in
            let id = inv.int("department_id")!
            let sla = try inv.params["sla"].flatMap { $0 == .null ? nil : try SLATargets.parse($0) }
            let ok = try await s.db.transaction { tx in
                let ok = try await s.departments.setSLA(inv.workspace!.id, id: id, sla: sla, in: tx)
                if ok { try await s.record(inv, target: "department \(id) sla", details: ["sla": sla?.json ?? .null], in: tx) }
                return ok
            }
            guard ok else { throw DomainError.notFound("no department \(id) in this site") }
            return .object(["id": .int(id), "sla": (sla ?? .standard).json, "sla_custom": .bool(sla != nil)])
        })
        r.register(ActionDefinition(name: "team.set_departments", summary: "Set the departments an Agent works in (they see those sites' tickets, chats and analytics).", scope: "team.write", roles: admins, risk: .write, workspaceScoped: false, apiKeyAllowed: false,
                                    params: [ActionParam("user_id", .integer(min: 1), required: true, "The member."),
                                             ActionParam("department_ids", .array(.integer(min: 1), maxItems: 200), required: true, "Every department they should be in (an empty list removes all).")]) { inv in
            let id = UserID(inv.int("user_id")!)
            var ids: [JSONValue] = []
            if case .array(let a)? = inv.params["department_ids"] { ids = a }
            let wanted = Set(ids.compactMap { $0.intValue })
            let known = try await s.departments.all()
            let chosen = known.filter { wanted.contains($0.id) }
            if let missing = wanted.subtracting(chosen.map(\.id)).first { throw DomainError.validation(field: "department_ids", message: "no department \(missing)") }
            return try await s.db.transaction { tx in
                guard let u = try await s.users.find(id, in: tx) else { throw DomainError.notFound("no team member with id \(id)") }
                try await s.departments.setAssignments(user: id, departments: chosen, in: tx)
                try await s.record(inv, target: "user \(u.email)", details: ["departments": .array(chosen.map { .int($0.id) })], in: tx)
                return .object(["user_id": .int(id.raw), "department_ids": .array(chosen.map { .int($0.id) })])
            }
        })

        // API keys (people only: a key cannot mint keys)
        r.register(ActionDefinition(name: "keys.list", summary: "List API keys (never their secrets).", scope: "settings.read", roles: admins, risk: .read, workspaceScoped: false, apiKeyAllowed: false) { _ in
            .array(try await s.apiKeys.store.all().map(\.json))
        })
        r.register(ActionDefinition(name: "keys.create", summary: "Create an API key; the key is shown once in the response.", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: false, apiKeyAllowed: false,
                                    params: [ActionParam("name", .string(maxLength: 190), required: true, "What the key is for."),
                                             ActionParam("scopes", .array(.string(maxLength: 40, enumValues: APIKeyService.scopes), maxItems: 20), required: true, "What the key may do."),
                                             ActionParam("site_key", .string(maxLength: 64), "Restrict the key to this site.")]) { inv in
            var workspace: Workspace? = nil
            if let sk = inv.string("site_key"), !sk.isEmpty {
                guard let ws = try await s.db.read({ try await s.workspaces.find(siteKey: sk, in: $0) }), ActionRegistry.canAccess(inv.actor, ws.id) else {
                    throw DomainError.validation(field: "site_key", message: "no site with this site_key")
                }
                workspace = ws
            }
            guard case .user(let me, _) = inv.actor else { throw DomainError.forbidden("only a person can create API keys") }
            let (plain, rec) = try await s.apiKeys.create(name: inv.string("name") ?? "", scopes: inv.strings("scopes") ?? [], workspace: workspace?.id, by: me.id)
            try await s.db.transaction { tx in try await s.record(inv, target: "api key \(rec.prefix)", details: ["scopes": .array(rec.scopes.map { .string($0) })], in: tx) }
            guard case .object(var o) = rec.json else { return .null }
            o["key"] = .string(plain)
            return .object(o)
        })
        r.register(ActionDefinition(name: "keys.revoke", summary: "Revoke an API key; it stops working at once.", scope: "settings.write", roles: admins, risk: .destructive, workspaceScoped: false, apiKeyAllowed: false,
                                    params: [ActionParam("key_id", .integer(min: 1), required: true, "The key's id.")]) { inv in
            let id = inv.int("key_id")!
            guard try await s.apiKeys.store.revoke(id: id, now: s.clock.now()) else { throw DomainError.notFound("no active API key with id \(id)") }
            try await s.db.transaction { tx in try await s.record(inv, target: "api key \(id)", in: tx) }
            return .object(["id": .int(id), "revoked": .bool(true)])
        })

        // Settings
        r.register(ActionDefinition(name: "settings.get", summary: "Read the settings of a site, with where each value comes from (site, global or default).", scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true) { inv in
            let all = try await s.settings.resolved(workspace: inv.workspace!.id)
            return .object(Dictionary(uniqueKeysWithValues: all.map { ($0.name, JSONValue.object(["value": $0.value, "source": .string($0.source)])) }))
        })
        r.register(ActionDefinition(name: "settings.set", summary: "Override one setting for a site (value null clears the override).", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("name", .string(maxLength: 120, enumValues: SettingsService.builtIn.map(\.name)), required: true, "The setting."),
                                             ActionParam("value", .any, "The new value (a JSON string, number or boolean)."),
                                             ActionParam("text", .string(maxLength: 10_000), "The new value as text; used when `value` is absent."),
                                             ActionParam("clear", .boolean, "Remove the site's override so the global value applies.")]) { inv in
            let name = inv.string("name")!
            let value: JSONValue? = (inv.bool("clear") ?? false) ? nil : (inv.params["value"] ?? inv.params["text"])
            if value == nil && !(inv.bool("clear") ?? false) { throw DomainError.validation(field: "value", message: "give a value, or clear: true") }
            let stored = try await s.db.transaction { tx in
                let v = try await s.settings.set(name, to: value, workspace: inv.workspace!.id, by: nil, in: tx)
                try await s.record(inv, target: "setting \(name)", details: ["value": v ?? .null], in: tx)
                return v
            }
            return .object(["name": .string(name), "value": stored ?? .null, "source": .string(stored == nil ? "inherited" : "workspace")])
        })

        r.register(ActionDefinition(name: "settings.global.get", summary: "Read the installation-wide settings (the defaults every site inherits).", scope: "settings.read", roles: admins, risk: .read, workspaceScoped: false) { _ in
            let all = try await s.settings.resolved(workspace: nil)
            return .object(Dictionary(uniqueKeysWithValues: all.map { ($0.name, JSONValue.object(["value": $0.value, "source": .string($0.source)])) }))
        })
        r.register(ActionDefinition(name: "settings.global.set", summary: "Set an installation-wide setting (value null or clear: true restores the built-in default).", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: false, apiKeyAllowed: false,
                                    params: [ActionParam("name", .string(maxLength: 120, enumValues: SettingsService.builtIn.map(\.name)), required: true, "The setting."),
                                             ActionParam("value", .any, "The new value."),
                                             ActionParam("clear", .boolean, "Restore the built-in default.")]) { inv in
            let name = inv.string("name")!
            let value: JSONValue? = (inv.bool("clear") ?? false) ? nil : inv.params["value"]
            if value == nil && !(inv.bool("clear") ?? false) { throw DomainError.validation(field: "value", message: "give a value, or clear: true") }
            let stored = try await s.db.transaction { tx in
                let v = try await s.settings.set(name, to: value, workspace: nil, by: nil, in: tx)
                try await s.record(inv, target: "global setting \(name)", details: ["value": v ?? .null], in: tx)
                return v
            }
            return .object(["name": .string(name), "value": stored ?? .null])
        })

        // Blocked IPs
        r.register(ActionDefinition(name: "blocklist.list", summary: "List blocked IP addresses and ranges with their reasons.", scope: "settings.read", roles: admins, risk: .read, workspaceScoped: false) { _ in
            let f = ISO8601DateFormatter()
            return .array(try await s.blocklist.store.all().map {
                .object(["id": .int($0.id), "cidr": .string($0.cidr), "reason": .string($0.reason), "site_id": $0.workspaceID.map { .int($0.raw) } ?? .null,
                         "created_at": .string(f.string(from: $0.createdAt)), "expires_at": $0.expiresAt.map { .string(f.string(from: $0)) } ?? .null])
            })
        })
        r.register(ActionDefinition(name: "blocklist.add", summary: "Block an IP address or CIDR range (IPv4 or IPv6) from the admin and tracking, or from one site's tracking.", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: false,
                                    params: [ActionParam("cidr", .string(maxLength: 64), required: true, "An address or range, e.g. 203.0.113.7 or 198.51.100.0/24."),
                                             ActionParam("reason", .string(maxLength: 255), required: true, "Why (shown in the list)."),
                                             ActionParam("site_key", .string(maxLength: 64), "Block only this site's tracking."),
                                             ActionParam("hours", .integer(min: 1, max: 87_600), "Lift the block after this many hours.")]) { inv in
            var ws: Workspace? = nil
            if let sk = inv.string("site_key"), !sk.isEmpty {
                guard let w = try await s.db.read({ try await s.workspaces.find(siteKey: sk, in: $0) }), ActionRegistry.canAccess(inv.actor, w.id) else {
                    throw DomainError.validation(field: "site_key", message: "no site with this site_key")
                }
                ws = w
            }
            let cidr = try Blocklist.validate(inv.string("cidr") ?? "", requesterIP: inv.ip, installationWide: ws == nil)
            let reason = (inv.string("reason") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else { throw DomainError.validation(field: "reason", message: "say why this address is blocked") }
            var by: UserID? = nil
            if case .user(let u, _) = inv.actor { by = u.id }
            let expires = inv.int("hours").map { s.clock.now().addingTimeInterval(TimeInterval($0) * 3600) }
            let id = try await s.db.transaction { tx in
                let id = try await s.blocklist.store.insert(cidr: cidr.text, reason: reason, workspace: ws?.id, by: by, now: s.clock.now(), expiresAt: expires, in: tx)
                try await s.record(inv, target: "blocked \(cidr.text)", details: ["reason": .string(reason)], in: tx)
                return id
            }
            s.blocklist.invalidate()
            return .object(["id": .int(id), "cidr": .string(cidr.text), "reason": .string(reason)])
        })
        r.register(ActionDefinition(name: "blocklist.remove", summary: "Unblock an entry of the blocklist.", scope: "settings.write", roles: admins, risk: .write, workspaceScoped: false,
                                    params: [ActionParam("id", .integer(min: 1), required: true, "The entry's id.")]) { inv in
            let id = inv.int("id")!
            let gone = try await s.db.transaction { tx in
                let gone = try await s.blocklist.store.delete(id: id, in: tx)
                if gone { try await s.record(inv, target: "blocklist entry \(id)", in: tx) }
                return gone
            }
            guard gone else { throw DomainError.notFound("no blocklist entry with id \(id)") }
            s.blocklist.invalidate()
            return .object(["id": .int(id), "removed": .bool(true)])
        })

        // Audit log
        r.register(ActionDefinition(name: "audit.list", summary: "Recent admin and API changes in a site: who, what, when, from where.", scope: "settings.read", roles: admins, risk: .read, workspaceScoped: true,
                                    params: [ActionParam("limit", .integer(min: 1, max: 500), "How many (default 100).")]) { inv in
            let f = ISO8601DateFormatter()
            return .array(try await s.audit.recent(workspace: inv.workspace!.id, limit: Int(inv.int("limit") ?? 100)).map {
                .object(["at": .string(f.string(from: $0.at)), "actor": .string($0.actorLabel), "action": .string($0.action), "target": .string($0.target), "ip": .string($0.ip)])
            })
        })
    }
}
