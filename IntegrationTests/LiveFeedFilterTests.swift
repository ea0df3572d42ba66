import Adapters
import Domain
import Foundation
import Ports
import Testing

/// The Live feed's country, device and referrer filters and Geo intelligence's country groups (issue 5), on both engines.
@Suite struct LiveFeedFilterTests {
    static let ws = WorkspaceID(1)
    static let now = AnalyticsReportTests.now

    static func ev(_ id: String, _ visitor: String, country: String, device: String, referrer: String, ago: TimeInterval, ws: WorkspaceID = ws) -> TrackedEvent {
        TrackedEvent(workspaceID: ws, eventUID: id, visitorKey: visitor, sessionHint: "", type: "pageview", name: "", ts: now.addingTimeInterval(-ago),
                     receivedAt: now.addingTimeInterval(-ago), url: "https://shop.example.com/", path: "/", title: "", referrer: referrer.isEmpty ? "" : "https://\(referrer)/",
                     referrerDomain: referrer, source: referrer.isEmpty ? "Direct" : "Referral", utm: [:], country: country, device: device, browser: "Firefox",
                     browserVersion: "1", os: "Linux", osVersion: "", ip: "198.51.100.7", screen: "", lang: "", engagedMs: 0, scrollPct: 0, props: "{}", isBot: false)
    }

    @Test(arguments: Engine.all)
    func filtersNarrowTheActiveSessions(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            _ = try await SQLTrackingStore(db: t.db).insert([
                Self.ev("1", "madrid", country: "ES", device: "mobile", referrer: "www.google.es", ago: 20),
                Self.ev("2", "mexico", country: "MX", device: "desktop", referrer: "news.example.org", ago: 30),
                Self.ev("3", "berlin", country: "DE", device: "mobile", referrer: "", ago: 40),
                Self.ev("4", "gone", country: "ES", device: "mobile", referrer: "www.google.es", ago: 600),
                Self.ev("5", "elsewhere", country: "ES", device: "mobile", referrer: "www.google.es", ago: 10, ws: WorkspaceID(2)),
            ], rules: SessionRules())
            let reports = SQLAnalyticsReports(db: t.db)
            func live(_ f: LiveFilter) async throws -> [String] {
                try await reports.liveSessions(Self.ws, since: Self.now.addingTimeInterval(-90), filter: f, limit: 100).map(\.visitorKey)
            }
            #expect(try await live(LiveFilter()) == ["madrid", "mexico", "berlin"])
            #expect(try await live(LiveFilter(country: "ES")) == ["madrid"], "the active window and the site still apply")
            #expect(try await live(LiveFilter(device: "mobile")) == ["madrid", "berlin"])
            #expect(try await live(LiveFilter(referrer: "google")) == ["madrid"])
            #expect(try await live(LiveFilter(referrer: "GOOGLE")) == ["madrid"], "the referrer matches whatever its case")
            #expect(try await live(LiveFilter(country: "MX", device: "mobile")).isEmpty)
            #expect(try await live(LiveFilter(referrer: "%")).isEmpty, "wildcards are literal")
        }
    }

    @Test func badFilterValuesNameTheirField() throws {
        #expect(try AnalyticsService.liveFilter(country: " es ", device: "Mobile", referrer: " google ") == LiveFilter(country: "ES", device: "mobile", referrer: "google"))
        #expect(throws: DomainError.validation(field: "country", message: "must be a two-letter country code such as ES")) {
            try AnalyticsService.liveFilter(country: "Spain", device: "", referrer: "")
        }
        #expect(throws: DomainError.validation(field: "device", message: "must be one of desktop, mobile, tablet, bot, unknown")) {
            try AnalyticsService.liveFilter(country: "", device: "phone", referrer: "")
        }
        #expect(throws: DomainError.validation(field: "referrer", message: "must be at most 255 characters")) {
            try AnalyticsService.liveFilter(country: "", device: "", referrer: String(repeating: "a", count: 256))
        }
    }

    /// The spec's example: Spanish-speaking countries together, each visitor once (one came from Spain and Mexico).
    @Test(arguments: Engine.all)
    func countryGroupsCountEachVisitorOnce(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            _ = try await SQLTrackingStore(db: t.db).insert([
                Self.ev("1", "traveller", country: "ES", device: "mobile", referrer: "", ago: 3 * 3600),
                Self.ev("2", "traveller", country: "MX", device: "mobile", referrer: "", ago: 3600),
                Self.ev("3", "bogota", country: "CO", device: "desktop", referrer: "", ago: 3600),
                Self.ev("4", "berlin", country: "DE", device: "desktop", referrer: "", ago: 3600),
                Self.ev("5", "london", country: "GB", device: "desktop", referrer: "", ago: 3600),
                Self.ev("6", "elsewhere", country: "ES", device: "mobile", referrer: "", ago: 3600, ws: WorkspaceID(2)),
            ], rules: SessionRules())
            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let groups = try await analytics.countryGroups(Self.ws, range: try await analytics.range(Self.ws, preset: "today"))
            let spanish = try #require(groups.first { $0.group.key == "spanish" })
            #expect(spanish.figures.visitors == 2 && spanish.figures.sessions == 3 && spanish.figures.bounces == 3)
            #expect(spanish.share == 50, "two of the four visitors")
            #expect(groups.first { $0.group.key == "german" }?.figures.visitors == 1 && groups.first { $0.group.key == "portuguese" }?.figures.visitors == 0)
            #expect(Set(CountryGroup.all.map(\.key)).count == CountryGroup.all.count && CountryGroup.all.allSatisfy { $0.countries.allSatisfy { $0.count == 2 } })
        }
    }
}
