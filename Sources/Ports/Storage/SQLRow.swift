import Foundation

/// Column names of one result set, shared by all its rows.
public final class SQLColumns: Sendable {
    public let names: [String]
    private let index: [String: Int]
    public init(_ names: [String]) {
        self.names = names
        var idx: [String: Int] = [:]
        for (i, n) in names.enumerated() where idx[n] == nil { idx[n] = i }
        self.index = idx
    }
    public func position(of name: String) -> Int? { index[name] }
}

/// One decoded row. Accessors throw `SQLError.decoding` naming the column when the type is wrong.
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ name: String) -> SQLValue {
        guard let i = columns.position(of: name) else { return .null }
        return values[i]
    }

    public func has(_ name: String) -> Bool { columns.position(of: name) != nil }

    public func optionalInt(_ name: String) throws -> Int64? {
        switch self[name] {
        case .null: return nil
        case .int(let v): return v
        case .double(let d): return Int64(d)
        case .text(let s):
            if let v = Int64(s) { return v }
            throw SQLError.decoding(column: name, expected: "integer")
        case .blob(let b):
            if let v = Int64(String(decoding: b, as: UTF8.self)) { return v }
            throw SQLError.decoding(column: name, expected: "integer")
        }
    }

    public func int(_ name: String) throws -> Int64 {
        guard let v = try optionalInt(name) else { throw SQLError.decoding(column: name, expected: "integer, got NULL") }
        return v
    }

    public func optionalString(_ name: String) throws -> String? {
        switch self[name] {
        case .null: return nil
        case .text(let s): return s
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        case .int(let v): return String(v)
        case .double(let d): return String(d)
        }
    }

    public func string(_ name: String) throws -> String {
        guard let v = try optionalString(name) else { throw SQLError.decoding(column: name, expected: "text, got NULL") }
        return v
    }

    public func optionalDouble(_ name: String) throws -> Double? {
        switch self[name] {
        case .null: return nil
        case .double(let d): return d
        case .int(let v): return Double(v)
        case .text(let s):
            if let d = Double(s) { return d }
            throw SQLError.decoding(column: name, expected: "number")
        case .blob: throw SQLError.decoding(column: name, expected: "number")
        }
    }

    public func double(_ name: String) throws -> Double {
        guard let v = try optionalDouble(name) else { throw SQLError.decoding(column: name, expected: "number, got NULL") }
        return v
    }

    public func bool(_ name: String) throws -> Bool { try int(name) != 0 }

    public func optionalDate(_ name: String) throws -> Date? { try optionalInt(name).map { Date(epochMillis: $0) } }
    public func date(_ name: String) throws -> Date { Date(epochMillis: try int(name)) }

    public func blob(_ name: String) throws -> [UInt8] {
        switch self[name] {
        case .blob(let b): return b
        case .text(let s): return Array(s.utf8)
        case .null: throw SQLError.decoding(column: name, expected: "blob, got NULL")
        default: throw SQLError.decoding(column: name, expected: "blob")
        }
    }
}
