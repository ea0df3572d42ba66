import Foundation

/// Where an address is, as far as the GeoIP data knows: an ISO 3166 alpha-2 country code or "Unknown",
/// and a city name (UTF-8) or "" when only the country is known.
public struct GeoLocation: Sendable, Equatable, CustomStringConvertible {
    public static let unknownCountry = "Unknown"
    public var country: String
    public var city: String

    public init(country: String, city: String = "") { self.country = country; self.city = city }

    /// No country and no city: private, loopback and unlisted addresses, or no GeoIP data installed.
    public static let unknown = GeoLocation(country: unknownCountry)

    public var isKnown: Bool { country != Self.unknownCountry }
    public var description: String { city.isEmpty ? country : "\(city), \(country)" }
}

/// Turns a visitor's IP address into a country and city. Lookups are in memory and never throw:
/// anything the data cannot place is `GeoLocation.unknown`.
public protocol GeoLocator: Sendable {
    func locate(ip: String) -> GeoLocation
}
