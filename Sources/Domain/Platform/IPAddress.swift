/// An IPv4 or IPv6 address as 16 bytes (IPv4 as ::ffff:a.b.c.d), parsed without the C library so the
/// domain stays pure. Used for trusted proxies, the blocklist and anonymisation.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let isV4: Bool

    public init?(_ text: String) {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("[") && t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        if let pct = t.firstIndex(of: "%") { t = String(t[..<pct]) }  // zone id
        if let v4 = Self.parseV4(t) {
            bytes = Array(repeating: 0, count: 10) + [0xff, 0xff] + v4
            isV4 = true
        } else if let v6 = Self.parseV6(t) {
            bytes = v6
            isV4 = v6[0..<12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        } else {
            return nil
        }
    }

    static func parseV4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), p.allSatisfy(\.isNumber), let v = UInt8(p) else { return nil }
            guard !(p.count > 1 && p.first == "0") else { return nil }  // no octal-looking parts
            out.append(v)
        }
        return out
    }

    static func parseV6(_ s: String) -> [UInt8]? {
        guard s.contains(":") else { return nil }
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            for (i, g) in items.enumerated() {
                if i == items.count - 1, g.contains("."), let v4 = parseV4(g) {
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    public var description: String {
        if isV4 { return bytes[12...].map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }
}

/// A network such as 10.0.0.0/8 or 2001:db8::/32 (a bare address is a /32 or /128).
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    /// Prefix length over the 128-bit form (an IPv4 /24 is stored as /120).
    public let prefix: Int
    public let text: String

    public init?(_ raw: String) {
        let s = raw.trimmingCharacters(in: .whitespaces)
        let parts = s.split(separator: "/", maxSplits: 1).map(String.init)
        guard let ip = IPAddress(parts[0]) else { return nil }
        var p = ip.isV4 ? 32 : 128
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0, n <= p else { return nil }
            p = n
        }
        network = ip
        prefix = ip.isV4 ? p + 96 : p
        text = parts.count == 2 ? s : (ip.isV4 ? "\(ip)/32" : "\(ip)/128")
    }

    public var description: String { text }

    public func contains(_ ip: IPAddress) -> Bool {
        var bits = prefix
        for i in 0..<16 {
            if bits <= 0 { return true }
            let mask: UInt8 = bits >= 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - bits))  // e.g. /10: 0b1100_0000
            if network.bytes[i] & mask != ip.bytes[i] & mask { return false }
            bits -= 8
        }
        return true
    }
}
