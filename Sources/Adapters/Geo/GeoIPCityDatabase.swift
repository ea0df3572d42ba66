import CGeoIP
import Foundation
import Ports

/// City lookup over a GeoLite City legacy `.dat` file (OPSIQ_GEOIP_CITY_PATH) through libGeoIP.
/// The IPv6 edition is used when it lies beside the IPv4 file as GeoLiteCityv6.dat or GeoIPCityv6.dat.
public final class GeoIPCityDatabase: Sendable {
    private let v4: GeoIPHandle
    private let v6: GeoIPHandle?
    public let path: String
    /// The IPv6 file in use, if any.
    public var v6Path: String? { v6?.path }

    public enum OpenError: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case unreadable(String)
        case notCity(String, edition: Int)
        public var description: String {
            switch self {
            case .missing(let p):
                return "no file at \(p); point it at a GeoLite City legacy database (GeoLiteCity.dat), or unset it for country-only lookups"
            case .unreadable(let p):
                return "\(p) is not a readable GeoIP Legacy database (GeoLite2 .mmdb files are not supported; use GeoLiteCity.dat)"
            case .notCity(let p, let e):
                return "\(p) is a GeoIP Legacy database of edition \(e), not a City edition; use GeoLiteCity.dat (the country file belongs in OPSIQ_GEOIP_PATH)"
            }
        }
    }

    static let v6Names = ["GeoLiteCityv6.dat", "GeoIPCityv6.dat"]

    /// Checks that `path` is an IPv4 City database without loading it (used when the configuration is read).
    public static func check(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw OpenError.missing(path) }
        guard FileManager.default.isReadableFile(atPath: path), let edition = GeoIPHandle.edition(ofFileAt: path) else { throw OpenError.unreadable(path) }
        guard GeoIPHandle.cityEditions.contains(edition) else { throw OpenError.notCity(path, edition: edition) }
    }

    /// Opens `path` into memory, and its IPv6 sibling if there is one.
    public init(path: String) throws {
        try Self.check(path: path)
        guard let g = GeoIPHandle(path: path, utf8: true) else { throw OpenError.unreadable(path) }
        self.path = path
        v4 = g
        let dir = (path as NSString).deletingLastPathComponent
        v6 = Self.v6Names.lazy
            .map { (dir as NSString).appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0) }
            .compactMap { GeoIPHandle(path: $0, utf8: true) }
            .first { GeoIPHandle.cityV6Editions.contains($0.edition) }
    }

    /// Country and city of a public address; nil when the database has no record for it.
    public func lookup(ip: String) -> GeoLocation? {
        let isV6 = ip.contains(":")
        guard let handle = isV6 ? v6 : v4 else { return nil }
        return handle.withLock { gi -> GeoLocation? in
            let record = isV6 ? GeoIP_record_by_addr_v6(gi, ip) : GeoIP_record_by_addr(gi, ip)
            guard let record else { return nil }
            defer { GeoIPRecord_delete(record) }
            guard let country = GeoIPAddress.country(record.pointee.country_code) else { return nil }
            let city = record.pointee.city.map { String(cString: $0) } ?? ""
            return GeoLocation(country: country, city: city)
        }
    }
}

/// The GeoIP lookup every request uses: the City database when one is configured, else the country
/// database; private and loopback addresses are never looked up.
public final class GeoIPLocator: GeoLocator {
    public let country: GeoIPCountryDatabase?
    public let city: GeoIPCityDatabase?

    public init(country: GeoIPCountryDatabase?, city: GeoIPCityDatabase?) {
        self.country = country
        self.city = city
    }

    public func locate(ip: String) -> GeoLocation {
        guard GeoIPAddress.isPublic(ip) else { return .unknown }
        // Strip brackets and zone ids so libGeoIP sees the bare address.
        guard let bytes = GeoIPAddress.bytes(ip) else { return .unknown }
        let bare = Self.text(bytes)
        if let found = city?.lookup(ip: bare) { return found }
        if let code = country?.countryCode(ip: bare) { return GeoLocation(country: code) }
        return .unknown
    }

    /// Dotted quad for IPv4 (also when it came IPv4-mapped), else the canonical IPv6 text.
    static func text(_ b: [UInt8]) -> String {
        if b[0..<12].elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]) { return b[12...].map(String.init).joined(separator: ".") }
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: b) }
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &addr, &out, socklen_t(out.count)) != nil else { return "" }
        return String(cString: out)
    }
}
