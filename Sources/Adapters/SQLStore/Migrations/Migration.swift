import Ports

/// Column-type spellings that differ between the engines. Migrations are written once with these hooks.
public struct DDL: Sendable {
    public let dialect: SQLDialect
    public init(_ dialect: SQLDialect) { self.dialect = dialect }

    /// An auto-incrementing 64-bit primary key named `id` (monotonic on both engines).
    public var autoID: String {
        dialect == .mariadb ? "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY" : "id INTEGER PRIMARY KEY AUTOINCREMENT"
    }
    /// Unbounded text (LONGTEXT on MariaDB: up to 4 GiB).
    public var text: String { dialect == .mariadb ? "LONGTEXT" : "TEXT" }
    public var blob: String { dialect == .mariadb ? "LONGBLOB" : "BLOB" }
    /// Human text of bounded length, compared case-insensitively on MariaDB.
    public func varchar(_ n: Int) -> String { "VARCHAR(\(n))" }
    /// Opaque tokens and keys (site keys, event ids): compared byte for byte on both engines.
    public func token(_ n: Int) -> String {
        dialect == .mariadb ? "VARCHAR(\(n)) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" : "TEXT"
    }
    /// Appended to every CREATE TABLE.
    public var tableOptions: String {
        dialect == .mariadb ? " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci" : ""
    }
}

/// One numbered schema change. Its checksum covers the statements rendered for the engine in use,
/// so editing an applied migration is detected at start-up.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: @Sendable (DDL) -> [String]
    public init(version: Int, name: String, statements: @escaping @Sendable (DDL) -> [String]) {
        self.version = version; self.name = name; self.statements = statements
    }
}
