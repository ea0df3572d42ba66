import Foundation
import Ports

public struct SQLOneTimeTokenStore: OneTimeTokenStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func insert(tokenHash: String, _ t: OneTimeToken, now: Date, in tx: any SQLConnection) async throws {
        try await tx.execute("INSERT INTO one_time_tokens (token_hash, purpose, user_id, email, payload, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [.text(tokenHash), .text(t.purpose), SQLValue(t.userID?.raw), .text(t.email), .text(t.payload), SQLValue(t.createdBy?.raw),
                              .int(now.epochMillis), .int(t.expiresAt.epochMillis)])
    }

    static func decode(_ r: SQLRow) throws -> OneTimeToken {
        OneTimeToken(purpose: try r.string("purpose"), userID: try r.optionalInt("user_id").map(UserID.init), email: try r.string("email"),
                     payload: try r.string("payload"), createdBy: try r.optionalInt("created_by").map(UserID.init), expiresAt: try r.date("expires_at"))
    }

    public func consume(tokenHash: String, purpose: String, now: Date, in tx: any SQLConnection) async throws -> OneTimeToken? {
        // The conditional UPDATE is the single-use guarantee: of two concurrent uses, one changes the row.
        let changed = try await tx.execute("UPDATE one_time_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?",
                                           [.int(now.epochMillis), .text(tokenHash), .text(purpose), .int(now.epochMillis)]).affectedRows
        guard changed == 1 else { return nil }
        return try await tx.queryFirst("SELECT * FROM one_time_tokens WHERE token_hash = ?", [.text(tokenHash)]).map(Self.decode)
    }

    public func peek(tokenHash: String, purpose: String, now: Date) async throws -> OneTimeToken? {
        try await db.read { conn in
            try await conn.queryFirst("SELECT * FROM one_time_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?",
                                      [.text(tokenHash), .text(purpose), .int(now.epochMillis)]).map(Self.decode)
        }
    }
}
