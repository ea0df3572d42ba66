import Foundation

/// `{{payload.hostname}}`-style templates in an automation step's parameters. The `{{ … }}` syntax is
/// the one `TemplateVariables` reads (same scanner), with dotted paths into the run's variables. A
/// text that is exactly one variable takes that value as it is (a number stays a number, an object
/// an object); variables inside longer text are written as text (objects and lists as JSON).
public enum AutomationTemplate {
    /// Every variable path used anywhere in `value`, in order.
    public static func paths(in value: JSONValue) -> [String] {
        switch value {
        case .string(let s): return TemplateVariables.occurrences(in: s).map(\.name)
        case .array(let a): return a.flatMap { paths(in: $0) }
        case .object(let o): return o.keys.sorted().flatMap { paths(in: o[$0]!) }
        default: return []
        }
    }

    public static func render(_ value: JSONValue, _ vars: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return render(string: s, vars)
        case .array(let a): return .array(a.map { render($0, vars) })
        case .object(let o): return .object(o.mapValues { render($0, vars) })
        default: return value
        }
    }

    static func render(string s: String, _ vars: JSONValue) -> JSONValue {
        let found = TemplateVariables.occurrences(in: s)
        if found.count == 1, found[0].range == s.startIndex..<s.endIndex {
            return Condition.resolve(path(found[0].name), in: vars) ?? .null
        }
        var out = ""
        var last = s.startIndex
        for o in found {
            out += s[last..<o.range.lowerBound]
            out += text(Condition.resolve(path(o.name), in: vars) ?? .null)
            last = o.range.upperBound
        }
        out += s[last...]
        return .string(out)
    }

    static func path(_ name: String) -> [String] { name.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    /// How a value reads inside text: texts as they are, null as nothing, numbers and the rest as JSON.
    public static func text(_ v: JSONValue) -> String {
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return String(Int64(d))
        default: return v.encoded()
        }
    }
}
