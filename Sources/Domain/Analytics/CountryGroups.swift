import Foundation
import Ports

/// Named groups of countries that Geo intelligence shows as one row each (the spec's worked example: "if
/// Spanish-speaking countries together represent more than 10% of your traffic, translation is worth
/// considering"). A country may be in more than one group; a group's visitors are counted once however many
/// of its countries they came from.
public struct CountryGroup: Sendable, Equatable {
    public let key: String
    public let name: String
    public let countries: [String]

    /// Countries where the language is the main or an official one spoken by most people.
    public static let all: [CountryGroup] = CountryGroupList.all.map { CountryGroup(key: $0.key, name: $0.name, countries: $0.countries) }
}

/// One group's figures for a range, beside its share of all the range's visitors.
public struct CountryGroupRow: Sendable, Equatable {
    public var group: CountryGroup
    public var figures: GeoRow
    public var share: Double
}

extension AnalyticsService {
    /// Every country group's visitors, sessions, bounces and conversions for the range, and its share of all visitors.
    public func countryGroups(_ workspace: WorkspaceID, range: DateRange) async throws -> [CountryGroupRow] {
        let all = try await reports.geoTotal(workspace, from: range.start, to: range.end, countries: nil)
        var out: [CountryGroupRow] = []
        for g in CountryGroup.all {
            var row = try await reports.geoTotal(workspace, from: range.start, to: range.end, countries: g.countries)
            row.value = g.name
            out.append(CountryGroupRow(group: g, figures: row, share: all.visitors == 0 ? 0 : Double(row.visitors) * 100 / Double(all.visitors)))
        }
        return out
    }
}
