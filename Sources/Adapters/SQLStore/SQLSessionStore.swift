import Foundation
import Ports

public struct SQLSessionStore: SessionStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static func decode(_ r: SQLRow) throws -> SessionRecord {
        SessionRecord(tokenHash: try r.string("token_hash"), userID: UserID(try r.int("user_id")), csrfToken: try r.string("csrf_token"),
                      workspaceID: try r.optionalInt("workspace_id").map(WorkspaceID.init), secondFactorPending: try r.bool("second_factor_pending"),
                      ip: try r.string("ip"), userAgent: try r.string("user_agent"), createdAt: try r.date("created_at"),
                      lastSeenAt: try r.date("last_seen_at"), expiresAt: try r.date("expires_at"))
    }

    public func insert(_ s: SessionRecord) async throws {
        try await db.write { conn in
            try await conn.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, workspace_id, second_factor_pending, ip, user_agent, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(s.tokenHash), .int(s.userID.raw), .text(s.csrfToken), SQLValue(s.workspaceID?.raw), SQLValue(s.secondFactorPending),
                 .text(String(s.ip.prefix(64))), .text(String(s.userAgent.prefix(255))), .int(s.createdAt.epochMillis), .int(s.lastSeenAt.epochMillis), .int(s.expiresAt.epochMillis)])
        }
    }

    public func find(tokenHash: String) async throws -> SessionRecord? {
        try await db.read { conn in
            try await conn.queryFirst("SELECT * FROM sessions WHERE token_hash = ?", [.text(tokenHash)]).map(Self.decode)
        }
    }

    public func touch(tokenHash: String, now: Date, expiresAt: Date) async throws {
        try await db.write { conn in
            try await conn.execute("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?", [.int(now.epochMillis), .int(expiresAt.epochMillis), .text(tokenHash)])
        }
    }

    public func completeSecondFactor(tokenHash: String, now: Date) async throws {
        try await db.write { conn in
            try await conn.execute("UPDATE sessions SET second_factor_pending = 0, last_seen_at = ? WHERE token_hash = ?", [.int(now.epochMillis), .text(tokenHash)])
        }
    }

    public func setWorkspace(tokenHash: String, workspace: WorkspaceID?) async throws {
        try await db.write { conn in
            try await conn.execute("UPDATE sessions SET workspace_id = ? WHERE token_hash = ?", [SQLValue(workspace?.raw), .text(tokenHash)])
        }
    }

    public func delete(tokenHash: String) async throws {
        try await db.write { conn in try await conn.execute("DELETE FROM sessions WHERE token_hash = ?", [.text(tokenHash)]) }
    }

    public func deleteAll(userID: UserID) async throws -> Int {
        try await db.write { conn in try await conn.execute("DELETE FROM sessions WHERE user_id = ?", [.int(userID.raw)]).affectedRows }
    }

    public func activeUserIDs(since: Date) async throws -> [UserID] {
        try await db.read { conn in
            try await conn.query("SELECT DISTINCT user_id FROM sessions WHERE last_seen_at >= ? AND second_factor_pending = 0 ORDER BY user_id", [.int(since.epochMillis)])
                .map { UserID(try $0.int("user_id")) }
        }
    }

    public func prune(now: Date) async throws -> Int {
        try await db.write { conn in try await conn.execute("DELETE FROM sessions WHERE expires_at < ?", [.int(now.epochMillis)]).affectedRows }
    }
}

public struct SQLFailedLoginStore: FailedLoginStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func record(_ f: FailedLogin) async throws {
        try await db.write { conn in
            try await conn.execute("INSERT INTO failed_logins (at, ip, country, email, reason, user_agent) VALUES (?, ?, ?, ?, ?, ?)",
                                   [.int(f.at.epochMillis), .text(String(f.ip.prefix(64))), .text(String(f.country.prefix(8))), .text(String(f.email.prefix(190))),
                                    .text(f.reason.rawValue), .text(String(f.userAgent.prefix(255)))])
        }
    }

    public func count(email: String, since: Date) async throws -> Int {
        try await db.read { conn in
            Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM failed_logins WHERE email = ? AND at >= ? AND reason <> 'locked'", [.text(email), .int(since.epochMillis)])?.int("n") ?? 0)
        }
    }

    public func count(ip: String, since: Date) async throws -> Int {
        try await db.read { conn in
            Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM failed_logins WHERE ip = ? AND at >= ? AND reason <> 'locked'", [.text(ip), .int(since.epochMillis)])?.int("n") ?? 0)
        }
    }

    public func recent(limit: Int, offset: Int) async throws -> [FailedLogin] {
        try await db.read { conn in
            try await conn.query("SELECT at, ip, country, email, reason, user_agent FROM failed_logins ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
                                 [.int(Int64(limit)), .int(Int64(offset))]).map {
                FailedLogin(at: try $0.date("at"), ip: try $0.string("ip"), country: try $0.string("country"), email: try $0.string("email"),
                            reason: FailedLoginReason(rawValue: try $0.string("reason")) ?? .wrongPassword, userAgent: try $0.string("user_agent"))
            }
        }
    }
}

