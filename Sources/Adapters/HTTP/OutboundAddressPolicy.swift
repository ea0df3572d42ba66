import Foundation

/// An IP address as 16 bytes, IPv4 held as `::ffff:a.b.c.d`. The SSRF guard's own type: adapters
/// do not import the domain, and this one also reads the legacy IPv4 spellings libc accepts.
public struct OutboundIP: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(v4: [UInt8]) { bytes = Array(repeating: 0, count: 10) + [0xff, 0xff] + v4 }
    public init(v6: [UInt8]) { bytes = v6 }

    /// True for `::ffff:a.b.c.d` (how IPv4 is held).
    public var isV4: Bool { bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff }
    public var v4: [UInt8] { Array(bytes[12..<16]) }

    /// Text curl and getaddrinfo accept: dotted quad, or full IPv6 groups (no brackets).
    public var description: String {
        if isV4 { return v4.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }

    /// Parses a host as written in a URL: a bracketed or bare IPv6 literal, or IPv4 in any spelling
    /// `inet_aton` takes (`127.0.0.1`, `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`). Nil for names.
    public static func literal(_ host: String) -> OutboundIP? {
        var h = host
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h.contains(":") {
            if let pct = h.firstIndex(of: "%") { h = String(h[..<pct]) }
            var out = [UInt8](repeating: 0, count: 16)
            guard inet_pton(AF_INET6, h, &out) == 1 else { return nil }
            return OutboundIP(v6: out)
        }
        return legacyV4(h).map { OutboundIP(v4: $0) }
    }

    /// True when `host` looks like an attempt at a numeric IPv4 address (digits, dots, `0x`), so a
    /// spelling we cannot read is refused instead of being handed to a resolver that might read it.
    public static func looksNumeric(_ host: String) -> Bool {
        guard let first = host.first, first.isNumber else { return false }
        return host.allSatisfy { $0.isHexDigit || $0 == "." || $0 == "x" || $0 == "X" }
            && host.split(separator: ".").last.map { $0.first?.isNumber == true } == true
    }

    /// inet_aton's reading: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the last
    /// part fills the remaining bytes.
    static func legacyV4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for p in parts {
            var digits = Substring(p)
            var radix = 10
            if digits.lowercased().hasPrefix("0x") { radix = 16; digits = digits.dropFirst(2) }
            else if digits.count > 1 && digits.hasPrefix("0") { radix = 8; digits = digits.dropFirst() }
            guard !digits.isEmpty || radix == 16, digits.count <= 12 else { return nil }
            guard let v = digits.isEmpty ? 0 : UInt64(digits, radix: radix) else { return nil }
            values.append(v)
        }
        let lastBits = 8 * (5 - values.count)
        guard values.dropLast().allSatisfy({ $0 <= 0xff }), let last = values.last, last < (UInt64(1) << UInt64(lastBits)) else { return nil }
        var n: UInt64 = 0
        for v in values.dropLast() { n = n << 8 | v }
        n = n << UInt64(lastBits) | last
        return [UInt8(n >> 24 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
    }
}

/// A network (10.0.0.0/8, fd00::/8); prefix over the 128-bit form.
public struct OutboundNetwork: Sendable, Hashable, CustomStringConvertible {
    public let network: OutboundIP
    public let prefix: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let ip = OutboundIP.literal(first),
              first.contains(":") || IPv4Dotted.isCanonical(first) else { return nil }
        let width = ip.isV4 ? 32 : 128
        var p = width
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...width).contains(n) else { return nil }
            p = n
        }
        network = ip
        prefix = ip.isV4 ? p + 96 : p
        description = parts.count == 2 ? text : "\(ip)/\(width)"
    }

    init(v4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ bits: Int) {
        network = OutboundIP(v4: [a, b, c, d]); prefix = bits + 96; description = "\(a).\(b).\(c).\(d)/\(bits)"
    }

    init(v6 bytes: [UInt8], _ bits: Int, _ text: String) {
        network = OutboundIP(v6: bytes + Array(repeating: 0, count: 16 - bytes.count)); prefix = bits; description = text
    }

    public func contains(_ ip: OutboundIP) -> Bool {
        var bits = prefix
        for i in 0..<16 {
            if bits <= 0 { return true }
            let mask: UInt8 = bits >= 8 ? 0xff : ~(UInt8.max >> UInt8(bits))
            if network.bytes[i] & mask != ip.bytes[i] & mask { return false }
            bits -= 8
        }
        return true
    }
}

