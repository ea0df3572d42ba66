import Foundation
import Logging
import NIOCore
import NIOPosix
import Ports

/// The MariaDB implementation of `SQLDatabase`: a lazily filled pool of at most
/// `config.poolSize` connections, with every blocking Connector/C call run on the driver's own
/// `NIOThreadPool` (one thread per connection), never on the Swift concurrency pool.
///
/// Waiters for a connection are served first come, first served and give up after
/// `config.acquireTimeoutSeconds` with `SQLError.poolTimeout`. A connection that lost its server
/// is discarded, never returned to the pool; one idle for more than 30 s is pinged before being
/// lent. Call `shutdown()` before dropping the database: it closes the connections and the threads.
public final class MariaDBDatabase: SQLDatabase, @unchecked Sendable {
    public let dialect: SQLDialect = .mariadb

    /// Idle connections older than this are pinged before being lent (servers drop idle sessions
    /// after `wait_timeout`, and a restart kills them all).
    static let idleCheckAfter: Duration = .seconds(30)

    private let config: MariaDBConfig
    private let logger: Logger
    private let threadPool: NIOThreadPool
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var state = PoolState()

    public init(config: MariaDBConfig, logger: Logger) {
        var config = config
        config.poolSize = max(1, config.poolSize)
        config.acquireTimeoutSeconds = max(0, config.acquireTimeoutSeconds)
        self.config = config
        var logger = logger
        logger[metadataKey: "component"] = "mariadb"
        logger[metadataKey: "db.endpoint"] = "\(config.endpoint)"
        logger[metadataKey: "db.name"] = "\(config.database)"
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: config.poolSize)
        threadPool.start()
    }

    // MARK: SQLDatabase

    public func read<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await autocommit(body, retryIfFirstStatementLost: true)
    }

    /// Like `read`, but never retried: a write whose connection was lost may or may not have
    /// been applied, so the caller gets `.unavailable` and decides.
    public func write<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await autocommit(body, retryIfFirstStatementLost: false)
    }

    public func transaction<T>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        let lease = try await begin()
        let session = MariaDBLentConnection(database: self, connection: lease.connection)
        let value: T
        do {
            value = try await body(session)
        } catch {
            session.end()
            await rollback(lease.connection)
            throw error
        }
        session.end()
        let connection = lease.connection
        do {
            // Shielded from cancellation: the body finished, so its work is committed.
            _ = try await runShielded { try connection.execute("COMMIT", []) }
        } catch {
            // After a lost connection the outcome of COMMIT is unknown; the error says unavailable.
            await rollback(connection)
            throw error
        }
        await giveBack(connection)
        return value
    }

    public func ping() async throws {
        _ = try await read { connection in try await connection.query("SELECT 1", []) }
    }

    public func shutdown() async {
        let (idle, waiters): ([IdleConnection], [Waiter]) = lock.withLock {
            guard !state.isShutdown else { return ([], []) }
            state.isShutdown = true
            defer { state.idle.removeAll(); state.waiters.removeAll() }
            return (state.idle, state.waiters)
        }
        for waiter in waiters {
            waiter.timer.cancel()
            waiter.continuation.resume(throwing: SQLError.unavailable(message: "the MariaDB pool is shut down"))
        }
        for connection in idle {
            await closeQuietly(connection.connection)
            lock.withLock { state.open -= 1 }
        }
        // Lent connections are closed as they come back; wait a little for them.
        let deadline = ContinuousClock.now + .seconds(max(config.acquireTimeoutSeconds, 5))
        while lock.withLock({ state.open }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let stillOpen = lock.withLock { state.open }
        if stillOpen > 0 {
            logger.warning("MariaDB pool shut down with connections still lent out", metadata: ["db.lent": "\(stillOpen)"])
        }
        do {
            try await threadPool.shutdownGracefully()
        } catch {
            logger.debug("MariaDB thread pool shutdown: \(error)")
        }
    }

    // MARK: Lending

    private func autocommit<T>(_ body: (any SQLConnection) async throws -> T,
                               retryIfFirstStatementLost: Bool) async throws -> T {
        let lease = try await acquire(verify: false)
        let (outcome, firstStatementLost) = await lend(lease, body)
        await finishAutocommit(lease)
        switch outcome {
        case .success(let value):
            return value
        case .failure(let error):
            // A pooled connection may have died while idle (server restart, KILL, wait_timeout):
            // when the very first statement of a read finds it gone, nothing was read, so run once more.
            guard retryIfFirstStatementLost, lease.reused, firstStatementLost, Self.isLost(error) else { throw error }
            logger.notice("pooled MariaDB connection was lost; retrying the read on a fresh one",
                          metadata: ["db.thread_id": "\(lease.connection.serverThreadID)"])
            let retry = try await acquire(verify: true)
            let (second, _) = await lend(retry, body)
            await finishAutocommit(retry)
            return try second.get()
        }
    }

    private func lend<T>(_ lease: Lease, _ body: (any SQLConnection) async throws -> T) async
        -> (Result<T, any Error>, firstStatementLost: Bool) {
        let session = MariaDBLentConnection(database: self, connection: lease.connection)
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(session))
        } catch {
            outcome = .failure(error)
        }
        session.end()
        return (outcome, session.firstStatementLost)
    }

    /// Returns an autocommit lease's connection, rolling back a transaction the body opened by
    /// hand and left open (it would otherwise leak into the next borrower).
    private func finishAutocommit(_ lease: Lease) async {
        if !lease.connection.isBroken, lease.connection.inTransaction {
            logger.warning("a read left a transaction open; rolling it back")
            await rollback(lease.connection)
        } else {
            await release(lease.connection)
        }
    }

    /// Acquires a connection and starts a transaction on it. If START TRANSACTION finds a pooled
    /// connection dead, it starts on another one: the caller's body has not run, so this is not
    /// a retry of their transaction (which the driver never does).
    private func begin() async throws -> Lease {
        var lease = try await acquire(verify: false)
        for attempt in 1...2 {
            let connection = lease.connection
            do {
                _ = try await blocking { try connection.execute("START TRANSACTION", []) }
                return lease
            } catch {
                await release(connection)
                guard attempt == 1, lease.reused, Self.isLost(error) else { throw error }
                lease = try await acquire(verify: true)
            }
        }
        preconditionFailure("unreachable")
    }

    /// Rolls back and returns the connection; if the rollback fails the connection is discarded.
    private func rollback(_ connection: MariaDBConnection) async {
        guard !connection.isBroken else { return await discard(connection) }
        do {
            _ = try await runShielded { try connection.execute("ROLLBACK", []) }
            await giveBack(connection)
        } catch {
            logger.warning("ROLLBACK failed; discarding the connection", metadata: ["error": "\(error)"])
            await discard(connection)
        }
    }

    // MARK: Pool

    private struct Lease {
        let connection: MariaDBConnection
        /// Lent before (from the idle list), as opposed to opened for this lease.
        let reused: Bool
    }

    private struct IdleConnection {
        let connection: MariaDBConnection
        let since: ContinuousClock.Instant
    }

    private enum Grant {
        case idle(MariaDBConnection, mustPing: Bool)
        /// Permission to open a new connection; `state.open` already counts it.
        case slot
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
        let timer: Task<Void, Never>
    }

    private struct PoolState {
        /// Most recently returned last: lending from the end keeps few connections warm.
        var idle: [IdleConnection] = []
        /// Lent, idle, and being opened.
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isShutdown = false
        /// Idle connections returned before this instant are pinged before being lent.
        var suspectBefore: ContinuousClock.Instant?

        func mustPing(_ idle: IdleConnection, now: ContinuousClock.Instant) -> Bool {
            if let suspectBefore, idle.since <= suspectBefore { return true }
            return now - idle.since > MariaDBDatabase.idleCheckAfter
        }
    }

    /// A connection ready to use: idle ones are pinged when old or suspect, and replaced if dead.
    private func acquire(verify: Bool) async throws -> Lease {
        switch try await obtainGrant() {
        case .slot:
            return Lease(connection: try await openInSlot(), reused: false)
        case .idle(let connection, let mustPing):
            guard mustPing || verify else { return Lease(connection: connection, reused: true) }
            let alive: Bool
            do {
                alive = try await blocking { connection.ping() }
            } catch {
                await giveBack(connection)
                throw error
            }
            if alive { return Lease(connection: connection, reused: true) }
            logger.notice("idle MariaDB connection is dead; replacing it",
                          metadata: ["db.thread_id": "\(connection.serverThreadID)"])
            await closeQuietly(connection)
            return Lease(connection: try await openInSlot(), reused: false)
        }
    }

    private func obtainGrant() async throws -> Grant {
        let id = lock.withLock { () -> UInt64 in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        let timeout = config.acquireTimeoutSeconds
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let immediate: Result<Grant, any Error>? = lock.withLock {
                    if state.isShutdown { return .failure(SQLError.unavailable(message: "the MariaDB pool is shut down")) }
                    if state.waiters.isEmpty, let idle = state.idle.popLast() {
                        return .success(.idle(idle.connection, mustPing: state.mustPing(idle, now: .now)))
                    }
                    if state.open < config.poolSize {
                        state.open += 1
                        return .success(.slot)
                    }
                    // Checked under the lock: the cancellation handler takes it too, so either it
                    // sees this waiter queued or this check sees the cancellation.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if timeout == 0 { return .failure(SQLError.poolTimeout) }
                    let timer = Task { [weak self] in
                        do { try await Task.sleep(for: .seconds(timeout)) } catch { return }
                        self?.removeWaiter(id, error: SQLError.poolTimeout)
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation, timer: timer))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            self.removeWaiter(id, error: CancellationError())
        }
    }

    private func removeWaiter(_ id: UInt64, error: any Error) {
        let waiter: Waiter? = lock.withLock {
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        guard let waiter else { return }
        waiter.timer.cancel()
        if case SQLError.poolTimeout = error {
            logger.warning("timed out waiting for a MariaDB connection",
                           metadata: ["db.pool_size": "\(config.poolSize)", "db.wait_s": "\(config.acquireTimeoutSeconds)"])
        }
        waiter.continuation.resume(throwing: error)
    }

    /// Opens a connection in a slot already counted in `state.open`; frees the slot on failure.
    private func openInSlot() async throws -> MariaDBConnection {
        let config = self.config
        do {
            let connection = try await blocking { try MariaDBConnection.connect(config) }
            logger.debug("opened MariaDB connection", metadata: ["db.thread_id": "\(connection.serverThreadID)"])
            return connection
        } catch {
            releaseSlot()
            if !(error is CancellationError) {
                logger.error("cannot open a MariaDB connection", metadata: ["error": "\(error)"])
            }
            throw error
        }
    }

    /// Returns a connection that ran its last statement: discarded if broken, else pooled.
    private func release(_ connection: MariaDBConnection) async {
        if connection.isBroken {
            await discard(connection)
        } else {
            await giveBack(connection)
        }
    }

    /// Puts a healthy connection back, handing it straight to the oldest waiter if there is one.
    private func giveBack(_ connection: MariaDBConnection) async {
        enum Next { case pooled, handOver(Waiter), close }
        let next: Next = lock.withLock {
            if state.isShutdown { return .close }
            if !state.waiters.isEmpty { return .handOver(state.waiters.removeFirst()) }
            state.idle.append(IdleConnection(connection: connection, since: .now))
            return .pooled
        }
        switch next {
        case .pooled:
            break
        case .handOver(let waiter):
            waiter.timer.cancel()
            waiter.continuation.resume(returning: .idle(connection, mustPing: false))
        case .close:
            await discard(connection)
        }
    }

    /// Closes a connection for good and frees its slot. The idle ones are then suspect too.
    private func discard(_ connection: MariaDBConnection) async {
        markIdleSuspect()
        logger.debug("discarding MariaDB connection", metadata: ["db.thread_id": "\(connection.serverThreadID)"])
        await closeQuietly(connection)
        releaseSlot()
    }

    /// Frees one slot; the oldest waiter, if any, gets it to open a new connection.
    private func releaseSlot() {
        let waiter: Waiter? = lock.withLock {
            if !state.isShutdown, !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.open -= 1
            return nil
        }
        if let waiter {
            waiter.timer.cancel()
            waiter.continuation.resume(returning: .slot)
        }
    }

    /// After one lost connection the others idle in the pool are probably dead too (server
    /// restart): make the next lend of each ping it first.
    private func markIdleSuspect() {
        lock.withLock { state.suspectBefore = .now }
    }

    private func closeQuietly(_ connection: MariaDBConnection) async {
        do {
            try await runShielded { connection.close() }
        } catch {
            // Only after the thread pool stopped: the handle is freed when the object goes away.
            logger.debug("could not close a MariaDB connection on the thread pool: \(error)")
        }
    }

    // MARK: Threads

    private static func isLost(_ error: any Error) -> Bool {
        if case SQLError.unavailable = error { return true }
        return false
    }

    /// Runs blocking C work on the driver's thread pool.
    fileprivate func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await threadPool.runIfActive {
                MariaDBConnection.prepareThread()
                return try work()
            }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw SQLError.unavailable(message: "the MariaDB driver is shut down")
        }
    }

    /// Like `blocking`, but not cancelled with the calling task: for COMMIT, ROLLBACK and close,
    /// which must run even when the caller was cancelled, or the connection is left in a bad state.
    private func runShielded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await Task { try await self.blocking(work) }.value
    }
}