public struct SQLAPIKeyStore: APIKeyStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static func decode(_ r: SQLRow) throws -> APIKeyRecord {
        APIKeyRecord(id: try r.int("id"), prefix: try r.string("prefix"), name: try r.string("name"),
                     scopes: try r.string("scopes").split(separator: " ").map(String.init),
                     workspaceID: try r.optionalInt("workspace_id").map(WorkspaceID.init), createdBy: UserID(try r.int("created_by")),
                     createdAt: try r.date("created_at"), lastUsedAt: try r.optionalDate("last_used_at"), revokedAt: try r.optionalDate("revoked_at"))
    }

    static let columns = "id, prefix, name, scopes, workspace_id, created_by, created_at, last_used_at, revoked_at"

    public func insert(keyHash: String, prefix: String, name: String, scopes: [String], workspace: WorkspaceID?, createdBy: UserID, now: Date) async throws -> APIKeyRecord {
        let id = try await db.write { conn in
            try await conn.execute("INSERT INTO api_keys (key_hash, prefix, name, scopes, workspace_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   [.text(keyHash), .text(prefix), .text(name), .text(scopes.joined(separator: " ")), SQLValue(workspace?.raw), .int(createdBy.raw), .int(now.epochMillis)]).lastInsertID
        }
        return APIKeyRecord(id: id, prefix: prefix, name: name, scopes: scopes, workspaceID: workspace, createdBy: createdBy,
                            createdAt: Date(epochMillis: now.epochMillis), lastUsedAt: nil, revokedAt: nil)
    }

    public func find(keyHash: String) async throws -> APIKeyRecord? {
        try await db.read { conn in try await conn.queryFirst("SELECT \(Self.columns) FROM api_keys WHERE key_hash = ?", [.text(keyHash)]).map(Self.decode) }
    }

    public func all() async throws -> [APIKeyRecord] {
        try await db.read { conn in try await conn.query("SELECT \(Self.columns) FROM api_keys ORDER BY id DESC").map(Self.decode) }
    }

    public func markUsed(id: Int64, now: Date) async throws {
        try await db.write { conn in try await conn.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [.int(now.epochMillis), .int(id)]) }
    }

    public func revoke(id: Int64, now: Date) async throws -> Bool {
        try await db.write { conn in
            try await conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.int(now.epochMillis), .int(id)]).affectedRows == 1
        }
    }
}

public struct SQLRateLimitStore: RateLimitStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func hit(bucket: String, windowStart: Date) async throws -> Int {
        let w = windowStart.epochMillis
        switch db.dialect {
        case .mariadb:
            // The upsert's row lock makes concurrent hits from several web processes count exactly.
            return try await db.transaction { tx in
                try await tx.execute("INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1", [.text(bucket), .int(w)])
                return Int(try await tx.queryFirst("SELECT hits FROM rate_limits WHERE bucket = ? AND window_start = ?", [.text(bucket), .int(w)])?.int("hits") ?? 1)
            }
        case .sqlite:
            return try await db.write { conn in
                Int(try await conn.queryFirst("INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1) ON CONFLICT (bucket, window_start) DO UPDATE SET hits = hits + 1 RETURNING hits",
                                              [.text(bucket), .int(w)])?.int("hits") ?? 1)
            }
        }
    }

    public func prune(before: Date) async throws -> Int {
        try await db.write { conn in try await conn.execute("DELETE FROM rate_limits WHERE window_start < ?", [.int(before.epochMillis)]).affectedRows }
    }
}

public struct SQLAuditStore: AuditStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func record(_ e: AuditEntry, in tx: any SQLConnection) async throws {
        try await tx.execute("INSERT INTO audit_log (at, actor_type, actor_id, actor_label, workspace_id, action, target, details, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [.int(e.at.epochMillis), .text(e.actorType), SQLValue(e.actorID), .text(String(e.actorLabel.prefix(190))), SQLValue(e.workspaceID?.raw),
                              .text(e.action), .text(String(e.target.prefix(255))), .text(e.details), .text(String(e.ip.prefix(64)))])
    }

    public func recent(workspace: WorkspaceID?, limit: Int) async throws -> [AuditEntry] {
        try await db.read { conn in
            let rows: [SQLRow]
            if let workspace {
                rows = try await conn.query("SELECT * FROM audit_log WHERE workspace_id = ? ORDER BY id DESC LIMIT ?", [.int(workspace.raw), .int(Int64(limit))])
            } else {
                rows = try await conn.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [.int(Int64(limit))])
            }
            return try rows.map {
                AuditEntry(at: try $0.date("at"), actorType: try $0.string("actor_type"), actorID: try $0.optionalInt("actor_id"), actorLabel: try $0.string("actor_label"),
                           workspaceID: try $0.optionalInt("workspace_id").map(WorkspaceID.init), action: try $0.string("action"), target: try $0.string("target"),
                           details: try $0.string("details"), ip: try $0.string("ip"))
            }
        }
    }
}
