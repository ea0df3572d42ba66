import Foundation
import Logging
import NIOPosix
import Ports
import Synchronization

/// Settings of the embedded SQLite store.
public struct SQLiteConfig: Sendable {
    public var path: String
    public var readers: Int
    public var busyTimeoutMillis: Int32
    public init(path: String, readers: Int = 4, busyTimeoutMillis: Int32 = 5000) {
        self.path = path; self.readers = readers; self.busyTimeoutMillis = busyTimeoutMillis
    }
}

/// The embedded SQLite driver: WAL journal, one writer connection (serialized in-process, so writers
/// queue in FIFO order instead of spinning in SQLite's busy handler) and a few read-only connections.
/// Every sqlite3 call runs on a dedicated thread pool, never on the cooperative pool.
public final class SQLiteDatabase: SQLDatabase {
    public let dialect: SQLDialect = .sqlite
    private let config: SQLiteConfig
    private let threads: NIOThreadPool
    private let writer: Lent
    private let writerLock = AsyncSemaphore(permits: 1)
    private let readerLock: AsyncSemaphore
    private let idleReaders: Mutex<[Lent]>
    private let logger: Logger

    /// A handle plus the thread pool that must run its calls.
    final class Lent: SQLConnection, @unchecked Sendable {
        let dialect: SQLDialect = .sqlite
        let handle: SQLiteHandle
        let threads: NIOThreadPool
        init(handle: SQLiteHandle, threads: NIOThreadPool) { self.handle = handle; self.threads = threads }

        func execute(_ sql: String, _ binds: [SQLValue]) async throws -> SQLExecResult {
            let h = handle
            return try await threads.runIfActive { try h.execute(sql, binds) }
        }

        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            let h = handle
            return try await threads.runIfActive { try h.query(sql, binds) }
        }
    }

    public init(config: SQLiteConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        let dir = (config.path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        threads = NIOThreadPool(numberOfThreads: 1 + max(1, config.readers))
        threads.start()
        let w = try SQLiteHandle(path: config.path, readOnly: false, busyTimeoutMillis: config.busyTimeoutMillis)
        // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
        // (a 2xx to a client means the row survives a power cut).
        _ = try w.query("PRAGMA journal_mode=WAL", [])
        _ = try w.execute("PRAGMA synchronous=FULL", [])
        _ = try w.execute("PRAGMA foreign_keys=ON", [])
        writer = Lent(handle: w, threads: threads)
        var readers: [Lent] = []
        for _ in 0..<max(1, config.readers) {
            let r = try SQLiteHandle(path: config.path, readOnly: true, busyTimeoutMillis: config.busyTimeoutMillis)
            readers.append(Lent(handle: r, threads: threads))
        }
        idleReaders = Mutex(readers)
        readerLock = AsyncSemaphore(permits: readers.count)
    }

    public func read<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await readerLock.acquire()
        let conn = idleReaders.withLock { $0.removeLast() }
        defer {
            idleReaders.withLock { $0.append(conn) }
            readerLock.release()
        }
        return try await body(conn)
    }

    public func write<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await writerLock.acquire()
        defer { writerLock.release() }
        return try await body(writer)
    }

    public func transaction<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await writerLock.acquire()
        defer { writerLock.release() }
        // IMMEDIATE takes the write lock at BEGIN, so a transaction never fails later on lock upgrade.
        try await writer.execute("BEGIN IMMEDIATE", [])
        do {
            let result = try await body(writer)
            try await writer.execute("COMMIT", [])
            return result
        } catch {
            do { try await writer.execute("ROLLBACK", []) } catch { logger.warning("SQLite rollback failed: \(error)") }
            throw error
        }
    }

    public func ping() async throws {
        _ = try await read { try await $0.query("SELECT 1", []) }
    }

    public func shutdown() async {
        try? await writerLock.acquire()
        writer.handle.close()
        let readers = idleReaders.withLock { $0 }
        for r in readers { r.handle.close() }
        try? await threads.shutdownGracefully()
    }
}
