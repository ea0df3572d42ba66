import Foundation
import Synchronization

/// Counters for the Prometheus text exposition at `/metrics`. Gauges that live in the database are read
/// at scrape time; only per-process counters are kept here.
public final class MetricsRegistry: Sendable {
    private let counters = Mutex<[String: Double]>([:])

    public init() {}

    /// Adds `by` to the counter `name{labels}`.
    public func increment(_ name: String, labels: [String: String] = [:], by: Double = 1) {
        let key = Self.key(name, labels)
        counters.withLock { $0[key, default: 0] += by }
    }

    /// Adds `by` to a counter whose key was made once with `key(_:_:)` (the hot paths: no label sorting per call).
    public func increment(key: String, by: Double = 1) {
        counters.withLock { $0[key, default: 0] += by }
    }

    static func escape(_ v: String) -> String {
        guard v.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return v }
        return v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// The counter key of `name{labels}`, for `increment(key:by:)`.
    public static func key(_ name: String, _ labels: [String: String]) -> String {
        if labels.isEmpty { return name }
        let l = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",")
        return "\(name){\(l)}"
    }

    /// Lines for every counter, grouped by metric name with one TYPE line each.
    public func render(help: [String: String] = [:]) -> String {
        let snapshot = counters.withLock { $0 }
        var byName: [String: [(String, Double)]] = [:]
        for (k, v) in snapshot {
            let name = k.split(separator: "{").first.map(String.init) ?? k
            byName[name, default: []].append((k, v))
        }
        var out = ""
        for name in byName.keys.sorted() {
            if let h = help[name] { out += "# HELP \(name) \(h)\n" }
            out += "# TYPE \(name) counter\n"
            for (k, v) in byName[name]!.sorted(by: { $0.0 < $1.0 }) { out += "\(k) \(Self.format(v))\n" }
        }
        return out
    }

    public static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
