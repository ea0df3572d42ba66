import Adapters
import Domain
import Foundation
import Logging
import Ports

/// What the beacon adds to each event beyond its body: where the visitor is (GeoIP country and city),
/// the daily-salted visitor hash, and the sites' custom script paths. Built once in `Services`.
public struct Enrichment: Sendable {
    /// Country from OPSIQ_GEOIP_PATH, country and city when OPSIQ_GEOIP_CITY_PATH is set.
    public let geo: GeoIPLocator
    public let visitorSalts: VisitorSalts
    public let scriptPaths: ScriptPathDirectory

    public init(config: AppConfig, logger: Logger, db: any SQLDatabase, settings: SettingsService, workspaces: any WorkspaceStore,
                country: GeoIPCountryDatabase?, digests: any Digests, clock: any TimeSource, random: any RandomSource) {
        var city: GeoIPCityDatabase? = nil
        if let path = config.geoIPCityPath {
            // AppConfig already checked the file; this only fails if it changed since.
            do { city = try GeoIPCityDatabase(path: path) } catch {
                logger.error("GeoIP City database not opened; cities stay empty", metadata: ["setting": "OPSIQ_GEOIP_CITY_PATH", "error": "\(error)"])
            }
        }
        geo = GeoIPLocator(country: country, city: city)
        visitorSalts = VisitorSalts(store: SQLVisitorSaltStore(db: db, random: random, clock: clock), digests: digests, clock: clock)
        scriptPaths = ScriptPathDirectory(db: db, workspaces: workspaces, settings: settings, clock: clock)
    }

    /// The enrichment jobs every worker runs.
    public func register(into h: inout JobHandlers) {
        let salts = visitorSalts
        h.register(VisitorSalts.jobKind) { _ in try await salts.rotate() }
    }
}
