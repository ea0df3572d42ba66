import Foundation

/// A condition in the automations' expression language: a small, safe boolean language over the
/// run's variables. Nothing in it can call code, loop or allocate without bound: the parser limits
/// the text's length, the nesting depth and the number of nodes, and evaluation is one walk of the tree.
///
///     payload.status = "down"
///     order.amount > 100
///     ticket.status = "Open" AND ticket.last_reply_age > 86400
///     NOT (payload.tags contains "test") OR payload.force = true
///
/// Operators: `=` (or `==`), `!=`, `<`, `<=`, `>`, `>=`, `contains`; `AND`, `OR`, `NOT` (keywords in any
/// case; AND binds tighter than OR), parentheses. Values: strings in double quotes (`\"` and `\\`
/// escapes), numbers, `true`, `false`, `null`, dotted paths (`steps.1.result.total`).
public indirect enum Condition: Sendable, Equatable {
    case literal(JSONValue)
    case path([String])
    case compare(Condition, CompareOp, Condition)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)

    public enum CompareOp: String, Sendable, Equatable {
        case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=", contains
    }

    public static let maxLength = 2000
    public static let maxDepth = 24
    public static let maxNodes = 200

    /// A mistake in a condition, with the 1-based character position it was found at.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public let position: Int
        public init(_ message: String, at position: Int) { self.message = message; self.position = position }
        public var description: String { "at position \(position): \(message)" }
    }

    /// Every path the condition reads (for the save-time check of variable roots).
    public var paths: [[String]] {
        switch self {
        case .literal: return []
        case .path(let p): return [p]
        case .compare(let a, _, let b), .and(let a, let b), .or(let a, let b): return a.paths + b.paths
        case .not(let a): return a.paths
        }
    }

    /// Parses `text`; an empty (or blank) text is nil: no condition, the automation always runs.
    public static func parse(_ text: String) throws(ParseError) -> Condition? {
        guard text.count <= maxLength else { throw ParseError("the condition is longer than \(maxLength) characters", at: maxLength + 1) }
        var p = ConditionParser(tokens: try ConditionLexer.tokens(text), end: text.count + 1)
        if p.tokens.isEmpty { return nil }
        let c = try p.expression(depth: 0)
        if let t = p.peek { throw ParseError("unexpected \(t.kind.label) after the end of the condition", at: t.position) }
        return c
    }
}

struct ConditionToken: Equatable {
    enum Kind: Equatable {
        case string(String), number(JSONValue), word(String), op(String), lparen, rparen
        var label: String {
            switch self {
            case .string(let s): return "\"\(s)\""
            case .number(let n): return n.encoded()
            case .word(let w): return "'\(w)'"
            case .op(let o): return "'\(o)'"
            case .lparen: return "'('"
            case .rparen: return "')'"
            }
        }
    }
    let kind: Kind
    /// 1-based character position.
    let position: Int
}

enum ConditionLexer {
    static func isWordChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "." || c == "-") }

    /// A sign starts a number only where a value may come (not after a value: `a -1` is not `a` then `-1`).
    static func expectsValue(after t: ConditionToken?) -> Bool {
        guard let t else { return true }
        switch t.kind {
        case .op, .lparen: return true
        case .word(let w): return ["and", "or", "not", "contains"].contains(w.lowercased())
        default: return false
        }
    }

    static func tokens(_ text: String) throws(Condition.ParseError) -> [ConditionToken] {
        let chars = Array(text)
        var out: [ConditionToken] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let pos = i + 1
            if c.isWhitespace { i += 1; continue }
            switch c {
            case "(": out.append(.init(kind: .lparen, position: pos)); i += 1
            case ")": out.append(.init(kind: .rparen, position: pos)); i += 1
            case "=":
                i += (i + 1 < chars.count && chars[i + 1] == "=") ? 2 : 1
                out.append(.init(kind: .op("="), position: pos))
            case "!":
                guard i + 1 < chars.count, chars[i + 1] == "=" else { throw .init("'!' must be followed by '=' (use NOT to negate)", at: pos) }
                out.append(.init(kind: .op("!="), position: pos)); i += 2
            case "<", ">":
                if i + 1 < chars.count, chars[i + 1] == "=" { out.append(.init(kind: .op("\(c)="), position: pos)); i += 2 }
                else if c == "<", i + 1 < chars.count, chars[i + 1] == ">" { out.append(.init(kind: .op("!="), position: pos)); i += 2 }
                else { out.append(.init(kind: .op(String(c)), position: pos)); i += 1 }
            case "\"", "'":
                let quote = c
                var s = ""
                var j = i + 1
                var closed = false
                while j < chars.count {
                    if chars[j] == "\\", j + 1 < chars.count { s.append(chars[j + 1]); j += 2; continue }
                    if chars[j] == quote { closed = true; break }
                    s.append(chars[j]); j += 1
                }
                guard closed else { throw .init("this string is never closed (a \(quote) is missing)", at: pos) }
                out.append(.init(kind: .string(s), position: pos)); i = j + 1
            default:
                if c.isNumber || ((c == "-" || c == "+") && i + 1 < chars.count && chars[i + 1].isNumber && expectsValue(after: out.last)) {
                    var j = i + 1
                    while j < chars.count, chars[j].isNumber || chars[j] == "." || chars[j] == "e" || chars[j] == "E" { j += 1 }
                    let raw = String(chars[i..<j])
                    if let n = Int64(raw) { out.append(.init(kind: .number(.int(n)), position: pos)) }
                    else if let d = Double(raw), d.isFinite { out.append(.init(kind: .number(.double(d)), position: pos)) }
                    else { throw .init("'\(raw)' is not a number", at: pos) }
                    i = j
                } else if isWordChar(c) {
                    var j = i
                    while j < chars.count, isWordChar(chars[j]) { j += 1 }
                    out.append(.init(kind: .word(String(chars[i..<j])), position: pos)); i = j
                } else {
                    throw .init("unexpected character '\(c)'", at: pos)
                }
            }
        }
        return out
    }
}

