import Foundation
import Ports

/// Daily salts in `visitor_salts`. Creating is insert-or-ignore then read, on one connection, so when
/// two processes race for a new day both read the row that won.
public struct SQLVisitorSaltStore: VisitorSaltStore {
    public let db: any SQLDatabase
    let random: any RandomSource
    let clock: any TimeSource

    public init(db: any SQLDatabase, random: any RandomSource, clock: any TimeSource) {
        self.db = db; self.random = random; self.clock = clock
    }

    public func salt(for day: Int) async throws -> String {
        let existing = try await db.read { try await $0.queryFirst("SELECT salt FROM visitor_salts WHERE day = ?", [.int(Int64(day))]) }
        if let existing { return try existing.string("salt") }
        let fresh = random.bytes(32).hexString
        let now = clock.now()
        return try await db.write { conn in
            let ignore = conn.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
            try await conn.execute("\(ignore) visitor_salts (day, salt, created_at) VALUES (?, ?, ?)", [.int(Int64(day)), .text(fresh), .int(now.epochMillis)])
            guard let row = try await conn.queryFirst("SELECT salt FROM visitor_salts WHERE day = ?", [.int(Int64(day))]) else {
                throw SQLError.engine(code: 0, message: "visitor_salts: the salt of day \(day) was neither inserted nor found")
            }
            return try row.string("salt")
        }
    }

    @discardableResult
    public func deleteSalts(before day: Int) async throws -> Int {
        try await db.write { try await $0.execute("DELETE FROM visitor_salts WHERE day < ?", [.int(Int64(day))]).affectedRows }
    }

    public func days() async throws -> [Int] {
        try await db.read { conn in
            try await conn.query("SELECT day FROM visitor_salts ORDER BY day").map { Int(try $0.int("day")) }
        }
    }
}
