import Foundation
import Ports

/// First run: the Owner account and the first site, and the `create-owner` / `create-site` commands.
public struct SetupService: Sendable {
    public let db: any SQLDatabase
    public let users: any UserStore
    public let workspaces: any WorkspaceStore
    public let outbox: Outbox
    public let hasher: any PasswordHasher
    public let clock: any TimeSource
    public let random: any RandomSource

    public static let minimumPasswordLength = 12

    public init(db: any SQLDatabase, users: any UserStore, workspaces: any WorkspaceStore, outbox: Outbox,
                hasher: any PasswordHasher, clock: any TimeSource, random: any RandomSource) {
        self.db = db; self.users = users; self.workspaces = workspaces; self.outbox = outbox
        self.hasher = hasher; self.clock = clock; self.random = random
    }

    /// True until an Owner exists.
    public func needsSetup() async throws -> Bool {
        try await db.read { try await users.count(role: .owner, in: $0) } == 0
    }

    public struct OwnerInput: Sendable {
        public var email: String, name: String, password: String
        public init(email: String, name: String, password: String) { self.email = email; self.name = name; self.password = password }
    }

    public struct SiteInput: Sendable {
        public var name: String, domain: String, description: String
        public init(name: String, domain: String, description: String = "") { self.name = name; self.domain = domain; self.description = description }
    }

    static func normalizedEmail(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              email.count <= 190, !email.contains(where: { $0.isWhitespace }) else {
            throw DomainError.validation(field: "email", message: "enter a valid email address, like owner@example.com")
        }
        return email
    }

    func validate(_ o: OwnerInput) throws -> (email: String, name: String) {
        let email = try Self.normalizedEmail(o.email)
        let name = o.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw DomainError.validation(field: "name", message: "enter the owner's name") }
        guard name.count <= 190 else { throw DomainError.validation(field: "name", message: "must be at most 190 characters") }
        guard o.password.count >= Self.minimumPasswordLength else {
            throw DomainError.validation(field: "password", message: "must be at least \(Self.minimumPasswordLength) characters")
        }
        guard o.password.count <= 1024 else { throw DomainError.validation(field: "password", message: "must be at most 1024 characters") }
        return (email, name)
    }

    static func normalizedDomain(_ raw: String) throws -> String {
        var d = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        for prefix in ["https://", "http://"] where d.hasPrefix(prefix) { d.removeFirst(prefix.count) }
        if let slash = d.firstIndex(of: "/") { d = String(d[..<slash]) }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-:")
        guard !d.isEmpty, d.count <= 253, d.allSatisfy({ allowed.contains($0) }), !d.hasPrefix("."), !d.hasPrefix("-") else {
            throw DomainError.validation(field: "domain", message: "enter the site's domain, like shop.example.com")
        }
        return d
    }

    func validate(_ s: SiteInput) throws -> SiteInput {
        let name = s.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw DomainError.validation(field: "site_name", message: "enter a name for the site") }
        guard name.count <= 190 else { throw DomainError.validation(field: "site_name", message: "must be at most 190 characters") }
        return SiteInput(name: name, domain: try Self.normalizedDomain(s.domain), description: String(s.description.prefix(2000)))
    }

    /// Creates the Owner (there is exactly one). Fails with `.conflict` if an Owner exists.
    public func createOwner(_ input: OwnerInput) async throws -> User {
        let (email, name) = try validate(input)
        let hash = try hasher.hash(input.password)
        return try await db.transaction { tx in
            try await insertOwner(email: email, name: name, hash: hash, in: tx)
        }
    }

    private func insertOwner(email: String, name: String, hash: String, in tx: any SQLConnection) async throws -> User {
        guard try await users.count(role: .owner, in: tx) == 0 else {
            throw DomainError.conflict("an Owner account already exists; there is exactly one Owner")
        }
        let user: User
        do {
            user = try await users.insert(NewUser(email: email, name: name, role: .owner, passwordHash: hash), now: clock.now(), in: tx)
        } catch SQLError.uniqueViolation {
            throw DomainError.validation(field: "email", message: "a user with this email already exists")
        }
        try await outbox.publish("user.created", workspace: nil, payload: ["user_id": .int(user.id.raw), "email": .string(email), "role": .string("owner")], in: tx)
        return user
    }

    /// Creates a site with a fresh site key and secret.
    public func createSite(_ input: SiteInput) async throws -> Workspace {
        let site = try validate(input)
        return try await db.transaction { tx in try await insertSite(site, in: tx) }
    }

    private func insertSite(_ site: SiteInput, in tx: any SQLConnection) async throws -> Workspace {
        let ws = try await workspaces.insert(
            NewWorkspace(name: site.name, domain: site.domain, description: site.description,
                         siteKey: "site_" + random.base62(length: 24), siteSecret: "opsiq_whsec_" + random.base62(length: 40)),
            now: clock.now(), in: tx)
        try await outbox.publish("workspace.created", workspace: ws.id, payload: ["workspace_id": .int(ws.id.raw), "name": .string(ws.name), "domain": .string(ws.domain), "site_key": .string(ws.siteKey)], in: tx)
        return ws
    }

    /// The setup page: Owner and first site in one transaction, so a failure leaves nothing half-made.
    public func completeFirstRun(owner: OwnerInput, site: SiteInput) async throws -> (User, Workspace) {
        let (email, name) = try validate(owner)
        let s = try validate(site)
        let hash = try hasher.hash(owner.password)
        return try await db.transaction { tx in
            let u = try await insertOwner(email: email, name: name, hash: hash, in: tx)
            let w = try await insertSite(s, in: tx)
            return (u, w)
        }
    }
}
