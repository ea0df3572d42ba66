import Foundation
import Ports

public struct SQLUserStore: UserStore {
    public init() {}

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

    public func count(role: Role?, in conn: any SQLConnection) async throws -> Int {
        if let role {
            return Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM users WHERE role = ? AND active = 1", [.text(role.rawValue)])?.int("n") ?? 0)
        }
        return Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM users WHERE active = 1")?.int("n") ?? 0)
    }
}
