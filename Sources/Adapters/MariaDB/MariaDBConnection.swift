import CMariaDB
import Foundation
import Ports

/// Connector/C must be initialised once per process before any handle is made. A global `let`
/// is initialised lazily and exactly once (swift_once), whichever thread gets there first.
private let mariaDBLibraryReady: Bool = mysql_server_init(0, nil, nil) == 0

/// One MariaDB connection: a small, blocking wrapper around a Connector/C `MYSQL` handle.
///
/// Every method blocks on the network, so `MariaDBDatabase` calls them on its own thread pool,
/// never on the Swift concurrency pool. A lock serialises the calls, so the handle is used by
/// one thread at a time even if a caller shares its lent connection between child tasks.
/// Statements are always prepared (`mysql_stmt_*`) with bound values, and kept in a per-connection
/// cache keyed by SQL text; a lost connection is never reconnected in place (auto-reconnect is
/// off), it is discarded with its cache and the pool opens a new one.
final class MariaDBConnection: @unchecked Sendable {
    /// Most prepared statements kept per connection; the least recently used is closed beyond it.
    static let statementCacheCapacity = 128

    /// Set at connect. Strict mode makes bad data an error instead of a warning; UTC keeps
    /// NOW() and friends independent of the server's zone (timestamps are stored as epoch ms anyway).
    private static let sessionSetup = """
        SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, \
        SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', \
        SESSION time_zone = '+00:00', SESSION autocommit = 1
        """

