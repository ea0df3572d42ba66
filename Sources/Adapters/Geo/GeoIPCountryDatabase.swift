import CGeoIP
import Foundation

/// Country lookup over a legacy MaxMind `.dat` file through libGeoIP (Debian's geoip-database ships one).
/// No GeoIP type leaves this file. Opened in memory, so lookups do not touch the disk.
public final class GeoIPCountryDatabase: Sendable {
    private let v4: GeoIPHandle
    private let v6: GeoIPHandle?
    public let path: String

    public enum OpenError: Error, CustomStringConvertible {
        case missing(String)
        case unreadable(String)
        public var description: String {
            switch self {
            case .missing(let p): return "GeoIP database not found at \(p) (install Debian's geoip-database, or set OPSIQ_GEOIP_PATH)"
            case .unreadable(let p): return "GeoIP database at \(p) could not be opened"
            }
        }
    }

    /// Opens `path` (IPv4) and, if present beside it, `GeoIPv6.dat`.
    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw OpenError.missing(path) }
        guard let g = GeoIPHandle(path: path) else { throw OpenError.unreadable(path) }
        v4 = g
        let v6path = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("GeoIPv6.dat")
        v6 = FileManager.default.fileExists(atPath: v6path) ? GeoIPHandle(path: v6path) : nil
    }

    /// ISO 3166 alpha-2 code, or nil when the address is unknown (private ranges, unassigned).
    public func countryCode(ip: String) -> String? {
        if ip.contains(":") {
            guard let v6 else { return nil }
            return v6.withLock { GeoIPAddress.country(GeoIP_country_code_by_addr_v6($0, ip)) }
        }
        return v4.withLock { GeoIPAddress.country(GeoIP_country_code_by_addr($0, ip)) }
    }
}
