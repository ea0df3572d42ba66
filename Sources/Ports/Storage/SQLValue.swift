import Foundation

/// A value bound to, or read from, a SQL statement. Values are always bound, never spliced.
public enum SQLValue: Sendable, Hashable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])

    public init(_ v: Int) { self = .int(Int64(v)) }
    public init(_ v: Int64) { self = .int(v) }
    public init(_ v: String) { self = .text(v) }
    public init(_ v: Bool) { self = .int(v ? 1 : 0) }
    public init(_ v: Double) { self = .double(v) }
    /// Timestamps are stored as integer milliseconds since 1970 (UTC) on both engines.
    public init(_ v: Date) { self = .int(v.epochMillis) }
    public init(_ v: String?) { self = v.map { .text($0) } ?? .null }
    public init(_ v: Int64?) { self = v.map { .int($0) } ?? .null }
    public init(_ v: Int?) { self = v.map { .int(Int64($0)) } ?? .null }
    public init(_ v: Date?) { self = v.map { .int($0.epochMillis) } ?? .null }

    public var isNull: Bool { if case .null = self { return true } else { return false } }
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral, ExpressibleByBooleanLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .int(value ? 1 : 0) }
}

extension Date {
    /// Milliseconds since 1970-01-01T00:00:00Z, the storage form of every timestamp.
    public var epochMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    public init(epochMillis: Int64) { self.init(timeIntervalSince1970: Double(epochMillis) / 1000) }
}