    private let lock = NSLock()
    private var mysql: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: CachedStatement] = [:]
    private var useClock: UInt64 = 0
    private var broken = false
    /// The server's id for this session (`CONNECTION_ID()`), for logs.
    let serverThreadID: UInt

    private struct CachedStatement {
        let handle: UnsafeMutablePointer<MYSQL_STMT>
        var lastUse: UInt64
    }

    private init(_ mysql: UnsafeMutablePointer<MYSQL>) {
        self.mysql = mysql
        self.serverThreadID = UInt(mysql_thread_id(mysql))
    }

    deinit {
        // Safety net only: the pool closes every connection explicitly on its thread pool.
        for statement in statements.values { mysql_stmt_close(statement.handle) }
        if let mysql { mysql_close(mysql) }
    }

    /// Connector/C 3.x keeps no per-thread state (mysql_thread_init/end are no-ops there), but the
    /// API contract asks for the call on every thread that uses the library; it is idempotent.
    static func prepareThread() {
        _ = mysql_thread_init()
    }

    // MARK: Connecting

    /// Opens a connection; any failure is `.unavailable` carrying the server's message.
    static func connect(_ config: MariaDBConfig) throws -> MariaDBConnection {
        guard mariaDBLibraryReady else {
            throw SQLError.unavailable(message: "the MariaDB client library failed to initialise")
        }
        prepareThread()
        guard let mysql = mysql_init(nil) else {
            throw SQLError.unavailable(message: "mysql_init failed: out of memory")
        }
        var connectTimeout = UInt32(clamping: config.connectTimeoutSeconds)
        var ioTimeout = UInt32(clamping: config.ioTimeoutSeconds)
        var reconnect: my_bool = 0
        // Explicit protocol: without it Connector/C turns host "localhost" into its default socket.
        var transport = config.unixSocket == nil ? MYSQL_PROTOCOL_TCP.rawValue : MYSQL_PROTOCOL_SOCKET.rawValue
        mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &ioTimeout)
        mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &ioTimeout)
        mysql_options(mysql, MYSQL_OPT_RECONNECT, &reconnect)
        mysql_options(mysql, MYSQL_OPT_PROTOCOL, &transport)
        mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4")

        // CLIENT_FOUND_ROWS: an UPDATE reports the rows it matched, not only those it changed,
        // as SQLite does, so "affectedRows == 0 means not found" holds on both engines.
        let connected = withOptionalCString(config.unixSocket == nil ? config.host : nil) { host in
            withOptionalCString(config.database.isEmpty ? nil : config.database) { database in
                withOptionalCString(config.unixSocket) { socket in
                    mysql_real_connect(mysql, host, config.user, config.password, database,
                                       UInt32(config.port), socket, UInt(CLIENT_FOUND_ROWS))
                }
            }
        }
        guard connected != nil else {
            let message = "cannot connect to MariaDB at \(config.endpoint) as '\(config.user)': "
                + "[\(mysql_errno(mysql))] \(String(cString: mysql_error(mysql)))"
            mysql_close(mysql)
            throw SQLError.unavailable(message: message)
        }
        let connection = MariaDBConnection(mysql)
        if mysql_real_query(mysql, sessionSetup, UInt(sessionSetup.utf8.count)) != 0 {
            let message = "MariaDB session setup failed: [\(mysql_errno(mysql))] \(String(cString: mysql_error(mysql)))"
            connection.close()
            throw SQLError.unavailable(message: message)
        }
        return connection
    }

    // MARK: State

    /// True once a statement lost the connection (or it was closed): it must not be reused.
    var isBroken: Bool { lock.withLock { broken || mysql == nil } }

    /// Whether the server reports an open transaction on this session.
    var inTransaction: Bool {
        lock.withLock {
            guard let mysql else { return false }
            return mysql.pointee.server_status & UInt32(SERVER_STATUS_IN_TRANS) != 0
        }
    }

    /// A real round trip (COM_PING). A failure marks the connection broken.
    func ping() -> Bool {
        lock.withLock {
            guard let mysql, !broken else { return false }
            if mysql_ping(mysql) == 0 { return true }
            broken = true
            return false
        }
    }

    /// Closes the cached statements and the handle. Idempotent.
    func close() {
        lock.withLock {
            for statement in statements.values { mysql_stmt_close(statement.handle) }
            statements.removeAll()
            if let mysql { mysql_close(mysql) }
            mysql = nil
            broken = true
        }
    }

    // MARK: Statements

    func execute(_ sql: String, _ binds: [SQLValue]) throws -> SQLExecResult {
        try withHandle { mysql in try run(mysql, sql, binds, collectRows: false).result }
    }

    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        try withHandle { mysql in try run(mysql, sql, binds, collectRows: true).rows }
    }

    private func withHandle<T>(_ body: (UnsafeMutablePointer<MYSQL>) throws -> T) throws -> T {
        try lock.withLock {
            guard let mysql, !broken else {
                throw SQLError.unavailable(message: "the MariaDB connection is closed")
            }
            return try body(mysql)
        }
    }

    private func run(_ mysql: UnsafeMutablePointer<MYSQL>, _ sql: String, _ binds: [SQLValue],
                     collectRows: Bool) throws -> (result: SQLExecResult, rows: [SQLRow]) {
        do {
            return try runOnce(mysql, sql, binds, collectRows: collectRows, mayBeStale: true)
        } catch is StaleStatement {
            // Closing the statement resynchronises the connection; prepare it afresh, once.
            forget(sql)
            return try runOnce(mysql, sql, binds, collectRows: collectRows, mayBeStale: false)
        }
    }

    /// A cached statement outdated by a schema change; thrown only while a retry is still allowed.
    private struct StaleStatement: Error {}

    private func runOnce(_ mysql: UnsafeMutablePointer<MYSQL>, _ sql: String, _ binds: [SQLValue],
                         collectRows: Bool, mayBeStale: Bool) throws -> (result: SQLExecResult, rows: [SQLRow]) {
        guard let stmt = try statement(mysql, sql) else {
            // Not preparable (ER_UNSUPPORTED_PS): only plain text without values may take the text protocol.
            guard binds.isEmpty else {
                throw SQLError.engine(code: 1295, message: "this statement cannot be prepared, so it cannot take bound values: \(sql.prefix(80))")
            }
            return try runText(mysql, sql, collectRows: collectRows)
        }
        let placeholders = Int(mysql_stmt_param_count(stmt))
        guard placeholders == binds.count else {
            throw SQLError.engine(code: 2034, message: "statement has \(placeholders) placeholders but \(binds.count) values were bound")
        }
        var parameters = BoundParameters(binds)
        defer { parameters.deallocate() }
        if placeholders > 0 {
            let failed = parameters.binds.withUnsafeMutableBufferPointer { mysql_stmt_bind_param(stmt, $0.baseAddress) }
            if failed != 0 { throw statementError(stmt) }
        }
        defer { mysql_stmt_free_result(stmt) }
        if mysql_stmt_execute(stmt) != 0 {
            // After a schema change a cached statement can go stale: the server gave up re-preparing
            // (1615 ER_NEED_REPREPARE), or its result now has other columns than the client bound
            // last time (2057 CR_NEW_STMT_METADATA, only for statements that return rows).
            let code = mysql_stmt_errno(stmt)
            if mayBeStale, code == 1615 || code == 2057 { throw StaleStatement() }
            throw statementError(stmt)
        }
        var rows: [SQLRow] = []
        if mysql_stmt_field_count(stmt) > 0 {
            if mysql_stmt_store_result(stmt) != 0 { throw statementError(stmt) }
            if collectRows { rows = try fetchRows(stmt) }
        }
        let affected = mysql_stmt_affected_rows(stmt)
        let result = SQLExecResult(affectedRows: affected == UInt64.max ? 0 : Int(clamping: affected),
                                   lastInsertID: Int64(clamping: mysql_stmt_insert_id(stmt)))
        // A CALL ends with an extra status result; the connection is out of sync until it is read.
        while mysql_stmt_more_results(stmt) != 0 {
            mysql_stmt_free_result(stmt)
            let next = mysql_stmt_next_result(stmt)
            if next > 0 { throw statementError(stmt) }
            if next < 0 { break }
            if mysql_stmt_field_count(stmt) > 0, mysql_stmt_store_result(stmt) != 0 { throw statementError(stmt) }
        }
        return (result, rows)
    }

    /// The cached prepared statement for `sql`, or nil when the server cannot prepare it.
    private func statement(_ mysql: UnsafeMutablePointer<MYSQL>, _ sql: String) throws -> UnsafeMutablePointer<MYSQL_STMT>? {
        useClock &+= 1
        if let index = statements.index(forKey: sql) {
            statements.values[index].lastUse = useClock
            return statements.values[index].handle
        }
        guard let stmt = mysql_stmt_init(mysql) else {
            throw failure(code: mysql_errno(mysql), message: String(cString: mysql_error(mysql)))
        }
        if mysql_stmt_prepare(stmt, sql, UInt(sql.utf8.count)) != 0 {
            let code = mysql_stmt_errno(stmt)
            let error = statementError(stmt)
            mysql_stmt_close(stmt)
            if code == 1295 { return nil }
            throw error
        }
        // Makes mysql_stmt_store_result compute each column's longest value, to size the buffers.
        var updateMaxLength: my_bool = 1
        mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &updateMaxLength)
        if statements.count >= Self.statementCacheCapacity,
           let oldest = statements.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            mysql_stmt_close(oldest.value.handle)
            statements.removeValue(forKey: oldest.key)
        }
        statements[sql] = CachedStatement(handle: stmt, lastUse: useClock)
        return stmt
    }

    private func forget(_ sql: String) {
        if let cached = statements.removeValue(forKey: sql) { mysql_stmt_close(cached.handle) }
    }

    /// Reads every row of a stored result into values, decoding by column type.
    private func fetchRows(_ stmt: UnsafeMutablePointer<MYSQL_STMT>) throws -> [SQLRow] {
        guard let metadata = mysql_stmt_result_metadata(stmt) else { return [] }
        defer { mysql_free_result(metadata) }
        let count = Int(mysql_num_fields(metadata))
        guard let fields = mysql_fetch_fields(metadata), count > 0 else { return [] }
        var output = ResultBuffers(fields: fields, count: count)
        defer { output.deallocate() }
        let failed = output.binds.withUnsafeMutableBufferPointer { mysql_stmt_bind_result(stmt, $0.baseAddress) }
        if failed != 0 { throw statementError(stmt) }

        var rows: [SQLRow] = []
        rows.reserveCapacity(Int(clamping: mysql_stmt_num_rows(stmt)))
        while true {
            let status = mysql_stmt_fetch(stmt)
            if status == MYSQL_NO_DATA { break }
            if status != 0 && status != MYSQL_DATA_TRUNCATED { throw statementError(stmt) }
            var values: [SQLValue] = []
            values.reserveCapacity(count)
            for column in 0..<count { values.append(try output.value(column, stmt: stmt)) }
            rows.append(SQLRow(columns: output.columns, values: values))
        }
        return rows
    }

    /// The text protocol, for the rare statement the server will not prepare (never with values).
    private func runText(_ mysql: UnsafeMutablePointer<MYSQL>, _ sql: String,
                         collectRows: Bool) throws -> (result: SQLExecResult, rows: [SQLRow]) {
        if mysql_real_query(mysql, sql, UInt(sql.utf8.count)) != 0 { throw connectionError(mysql) }
        var rows: [SQLRow] = []
        if let result = mysql_store_result(mysql) {
            defer { mysql_free_result(result) }
            let count = Int(mysql_num_fields(result))
            if collectRows, count > 0, let fields = mysql_fetch_fields(result) {
                let kinds = (0..<count).map { ColumnKind(fields[$0]) }
                let columns = SQLColumns((0..<count).map { String(cString: fields[$0].name) })
                while let row = mysql_fetch_row(result), let lengths = mysql_fetch_lengths(result) {
                    let values = (0..<count).map { i -> SQLValue in
                        guard let cell = row[i] else { return .null }
                        let bytes = UnsafeRawBufferPointer(start: cell, count: Int(lengths[i]))
                        return kinds[i].decodeText(bytes)
                    }
                    rows.append(SQLRow(columns: columns, values: values))
                }
            }
        } else if mysql_field_count(mysql) > 0 {
            throw connectionError(mysql)
        }
        let affected = mysql_affected_rows(mysql)
        let result = SQLExecResult(affectedRows: affected == UInt64.max ? 0 : Int(clamping: affected),
                                   lastInsertID: Int64(clamping: mysql_insert_id(mysql)))
        while mysql_more_results(mysql) != 0 {
            let next = mysql_next_result(mysql)
            if next > 0 { throw connectionError(mysql) }
            if next < 0 { break }
            if let extra = mysql_store_result(mysql) { mysql_free_result(extra) }
        }
        return (result, rows)
    }

    // MARK: Errors

    private func statementError(_ stmt: UnsafeMutablePointer<MYSQL_STMT>) -> SQLError {
        failure(code: mysql_stmt_errno(stmt), message: String(cString: mysql_stmt_error(stmt)))
    }

    private func connectionError(_ mysql: UnsafeMutablePointer<MYSQL>) -> SQLError {
        failure(code: mysql_errno(mysql), message: String(cString: mysql_error(mysql)))
    }

    /// The one place a MariaDB error code becomes a `SQLError`; marks the connection broken when lost.
    private func failure(code: UInt32, message: String) -> SQLError {
        let error = Self.mapError(code: Int(code), message: message)
        // 2014 (commands out of sync) keeps its engine code but leaves the session unusable too.
        if case .unavailable = error { broken = true } else if code == 2014 { broken = true }
        return error
    }

    static func mapError(code: Int, message: String) -> SQLError {
        switch code {
        case 1062, 1169, 1586:
            return .uniqueViolation(message: message)
        case 1205, 1213:
            return .retryable(message: message)
        // Client: can't connect (2002/2003), gone away (2006), lost (2013/2055), SSL (2026);
        // server: shutting down (1053), connection killed (1927), idle disconnect (4031).
        case 2002, 2003, 2006, 2013, 2026, 2055, 1053, 1927, 4031:
            return .unavailable(message: "[\(code)] \(message)")
        default:
            return .engine(code: code, message: message)
        }
    }
}