struct ConditionParser {
    let tokens: [ConditionToken]
    let end: Int
    var i = 0
    var nodes = 0

    init(tokens: [ConditionToken], end: Int) { self.tokens = tokens; self.end = end }

    var peek: ConditionToken? { i < tokens.count ? tokens[i] : nil }

    func isKeyword(_ t: ConditionToken?, _ k: String) -> Bool {
        if case .word(let w)? = t?.kind { return w.lowercased() == k }
        return false
    }

    mutating func node(_ at: Int) throws(Condition.ParseError) {
        nodes += 1
        if nodes > Condition.maxNodes { throw .init("the condition is too complex (more than \(Condition.maxNodes) parts)", at: at) }
    }

    mutating func expression(depth: Int) throws(Condition.ParseError) -> Condition {
        if depth > Condition.maxDepth { throw .init("the condition is nested too deeply (more than \(Condition.maxDepth) levels)", at: peek?.position ?? end) }
        var left = try conjunction(depth: depth)
        while isKeyword(peek, "or") {
            let at = tokens[i].position
            i += 1
            try node(at)
            left = .or(left, try conjunction(depth: depth))
        }
        return left
    }

    mutating func conjunction(depth: Int) throws(Condition.ParseError) -> Condition {
        var left = try negation(depth: depth)
        while isKeyword(peek, "and") {
            let at = tokens[i].position
            i += 1
            try node(at)
            left = .and(left, try negation(depth: depth))
        }
        return left
    }

    mutating func negation(depth: Int) throws(Condition.ParseError) -> Condition {
        if isKeyword(peek, "not") {
            let at = tokens[i].position
            i += 1
            try node(at)
            if depth + 1 > Condition.maxDepth { throw .init("the condition is nested too deeply (more than \(Condition.maxDepth) levels)", at: at) }
            return .not(try negation(depth: depth + 1))
        }
        return try comparison(depth: depth)
    }

    mutating func comparison(depth: Int) throws(Condition.ParseError) -> Condition {
        let left = try operand(depth: depth)
        var op: Condition.CompareOp? = nil
        let at = peek?.position ?? end
        if case .op(let o)? = peek?.kind { op = Condition.CompareOp(rawValue: o) }
        else if isKeyword(peek, "contains") { op = .contains }
        guard let op else { return left }
        i += 1
        try node(at)
        let right = try operand(depth: depth)
        if [.lt, .le, .gt, .ge].contains(op) {
            for side in [left, right] {
                if case .literal(let v) = side, !Self.orderable(v) {
                    throw .init("'\(op.rawValue)' compares numbers or strings, not \(v.encoded())", at: at)
                }
            }
        }
        if case .literal(let v) = left, op == .contains, !Self.isText(v) {
            throw .init("'contains' needs a text or a list on its left, not \(v.encoded())", at: at)
        }
        return .compare(left, op, right)
    }

    static func orderable(_ v: JSONValue) -> Bool {
        switch v { case .int, .double, .string: return true; default: return false }
    }
    static func isText(_ v: JSONValue) -> Bool { if case .string = v { return true }; return false }

    mutating func operand(depth: Int) throws(Condition.ParseError) -> Condition {
        guard let t = peek else { throw .init("the condition ends where a value was expected", at: end) }
        try node(t.position)
        i += 1
        switch t.kind {
        case .lparen:
            if depth + 1 > Condition.maxDepth { throw .init("the condition is nested too deeply (more than \(Condition.maxDepth) levels)", at: t.position) }
            let inner = try expression(depth: depth + 1)
            guard case .rparen? = peek?.kind else { throw .init("a ')' is missing to close the '(' at position \(t.position)", at: peek?.position ?? end) }
            i += 1
            return inner
        case .string(let s): return .literal(.string(s))
        case .number(let n): return .literal(n)
        case .word(let w):
            switch w.lowercased() {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "null": return .literal(.null)
            case "and", "or", "not", "contains": throw .init("'\(w)' needs a value before it", at: t.position)
            default:
                let parts = w.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard let first = parts.first?.first, first.isLetter || first == "_", !parts.contains(where: \.isEmpty) else {
                    throw .init("'\(w)' is not a variable path (write names joined by dots, e.g. payload.status)", at: t.position)
                }
                return .path(parts)
            }
        case .rparen: throw .init("unexpected ')': a value was expected", at: t.position)
        case .op(let o): throw .init("unexpected '\(o)': a value was expected before it", at: t.position)
        }
    }
}
