/// The SQL dialect of a driver; repositories branch on it only where the engines differ.
public enum SQLDialect: String, Sendable {
    case mariadb
    case sqlite
}

/// Outcome of a statement that returns no rows.
public struct SQLExecResult: Sendable {
    public var affectedRows: Int
    public var lastInsertID: Int64
    public init(affectedRows: Int, lastInsertID: Int64) {
        self.affectedRows = affectedRows
        self.lastInsertID = lastInsertID
    }
}

/// One connection lent by a driver for the duration of a `read` or `transaction` closure.
/// It must not escape the closure. Parameters are bound with `?` placeholders on both engines.
public protocol SQLConnection: Sendable {
    var dialect: SQLDialect { get }
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> SQLExecResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLConnection {
    @discardableResult
    public func execute(_ sql: String) async throws -> SQLExecResult { try await execute(sql, []) }
    public func query(_ sql: String) async throws -> [SQLRow] { try await query(sql, []) }
    public func queryFirst(_ sql: String, _ binds: [SQLValue] = []) async throws -> SQLRow? {
        try await query(sql, binds).first
    }
}

/// The storage driver port. Two implementations: MariaDB (production) and SQLite (embedded).
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` on a connection in autocommit mode. Use for reads; SQLite may lend a read-only connection.
    @discardableResult
    func read<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T
    /// Runs `body` on a connection in autocommit mode that may write: each statement commits on its own.
    /// Use for single-statement writes where a transaction's extra round trips are not wanted.
    @discardableResult
    func write<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    func transaction<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T
    /// Checks that the database answers (used by /readyz and doctor).
    func ping() async throws
    /// Closes every connection. The database may not be used afterwards.
    func shutdown() async
}

extension SQLDatabase {
    /// A transaction retried a few times when the engine reports a deadlock or lock-wait timeout.
    public func retryingTransaction<T>(attempts: Int = 3, _ body: (any SQLConnection) async throws -> T) async throws -> T {
        var tries = 0
        while true {
            do {
                return try await transaction(body)
            } catch SQLError.retryable(let message) {
                tries += 1
                if tries >= attempts { throw SQLError.retryable(message: message) }
            }
        }
    }
}