// MARK: - Buffers

/// How a result column is decoded, from its type, flags and character set.
private enum ColumnKind {
    case integer(unsigned: Bool)
    case double
    case text
    case blob
    case bit
    case null

    init(_ field: MYSQL_FIELD) {
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            self = .integer(unsigned: field.flags & UInt32(UNSIGNED_FLAG) != 0)
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            self = .double
        case MYSQL_TYPE_NULL:
            self = .null
        case MYSQL_TYPE_BIT:
            self = .bit
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB,
             MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_STRING, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_GEOMETRY:
            // Character set 63 is "binary": BLOB, VARBINARY, BINARY. TEXT has the same type codes.
            self = field.charsetnr == 63 ? .blob : .text
        default:
            // DECIMAL, dates and times, ENUM, SET, JSON: their text form.
            self = .text
        }
    }

    /// Decodes a value received as text (the text protocol fallback).
    func decodeText(_ bytes: UnsafeRawBufferPointer) -> SQLValue {
        let string = String(decoding: bytes, as: UTF8.self)
        switch self {
        case .integer:
            if let v = Int64(string) { return .int(v) }
            return .text(string)
        case .double:
            return Double(string).map(SQLValue.double) ?? .text(string)
        case .blob:
            return .blob(Array(bytes))
        case .bit:
            return Self.bitValue(bytes)
        case .text:
            return .text(string)
        case .null:
            return .null
        }
    }

    /// BIT(n) arrives as big-endian bytes.
    static func bitValue(_ bytes: UnsafeRawBufferPointer) -> SQLValue {
        var value: UInt64 = 0
        for byte in bytes.suffix(8) { value = value << 8 | UInt64(byte) }
        return value <= UInt64(Int64.max) ? .int(Int64(value)) : .text(String(value))
    }
}

