import Foundation

/// An `application/x-www-form-urlencoded` body. Repeated keys keep their first value.
struct FormData {
    private(set) var values: [String: String] = [:]
    private(set) var all: [String: [String]] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(String(kv[0]))
            let value = kv.count > 1 ? Self.decode(String(kv[1])) : ""
            if values[key] == nil { values[key] = value }
            all[key, default: []].append(value)
        }
    }

    /// The text fields of a multipart form.
    init(fields: [(String, String)]) {
        for (k, v) in fields {
            if values[k] == nil { values[k] = v }
            all[k, default: []].append(v)
        }
    }

    /// Every value of a repeated field (checkbox groups).
    func list(_ key: String) -> [String] { all[key] ?? [] }

    static func decode(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
    }

    subscript(_ key: String) -> String { values[key] ?? "" }
}
