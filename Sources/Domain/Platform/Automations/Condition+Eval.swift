import Foundation

extension Condition {
    /// Looks a dotted path up in the variables: object keys, and array indexes given as numbers
    /// (`steps.1` is the first step: the list is 1-based as people count steps). Missing parts are nil.
    public static func resolve(_ path: [String], in vars: JSONValue) -> JSONValue? {
        var cur: JSONValue? = vars
        for part in path {
            switch cur {
            case .object(let o)?: cur = o[part]
            case .array(let a)?:
                guard let n = Int(part), n >= 1, n <= a.count else { return nil }
                cur = a[n - 1]
            default: return nil
            }
        }
        return cur
    }

    /// Whether the condition holds for `vars`. A missing path is `null`; comparing values of different
    /// kinds is false (never an error), except that a number and a numeric text compare as numbers.
    public func evaluate(_ vars: JSONValue) -> Bool {
        switch self {
        case .and(let a, let b): return a.evaluate(vars) && b.evaluate(vars)
        case .or(let a, let b): return a.evaluate(vars) || b.evaluate(vars)
        case .not(let a): return !a.evaluate(vars)
        case .literal(let v): return Self.truthy(v)
        case .path(let p): return Self.truthy(Self.resolve(p, in: vars) ?? .null)
        case .compare(let l, let op, let r):
            let a = l.value(vars), b = r.value(vars)
            switch op {
            case .eq: return Self.equal(a, b)
            case .ne: return !Self.equal(a, b)
            case .contains: return Self.contains(a, b)
            case .lt, .le, .gt, .ge:
                guard let c = Self.order(a, b) else { return false }
                switch op {
                case .lt: return c < 0
                case .le: return c <= 0
                case .gt: return c > 0
                default: return c >= 0
                }
            }
        }
    }

    func value(_ vars: JSONValue) -> JSONValue {
        switch self {
        case .literal(let v): return v
        case .path(let p): return Self.resolve(p, in: vars) ?? .null
        default: return .bool(evaluate(vars))
        }
    }

    static func truthy(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// A number, or a text that is exactly a number (form fields and query strings arrive as text).
    static func numeric(_ v: JSONValue) -> Double? {
        if let n = number(v) { return n }
        if case .string(let s) = v, let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite { return d }
        return nil
    }

    /// Texts compare without regard to case (`"Open"` equals `open`), so recipes read as people write them.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x.caseInsensitiveCompare(y) == .orderedSame
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object, .object): return a == b
        default:
            if number(a) != nil || number(b) != nil, let x = numeric(a), let y = numeric(b) { return x == y }
            return false
        }
    }

    /// -1, 0 or 1; nil when the two cannot be ordered (null, booleans, different kinds).
    static func order(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if case .string(let x) = a, case .string(let y) = b {
            switch x.caseInsensitiveCompare(y) {
            case .orderedAscending: return -1
            case .orderedSame: return 0
            case .orderedDescending: return 1
            }
        }
        guard number(a) != nil || number(b) != nil, let x = numeric(a), let y = numeric(b) else { return nil }
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    static func contains(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch a {
        case .string(let s):
            let needle: String
            switch b {
            case .string(let n): needle = n
            case .int, .double: needle = b.encoded()
            default: return false
            }
            return s.range(of: needle, options: .caseInsensitive) != nil
        case .array(let items): return items.contains { equal($0, b) }
        default: return false
        }
    }
}
