import Adapters
import Composition
import Foundation
import Ports
import Testing

/// GeoIP over the real libGeoIP: Debian's country files, and a City file written by the test.
@Suite struct GeoLocatorTests {
    static let debianCountry = "/usr/share/GeoIP/GeoIP.dat"

    static let cityEntries: [LegacyCityDatabase.Entry] = [
        .init(network: [8, 8, 8, 0], prefix: 24, country: "US", region: "CA", cityLatin1: Array("Mountain View".utf8), latitude: 37.386, longitude: -122.0838),
        // "Zürich" in ISO-8859-1, as GeoLiteCity stores names: the locator must hand back UTF-8.
        .init(network: [81, 2, 69, 0], prefix: 24, country: "CH", region: "25", cityLatin1: [0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68], latitude: 47.37, longitude: 8.55),
        // A record with a country and no city.
        .init(network: [203, 0, 113, 0], prefix: 24, country: "NZ", cityLatin1: []),
    ]
    static let cityV6Entries: [LegacyCityDatabase.Entry] = [
        .init(network: [0x20, 0x01, 0x48, 0x60] + [UInt8](repeating: 0, count: 12), prefix: 32, country: "US", cityLatin1: Array("Mountain View".utf8)),
    ]

    @Test func countryComesFromDebiansDatabase() throws {
        let locator = GeoIPLocator(country: try GeoIPCountryDatabase(path: Self.debianCountry), city: nil)
        #expect(locator.locate(ip: "8.8.8.8") == GeoLocation(country: "US"))
        #expect(locator.locate(ip: "81.2.69.160") == GeoLocation(country: "GB"))
        #expect(locator.locate(ip: "2001:4860:4860::8888") == GeoLocation(country: "US"), "GeoIPv6.dat beside GeoIP.dat answers IPv6")
        #expect(locator.locate(ip: "::ffff:8.8.8.8") == GeoLocation(country: "US"), "IPv4-mapped IPv6 is looked up as IPv4")
        #expect(locator.locate(ip: "[2001:4860:4860::8888]") == GeoLocation(country: "US"), "brackets are removed")
    }

    @Test(arguments: ["10.1.2.3", "172.16.0.9", "192.168.1.1", "127.0.0.1", "169.254.1.1", "100.64.0.1", "0.0.0.0", "224.0.0.1",
                      "::1", "::", "fe80::1", "fd00::1", "::ffff:192.168.1.1", "", "not an ip", "999.1.1.1"])
    func privateLoopbackAndGarbageAreUnknown(_ ip: String) throws {
        let file = try LegacyCityDatabase.write([.init(network: [10, 0, 0, 0], prefix: 8, country: "US", cityLatin1: Array("Intranet".utf8))])
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        // Even when a database (wrongly) lists a private range, it is never consulted for one.
        let locator = GeoIPLocator(country: try GeoIPCountryDatabase(path: Self.debianCountry), city: try GeoIPCityDatabase(path: file.path))
        #expect(locator.locate(ip: ip) == .unknown)
        #expect(locator.locate(ip: ip).country == "Unknown" && locator.locate(ip: ip).city == "")
    }

    @Test func noDatabasesMeansUnknown() {
        let locator = GeoIPLocator(country: nil, city: nil)
        #expect(locator.locate(ip: "8.8.8.8") == .unknown)
    }

    @Test func cityDatabaseGivesCountryAndCity() throws {
        let file = try LegacyCityDatabase.write(Self.cityEntries, v6: Self.cityV6Entries)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let city = try GeoIPCityDatabase(path: file.path)
        #expect(city.v6Path?.hasSuffix("GeoLiteCityv6.dat") == true)
        let locator = GeoIPLocator(country: try GeoIPCountryDatabase(path: Self.debianCountry), city: city)
        #expect(locator.locate(ip: "8.8.8.8") == GeoLocation(country: "US", city: "Mountain View"))
        #expect(locator.locate(ip: "8.8.8.200") == GeoLocation(country: "US", city: "Mountain View"), "the whole /24")
        #expect(locator.locate(ip: "81.2.69.160") == GeoLocation(country: "CH", city: "Zürich"), "ISO-8859-1 names come back as UTF-8")
        #expect(locator.locate(ip: "203.0.113.5") == GeoLocation(country: "NZ", city: ""))
        #expect(locator.locate(ip: "2001:4860:4860::8888") == GeoLocation(country: "US", city: "Mountain View"))
        // Not in the City file: the country file still answers, without a city.
        #expect(locator.locate(ip: "1.1.1.1") == GeoLocation(country: "AU"))
        // In neither: unknown.
        let cityOnly = GeoIPLocator(country: nil, city: city)
        #expect(cityOnly.locate(ip: "1.1.1.1") == .unknown)
    }

    @Test func concurrentLookupsAgree() async throws {
        let file = try LegacyCityDatabase.write(Self.cityEntries)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let locator = GeoIPLocator(country: try GeoIPCountryDatabase(path: Self.debianCountry), city: try GeoIPCityDatabase(path: file.path))
        let results = await withTaskGroup(of: [GeoLocation].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<500).map { i in locator.locate(ip: i % 2 == 0 ? "81.2.69.160" : "1.1.1.1") } }
            }
            return await group.reduce(into: [GeoLocation]()) { $0 += $1 }
        }
        #expect(results.count == 4000)
        #expect(Set(results.map(\.description)) == ["Zürich, CH", "AU"])
    }

    @Test func cityDatabaseErrorsSayWhatIsWrong() throws {
        #expect(throws: GeoIPCityDatabase.OpenError.missing("/nope/GeoLiteCity.dat")) { try GeoIPCityDatabase(path: "/nope/GeoLiteCity.dat") }
        // The country file is a GeoIP database, but not a City one.
        do {
            _ = try GeoIPCityDatabase(path: Self.debianCountry)
            Issue.record("a country database was accepted as a City database")
        } catch let e as GeoIPCityDatabase.OpenError {
            guard case .notCity(let path, _) = e else { Issue.record("wrong error \(e)"); return }
            #expect(path == Self.debianCountry)
            #expect(e.description.contains("not a City edition"))
        }
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-junk-\(UUID().uuidString).dat")
        try Data("this is not a database".utf8).write(to: junk)
        defer { try? FileManager.default.removeItem(at: junk) }
        #expect(throws: GeoIPCityDatabase.OpenError.self) { try GeoIPCityDatabase(path: junk.path) }
    }

    @Test func cityPathIsCheckedWhenTheConfigurationIsRead() throws {
        // Not set: country only, no error.
        #expect(try AppConfig.load(environment: [:]).geoIPCityPath == nil)
        for bad in ["/nope/GeoLiteCity.dat", Self.debianCountry] {
            do {
                _ = try AppConfig.load(environment: ["OPSIQ_GEOIP_CITY_PATH": bad])
                Issue.record("accepted OPSIQ_GEOIP_CITY_PATH=\(bad)")
            } catch let e as ConfigError {
                #expect(e.setting == "OPSIQ_GEOIP_CITY_PATH")
                #expect(e.description.contains("OPSIQ_GEOIP_CITY_PATH") && e.description.contains(bad))
            }
        }
        let file = try LegacyCityDatabase.write(Self.cityEntries)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        #expect(try AppConfig.load(environment: ["OPSIQ_GEOIP_CITY_PATH": file.path]).geoIPCityPath == file.path)
    }
}
