import CSQLite
import Foundation
import Ports

/// SQLite's "copy this buffer now" destructor, which the C macro SQLITE_TRANSIENT spells as -1.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One sqlite3 handle with a prepared-statement cache. Not thread-safe: the owner guarantees exclusive use.
/// No sqlite3 type leaves this file.
final class SQLiteHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    private var cache: [String: OpaquePointer] = [:]
    private var cacheOrder: [String] = []
    private let cacheLimit = 128
    let readOnly: Bool

    init(path: String, readOnly: Bool, busyTimeoutMillis: Int32) throws {
        self.readOnly = readOnly
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            throw SQLError.unavailable(message: "SQLite \(path): \(msg)")
        }
        db = handle
        sqlite3_busy_timeout(handle, busyTimeoutMillis)
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { close() }

    func close() {
        for (_, stmt) in cache { sqlite3_finalize(stmt) }
        cache.removeAll()
        cacheOrder.removeAll()
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    private func error(_ rc: Int32, sql: String) -> SQLError {
        let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "closed"
        switch rc {
        case 2067 /* SQLITE_CONSTRAINT_UNIQUE */, 1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */:
            return .uniqueViolation(message: msg)
        case SQLITE_BUSY, SQLITE_LOCKED, 517 /* BUSY_SNAPSHOT */, 261 /* BUSY_RECOVERY */:
            return .retryable(message: msg)
        case SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_NOTADB, SQLITE_CORRUPT:
            return .unavailable(message: msg)
        default:
            if rc & 0xff == SQLITE_IOERR || rc & 0xff == SQLITE_CANTOPEN { return .unavailable(message: msg) }
            return .engine(code: Int(rc), message: msg)
        }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        guard let db else { throw SQLError.unavailable(message: "SQLite connection closed") }
        if let stmt = cache[sql] { return stmt }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql: sql) }
        cache[sql] = stmt
        cacheOrder.append(sql)
        if cacheOrder.count > cacheLimit {
            let old = cacheOrder.removeFirst()
            if let s = cache.removeValue(forKey: old) { sqlite3_finalize(s) }
        }
        return stmt
    }

    private func bind(_ stmt: OpaquePointer, _ binds: [SQLValue], sql: String) throws {
        let expected = Int(sqlite3_bind_parameter_count(stmt))
        guard expected == binds.count else {
            throw SQLError.engine(code: 25, message: "statement expects \(expected) bound values, got \(binds.count)")
        }
        for (i, value) in binds.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(stmt, idx)
            case .int(let v): rc = sqlite3_bind_int64(stmt, idx, v)
            case .double(let d): rc = sqlite3_bind_double(stmt, idx, d)
            case .text(let s): rc = sqlite3_bind_text(stmt, idx, s, -1, transient)
            case .blob(let b):
                rc = b.withUnsafeBytes { raw in sqlite3_bind_blob64(stmt, idx, raw.baseAddress, sqlite3_uint64(raw.count), transient) }
            }
            guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) throws -> SQLExecResult {
        let stmt = try prepare(sql)
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        try bind(stmt, binds, sql: sql)
        var rc = sqlite3_step(stmt)
        while rc == SQLITE_ROW { rc = sqlite3_step(stmt) }
        guard rc == SQLITE_DONE else { throw error(rc, sql: sql) }
        return SQLExecResult(affectedRows: Int(sqlite3_changes64(db)), lastInsertID: sqlite3_last_insert_rowid(db))
    }

    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        let stmt = try prepare(sql)
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        try bind(stmt, binds, sql: sql)
        let n = sqlite3_column_count(stmt)
        let columns = SQLColumns((0..<n).map { String(cString: sqlite3_column_name(stmt, $0)) })
        var rows: [SQLRow] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql: sql) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(n))
            for i in 0..<n {
                switch sqlite3_column_type(stmt, i) {
                case SQLITE_INTEGER: values.append(.int(sqlite3_column_int64(stmt, i)))
                case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(stmt, i)))
                case SQLITE_TEXT:
                    let len = Int(sqlite3_column_bytes(stmt, i))
                    if let p = sqlite3_column_text(stmt, i) {
                        values.append(.text(String(decoding: UnsafeBufferPointer(start: p, count: len), as: UTF8.self)))
                    } else {
                        values.append(.text(""))
                    }
                case SQLITE_BLOB:
                    let len = Int(sqlite3_column_bytes(stmt, i))
                    if let p = sqlite3_column_blob(stmt, i) {
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: len))))
                    } else {
                        values.append(.blob([]))
                    }
                default: values.append(.null)
                }
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }
}
