import Foundation
import Ports

public struct SQLUserStore: UserStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static let columns = "id, email, name, role, password_hash, active, created_at"

    static func decode(_ r: SQLRow) throws -> User {
        User(id: UserID(try r.int("id")), email: try r.string("email"), name: try r.string("name"),
             role: Role(rawValue: try r.string("role")) ?? .agent, passwordHash: try r.string("password_hash"),
             active: try r.bool("active"), createdAt: try r.date("created_at"))
    }

    public func insert(_ user: NewUser, now: Date, in tx: any SQLConnection) async throws -> User {
        let r = try await tx.execute(
            "INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
            [.text(user.email), .text(user.name), .text(user.role.rawValue), .text(user.passwordHash), .int(now.epochMillis), .int(now.epochMillis)])
        return User(id: UserID(r.lastInsertID), email: user.email, name: user.name, role: user.role, passwordHash: user.passwordHash,
                    active: true, createdAt: Date(epochMillis: now.epochMillis))
    }

    public func find(email: String, in conn: any SQLConnection) async throws -> User? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM users WHERE email = ?", [.text(email)]).map(Self.decode)
    }

    public func find(_ id: UserID, in conn: any SQLConnection) async throws -> User? {
        try await conn.queryFirst("SELECT \(Self.columns) FROM users WHERE id = ?", [.int(id.raw)]).map(Self.decode)
    }

    public func all(in conn: any SQLConnection) async throws -> [User] {
        try await conn.query("SELECT \(Self.columns) FROM users ORDER BY id").map(Self.decode)
    }

    public func setPassword(_ id: UserID, hash: String, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", [.text(hash), .int(now.epochMillis), .int(id.raw)])
    }

    public func setRole(_ id: UserID, role: Role, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE users SET role = ?, updated_at = ? WHERE id = ?", [.text(role.rawValue), .int(now.epochMillis), .int(id.raw)])
    }

    public func setActive(_ id: UserID, active: Bool, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("UPDATE users SET active = ?, updated_at = ? WHERE id = ?", [SQLValue(active), .int(now.epochMillis), .int(id.raw)])
    }

    public func recordLogin(_ id: UserID, now: Date) async throws {
        try await db.write { conn in try await conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [.int(now.epochMillis), .int(id.raw)]) }
    }

    public func agentWorkspaces(_ id: UserID) async throws -> Set<WorkspaceID> {
        try await db.read { conn in
            Set(try await conn.query("SELECT DISTINCT ud.workspace_id FROM user_departments ud JOIN departments d ON d.id = ud.department_id WHERE ud.user_id = ? AND d.archived_at IS NULL",
                                     [.int(id.raw)]).map { WorkspaceID(try $0.int("workspace_id")) })
        }
    }

    public func secondFactor(_ id: UserID) async throws -> SecondFactorState {
        try await db.read { conn in
            guard let r = try await conn.queryFirst("SELECT totp_secret_enc, totp_enabled, recovery_codes FROM users WHERE id = ?", [.int(id.raw)]) else {
                return SecondFactorState(sealedSecret: nil, enabled: false, recoveryCodeHashes: [], lastStep: 0)
            }
            // recovery_codes holds "LASTSTEP|hash hash hash".
            let packed = try r.optionalString("recovery_codes") ?? "0|"
            let parts = packed.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            return SecondFactorState(sealedSecret: try r.optionalString("totp_secret_enc"), enabled: try r.bool("totp_enabled"),
                                     recoveryCodeHashes: parts.count > 1 ? parts[1].split(separator: " ").map(String.init) : [],
                                     lastStep: Int64(parts[0]) ?? 0)
        }
    }

    public func setSecondFactor(_ id: UserID, _ state: SecondFactorState, now: Date) async throws {
        let packed = "\(state.lastStep)|" + state.recoveryCodeHashes.joined(separator: " ")
        try await db.write { conn in
            try await conn.execute("UPDATE users SET totp_secret_enc = ?, totp_enabled = ?, recovery_codes = ?, updated_at = ? WHERE id = ?",
                                   [SQLValue(state.sealedSecret), SQLValue(state.enabled), .text(packed), .int(now.epochMillis), .int(id.raw)])
        }
    }

    public func count(role: Role?, in conn: any SQLConnection) async throws -> Int {
        if let role {
            return Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM users WHERE role = ? AND active = 1", [.text(role.rawValue)])?.int("n") ?? 0)
        }
        return Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM users WHERE active = 1")?.int("n") ?? 0)
    }
}