/// Parameter values copied into C memory for one execution.
private struct BoundParameters {
    var binds: [MYSQL_BIND]
    private var allocations: [UnsafeMutableRawPointer] = []

    init(_ values: [SQLValue]) {
        binds = Array(repeating: MYSQL_BIND(), count: values.count)
        for (i, value) in values.enumerated() {
            switch value {
            case .null:
                binds[i].buffer_type = MYSQL_TYPE_NULL
            case .int(let v):
                store(i, type: MYSQL_TYPE_LONGLONG, count: 8) { $0.storeBytes(of: v, as: Int64.self) }
            case .double(let v):
                store(i, type: MYSQL_TYPE_DOUBLE, count: 8) { $0.storeBytes(of: v, as: Double.self) }
            case .text(var s):
                s.withUTF8 { utf8 in
                    store(i, type: MYSQL_TYPE_STRING, count: utf8.count) { $0.copyMemory(from: utf8.baseAddress!, byteCount: utf8.count) }
                }
            case .blob(let bytes):
                bytes.withUnsafeBytes { raw in
                    store(i, type: MYSQL_TYPE_BLOB, count: raw.count) { $0.copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
                }
            }
        }
    }

    private mutating func store(_ i: Int, type: enum_field_types, count: Int, _ fill: (UnsafeMutableRawPointer) -> Void) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 8)
        let length = UnsafeMutablePointer<UInt>.allocate(capacity: 1)
        length.initialize(to: UInt(count))
        allocations.append(buffer)
        allocations.append(UnsafeMutableRawPointer(length))
        if count > 0 { fill(buffer) }
        binds[i].buffer_type = type
        binds[i].buffer = buffer
        binds[i].buffer_length = UInt(count)
        binds[i].length = length
    }

    mutating func deallocate() {
        for pointer in allocations { pointer.deallocate() }
        allocations.removeAll()
    }
}

