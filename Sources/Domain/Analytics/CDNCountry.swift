import Ports

/// The visitor's country as a CDN reports it (Cloudflare's CF-IPCountry header), believed only when
/// the request came straight from a trusted proxy (OPSIQ_TRUSTED_PROXIES): anyone else can send the header.
public enum CDNCountry {
    public static let headerName = "CF-IPCountry"

    /// An ISO 3166 alpha-2 code, upper-cased, or nil: untrusted peer, no header, "XX" (unknown to the CDN),
    /// "T1" (Tor) and anything that is not two letters.
    public static func from(header: String?, peer: String, trustedProxies: [CIDR]) -> String? {
        guard let header, let address = IPAddress(peer), trustedProxies.contains(where: { $0.contains(address) }) else { return nil }
        let code = header.trimmingCharacters(in: .whitespaces).uppercased()
        guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isLetter }), code != "XX" else { return nil }
        return code
    }
}

extension CDNCountry {
    /// The location to store when both sources answered: the CDN's country wins (it saw the client's
    /// own connection), and GeoIP's city is kept only when GeoIP agrees on that country.
    public static func merge(cdnCountry: String?, geo: GeoLocation) -> GeoLocation {
        guard let cdnCountry, cdnCountry != geo.country else { return geo }
        return GeoLocation(country: cdnCountry)
    }
}
