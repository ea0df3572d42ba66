import CGeoIP
import Foundation

/// The one wrapper around a libGeoIP `GeoIP*`: opened fully into memory (GEOIP_MEMORY_CACHE, so lookups
/// never touch the disk) and silenced (errors come back as nil, not as lines on stderr).
///
/// libGeoIP documents no guarantee for concurrent lookups on one handle, and every lookup writes the
/// handle's "last netmask" field (`gi->netmask` in `_GeoIP_seek_record_gl`), so lookups are serialised
/// with a lock. They take microseconds in memory, so the lock is never held for long.
final class GeoIPHandle: @unchecked Sendable {
    private let gi: UnsafeMutablePointer<GeoIP>
    private let lock = NSLock()
    let path: String
    /// The database edition (GEOIP_COUNTRY_EDITION, GEOIP_CITY_EDITION_REV1, ...).
    let edition: Int

    /// Opens `path`; nil when libGeoIP cannot read it as a GeoIP Legacy database.
    init?(path: String, utf8: Bool = false) {
        let flags = Int32(GEOIP_MEMORY_CACHE.rawValue | GEOIP_SILENCE.rawValue)
        guard let g = GeoIP_open(path, flags) else { return nil }
        gi = g
        self.path = path
        edition = Int(GeoIP_database_edition(g))
        // City names are stored in ISO-8859-1; libGeoIP converts them when asked.
        if utf8 { _ = GeoIP_set_charset(g, Int32(GEOIP_CHARSET_UTF8.rawValue)) }
    }

    deinit { GeoIP_delete(gi) }

    func withLock<T>(_ body: (UnsafeMutablePointer<GeoIP>) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(gi)
    }

    /// The edition of the file at `path` without loading it into memory (GEOIP_STANDARD reads only the
    /// structure trailer), or nil when it is not a GeoIP Legacy database.
    static func edition(ofFileAt path: String) -> Int? {
        guard let g = GeoIP_open(path, Int32(GEOIP_STANDARD.rawValue | GEOIP_SILENCE.rawValue)) else { return nil }
        defer { GeoIP_delete(g) }
        return Int(GeoIP_database_edition(g))
    }

    static let cityEditions: Set<Int> = [Int(GEOIP_CITY_EDITION_REV0.rawValue), Int(GEOIP_CITY_EDITION_REV1.rawValue)]
    static let cityV6Editions: Set<Int> = [Int(GEOIP_CITY_EDITION_REV0_V6.rawValue), Int(GEOIP_CITY_EDITION_REV1_V6.rawValue)]
}

/// What the GeoIP data may place: public unicast addresses only. Private, loopback, link-local,
/// carrier-grade NAT, unique-local and unspecified addresses are never looked up.
enum GeoIPAddress {
    /// The 16-byte form (IPv4 as ::ffff:a.b.c.d), or nil when `ip` is not an address.
    static func bytes(_ ip: String) -> [UInt8]? {
        var t = ip.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("[") && t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        var v4 = in_addr()
        if t.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            return [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + withUnsafeBytes(of: v4.s_addr) { Array($0) }
        }
        var v6 = in6_addr()
        if t.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 {
            return withUnsafeBytes(of: v6) { Array($0) }
        }
        return nil
    }

    static func isPublic(_ ip: String) -> Bool {
        guard let b = bytes(ip) else { return false }
        if b[0..<12].elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]) {
            let (a, c) = (b[12], b[13])
            if a == 0 || a == 10 || a == 127 { return false }                 // this network, private, loopback
            if a == 169 && c == 254 { return false }                          // link-local
            if a == 172 && (16...31).contains(c) { return false }             // private
            if a == 192 && c == 168 { return false }                          // private
            if a == 100 && (64...127).contains(c) { return false }            // carrier-grade NAT
            if a >= 224 { return false }                                      // multicast, reserved, broadcast
            return true
        }
        if b.allSatisfy({ $0 == 0 }) || b == [UInt8](repeating: 0, count: 15) + [1] { return false }  // ::, ::1
        if b[0] & 0xfe == 0xfc { return false }                               // fc00::/7 unique local
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return false }               // fe80::/10 link-local
        if b[0] == 0xff { return false }                                      // multicast
        return true
    }

    /// A usable country code: two upper-case letters, not one of the legacy pseudo-countries
    /// ("--" unknown, "A1" proxy, "A2" satellite, "O1" other, "AP"/"EU" whole regions).
    static func country(_ raw: UnsafePointer<CChar>?) -> String? {
        guard let raw else { return nil }
        let s = String(cString: raw)
        guard s.count == 2, s.allSatisfy({ $0.isASCII && $0.isUppercase }), s != "AP", s != "EU" else { return nil }
        return s
    }
}