/// Output buffers for one result set, sized from the stored result's longest values.
private struct ResultBuffers {
    let columns: SQLColumns
    var binds: [MYSQL_BIND]
    private let kinds: [ColumnKind]
    private let buffers: [UnsafeMutableRawPointer]
    private let sizes: [Int]
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>
    private let errors: UnsafeMutablePointer<my_bool>

    init(fields: UnsafeMutablePointer<MYSQL_FIELD>, count: Int) {
        columns = SQLColumns((0..<count).map { String(cString: fields[$0].name) })
        kinds = (0..<count).map { ColumnKind(fields[$0]) }
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        nulls = .allocate(capacity: count)
        nulls.initialize(repeating: 0, count: count)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: 0, count: count)
        var binds = Array(repeating: MYSQL_BIND(), count: count)
        var buffers: [UnsafeMutableRawPointer] = []
        var sizes: [Int] = []
        for i in 0..<count {
            let size: Int
            switch kinds[i] {
            case .integer(let unsigned):
                binds[i].buffer_type = MYSQL_TYPE_LONGLONG
                binds[i].is_unsigned = unsigned ? 1 : 0
                size = 8
            case .double:
                binds[i].buffer_type = MYSQL_TYPE_DOUBLE
                size = 8
            case .blob, .bit, .null:
                binds[i].buffer_type = MYSQL_TYPE_BLOB
                size = Self.variableSize(fields[i])
            case .text:
                binds[i].buffer_type = MYSQL_TYPE_STRING
                size = Self.variableSize(fields[i])
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            buffers.append(buffer)
            sizes.append(size)
            binds[i].buffer = buffer
            binds[i].buffer_length = UInt(size)
            binds[i].length = lengths + i
            binds[i].is_null = nulls + i
            binds[i].error = errors + i
        }
        self.binds = binds
        self.buffers = buffers
        self.sizes = sizes
    }

