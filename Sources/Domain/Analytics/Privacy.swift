import Foundation

/// Truncates visitor IP addresses before anything is stored: an IPv4 address keeps its /24,
/// an IPv6 address its /48 (the usual size of one site's allocation, so no single host is identified).
public enum IPAnonymizer {
    /// "203.0.113.77" → "203.0.113.0"; "2001:db8:85a3:8d3:1319:8a2e:370:7348" → "2001:db8:85a3::".
    /// IPv4-mapped IPv6 ("::ffff:203.0.113.77") is treated as the IPv4 address it carries.
    /// Anything that is not an IP address gives "" so that nothing identifying is stored by mistake.
    public static func anonymize(_ ip: String) -> String {
        guard let address = IPAddress(ip) else { return "" }
        if address.isV4 {
            return address.bytes[12..<15].map(String.init).joined(separator: ".") + ".0"
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<3 { groups[i] = UInt16(address.bytes[2 * i]) << 8 | UInt16(address.bytes[2 * i + 1]) }
        return compressed(groups)
    }

    /// RFC 5952 text: lower-case hex without leading zeros, the longest run (two or more) of zero
    /// groups replaced by "::", the first such run on a tie.
    static func compressed(_ groups: [UInt16]) -> String {
        var best = (start: -1, length: 0)
        var i = 0
        while i < groups.count {
            guard groups[i] == 0 else { i += 1; continue }
            var j = i
            while j < groups.count && groups[j] == 0 { j += 1 }
            if j - i > best.length { best = (i, j - i) }
            i = j
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// Glob patterns for pages excluded from tracking, such as "/admin/*", "*/checkout" or "/blog/*/draft".
public enum PagePattern {
    /// True when `path` (its query string and fragment ignored) matches `pattern`. The only
    /// wildcard is "*", which matches any run of characters including "/" and the empty run;
    /// everything else, case included, must match exactly. An empty pattern matches nothing.
    public static func matches(_ pattern: String, path: String) -> Bool {
        let p = Array(pattern.trimmingCharacters(in: .whitespaces).utf8)
        guard !p.isEmpty else { return false }
        let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? path.endIndex
        let s = Array(path[..<cut].utf8)
        let star = UInt8(ascii: "*")

        // Greedy matching with backtracking to the last "*": linear in practice, no recursion.
        var pi = 0, si = 0
        var lastStar = -1, resumeAt = 0
        while si < s.count {
            if pi < p.count && p[pi] == star {
                lastStar = pi; resumeAt = si; pi += 1
            } else if pi < p.count && p[pi] == s[si] {
                pi += 1; si += 1
            } else if lastStar >= 0 {
                pi = lastStar + 1; resumeAt += 1; si = resumeAt
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == star { pi += 1 }
        return pi == p.count
    }
}