/// The `SQLConnection` lent to one `read` or `transaction` closure. It must not escape the
/// closure: once the closure returns, every call on it throws.
final class MariaDBLentConnection: SQLConnection, @unchecked Sendable {
    let dialect: SQLDialect = .mariadb
    private let database: MariaDBDatabase
    private let connection: MariaDBConnection
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var ended = false
    private var statements = 0
    private var lostOnFirstStatement = false

    fileprivate init(database: MariaDBDatabase, connection: MariaDBConnection) {
        self.database = database
        self.connection = connection
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> SQLExecResult {
        try await run { connection in try connection.execute(sql, binds) }
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await run { connection in try connection.query(sql, binds) }
    }

    fileprivate func end() { lock.withLock { ended = true } }

    /// Whether the first statement run on this lent connection failed with `.unavailable`.
    fileprivate var firstStatementLost: Bool { lock.withLock { lostOnFirstStatement } }

    private func run<T: Sendable>(_ work: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        let isFirst = try lock.withLock { () throws -> Bool in
            guard !ended else {
                throw SQLError.engine(code: 0, message: "a MariaDB connection was used after its read or transaction closure returned")
            }
            statements += 1
            return statements == 1
        }
        let connection = self.connection
        do {
            return try await database.blocking { try work(connection) }
        } catch {
            if isFirst, case SQLError.unavailable = error { lock.withLock { lostOnFirstStatement = true } }
            throw error
        }
    }
}