    /// max_length is exact for strings and blobs; dates and decimals converted to text may need
    /// more than their binary size, hence the floor from the declared width (value() copes anyway).
    private static func variableSize(_ field: MYSQL_FIELD) -> Int {
        max(Int(field.max_length), min(Int(field.length), 256), 1) + 1
    }

    func value(_ i: Int, stmt: UnsafeMutablePointer<MYSQL_STMT>) throws -> SQLValue {
        if nulls[i] != 0 { return .null }
        switch kinds[i] {
        case .integer(let unsigned):
            let raw = buffers[i].load(as: Int64.self)
            if unsigned, raw < 0 { return .text(String(UInt64(bitPattern: raw))) }
            return .int(raw)
        case .double:
            return .double(buffers[i].load(as: Double.self))
        case .null:
            return .null
        case .text, .blob, .bit:
            let length = Int(lengths[i])
            if length <= sizes[i] {
                return decode(i, UnsafeRawBufferPointer(start: buffers[i], count: length))
            }
            // Longer than the buffer (MYSQL_DATA_TRUNCATED): fetch this column again, whole.
            let whole = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 8)
            defer { whole.deallocate() }
            var fetchedLength: UInt = 0
            var bind = MYSQL_BIND()
            bind.buffer_type = binds[i].buffer_type
            bind.buffer = whole
            bind.buffer_length = UInt(length)
            let failed = withUnsafeMutablePointer(to: &fetchedLength) { lengthPointer in
                bind.length = lengthPointer
                return mysql_stmt_fetch_column(stmt, &bind, UInt32(i), 0)
            }
            if failed != 0 {
                throw SQLError.engine(code: Int(mysql_stmt_errno(stmt)), message: String(cString: mysql_stmt_error(stmt)))
            }
            return decode(i, UnsafeRawBufferPointer(start: whole, count: min(Int(fetchedLength), length)))
        }
    }

    private func decode(_ i: Int, _ bytes: UnsafeRawBufferPointer) -> SQLValue {
        switch kinds[i] {
        case .blob: return .blob(Array(bytes))
        case .bit: return ColumnKind.bitValue(bytes)
        default: return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    mutating func deallocate() {
        for buffer in buffers { buffer.deallocate() }
        lengths.deallocate()
        nulls.deallocate()
        errors.deallocate()
    }
}

/// Passes an optional string to C as a NULL or NUL-terminated pointer.
private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