enum IPv4Dotted {
    /// Four plain decimal parts, as operators write CIDRs.
    static func isCanonical(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) && UInt8($0) != nil }
    }
}

/// The SSRF rules: which addresses outbound requests may reach, and whether plain HTTP is allowed.
/// Operators open holes with `allow` (CIDRs, addresses, host names, `*.suffix` names).
public struct OutboundAddressPolicy: Sendable, Equatable {
    public var allowedNetworks: [OutboundNetwork]
    /// Lower-cased names; an entry starting with `*.` matches any name under it.
    public var allowedHosts: [String]
    public var allowHTTP: Bool

    public init(allowedNetworks: [OutboundNetwork] = [], allowedHosts: [String] = [], allowHTTP: Bool = false) {
        self.allowedNetworks = allowedNetworks; self.allowedHosts = allowedHosts; self.allowHTTP = allowHTTP
    }

    /// Reads `OPSIQ_OUTBOUND_ALLOW`-style text: comma-separated CIDRs, addresses and host names.
    /// Throws a message naming the entry that is neither.
    public static func parse(allow: String, allowHTTP: Bool) throws(OutboundHTTPPolicyError) -> OutboundAddressPolicy {
        var policy = OutboundAddressPolicy(allowHTTP: allowHTTP)
        for raw in allow.split(separator: ",") {
            let item = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if item.isEmpty { continue }
            if let n = OutboundNetwork(item) {
                policy.allowedNetworks.append(n)
            } else if Self.isHostName(item.hasPrefix("*.") ? String(item.dropFirst(2)) : item), !OutboundIP.looksNumeric(item) {
                policy.allowedHosts.append(item)
            } else {
                throw OutboundHTTPPolicyError(entry: item)
            }
        }
        return policy
    }

    static func isHostName(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" }
        }
    }

    public func hostIsAllowed(_ host: String) -> Bool {
        let h = host.lowercased()
        return allowedHosts.contains { entry in
            entry.hasPrefix("*.") ? h.hasSuffix(entry.dropFirst(1)) : h == entry
        }
    }

    /// Why `ip` may not be reached from `host`, or nil when it may.
    public func refusal(for ip: OutboundIP, host: String) -> String? {
        guard let reason = Self.blockedReason(ip) else { return nil }
        // Nothing can be reached at these, whatever the allow-list says.
        if reason.hasPrefix("unspecified") || reason.hasPrefix("multicast") || reason.hasPrefix("broadcast") { return reason }
        if hostIsAllowed(host) { return nil }
        if allowedNetworks.contains(where: { $0.contains(ip) }) { return nil }
        if let inner = Self.embeddedV4(ip), allowedNetworks.contains(where: { $0.contains(inner) }) { return nil }
        return reason
    }

    static let blockedV4: [(OutboundNetwork, String)] = [
        (OutboundNetwork(v4: 0, 0, 0, 0, 8), "unspecified (0.0.0.0/8)"),
        (OutboundNetwork(v4: 10, 0, 0, 0, 8), "private (10.0.0.0/8)"),
        (OutboundNetwork(v4: 100, 64, 0, 0, 10), "carrier-grade NAT (100.64.0.0/10)"),
        (OutboundNetwork(v4: 127, 0, 0, 0, 8), "loopback (127.0.0.0/8)"),
        (OutboundNetwork(v4: 169, 254, 0, 0, 16), "link-local and cloud metadata (169.254.0.0/16)"),
        (OutboundNetwork(v4: 172, 16, 0, 0, 12), "private (172.16.0.0/12)"),
        (OutboundNetwork(v4: 192, 0, 0, 0, 24), "IETF protocol assignments (192.0.0.0/24)"),
        (OutboundNetwork(v4: 192, 0, 2, 0, 24), "documentation (192.0.2.0/24)"),
        (OutboundNetwork(v4: 192, 88, 99, 0, 24), "6to4 relay anycast (192.88.99.0/24)"),
        (OutboundNetwork(v4: 192, 168, 0, 0, 16), "private (192.168.0.0/16)"),
        (OutboundNetwork(v4: 198, 18, 0, 0, 15), "benchmarking (198.18.0.0/15)"),
        (OutboundNetwork(v4: 198, 51, 100, 0, 24), "documentation (198.51.100.0/24)"),
        (OutboundNetwork(v4: 203, 0, 113, 0, 24), "documentation (203.0.113.0/24)"),
        (OutboundNetwork(v4: 224, 0, 0, 0, 4), "multicast (224.0.0.0/4)"),
        (OutboundNetwork(v4: 255, 255, 255, 255, 32), "broadcast (255.255.255.255)"),
        (OutboundNetwork(v4: 240, 0, 0, 0, 4), "reserved (240.0.0.0/4)"),
    ]

    static let blockedV6: [(OutboundNetwork, String)] = [
        (OutboundNetwork(v6: [], 128, "::/128"), "unspecified (::)"),
        (OutboundNetwork(v6: Array(repeating: 0, count: 15) + [1], 128, "::1/128"), "loopback (::1)"),
        (OutboundNetwork(v6: [0xfe, 0x80], 10, "fe80::/10"), "link-local (fe80::/10)"),
        (OutboundNetwork(v6: [0xfe, 0xc0], 10, "fec0::/10"), "site-local (fec0::/10)"),
        (OutboundNetwork(v6: [0xfc], 7, "fc00::/7"), "unique-local (fc00::/7)"),
        (OutboundNetwork(v6: [0xff], 8, "ff00::/8"), "multicast (ff00::/8)"),
        (OutboundNetwork(v6: [0x01, 0, 0, 0, 0, 0, 0, 0], 64, "100::/64"), "discard-only (100::/64)"),
        (OutboundNetwork(v6: [0x20, 0x01, 0x0d, 0xb8], 32, "2001:db8::/32"), "documentation (2001:db8::/32)"),
        (OutboundNetwork(v6: [0x20, 0x01, 0x00, 0x02, 0, 0], 48, "2001:2::/48"), "benchmarking (2001:2::/48)"),
        (OutboundNetwork(v6: [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, "64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"),
    ]

    /// An IPv4 address carried inside an IPv6 one: mapped (::ffff:0:0/96), compatible (::/96),
    /// NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo's client (2001::/32, inverted).
    static func embeddedV4(_ ip: OutboundIP) -> OutboundIP? {
        let b = ip.bytes
        if ip.isV4 { return nil }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return OutboundIP(v4: Array(b[12..<16])) }
        if b[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] { return OutboundIP(v4: Array(b[12..<16])) }
        if b[0] == 0x20 && b[1] == 0x02 { return OutboundIP(v4: Array(b[2..<6])) }
        if b[0..<4] == [0x20, 0x01, 0x00, 0x00] { return OutboundIP(v4: b[12..<16].map { $0 ^ 0xff }) }
        return nil
    }

    /// Why an address is never a public endpoint, or nil for a public one.
    public static func blockedReason(_ ip: OutboundIP) -> String? {
        if ip.isV4 { return blockedV4.first { $0.0.contains(ip) }?.1 }
        if let hit = blockedV6.first(where: { $0.0.contains(ip) }) { return hit.1 }
        if let inner = embeddedV4(ip), let reason = blockedV4.first(where: { $0.0.contains(inner) })?.1 {
            return "IPv6 form of \(inner): \(reason)"
        }
        return nil
    }
}

/// An `OPSIQ_OUTBOUND_ALLOW` entry that is neither a network nor a host name.
public struct OutboundHTTPPolicyError: Error, Sendable, CustomStringConvertible {
    public let entry: String
    public var description: String {
        "'\(entry)' is not a CIDR range, IP address or host name (e.g. 10.0.0.0/8, 192.168.1.20, hooks.internal, *.corp.example)"
    }
}
