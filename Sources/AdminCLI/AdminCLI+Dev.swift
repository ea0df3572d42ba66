import ArgumentParser
import Composition
import Domain
import Foundation
import Ports

/// Developer and demo commands.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Developer tools: generated demo data.", subcommands: [SeedAnalytics.self])

    struct SeedAnalytics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seed-analytics",
            abstract: "Generate a realistic analytics data set for a site (page views, sessions, sources and campaigns, countries, devices, customers, a scraper).",
            discussion: """
            Events go through the same batched store insert as real beacons, so sessions, visitors and the hourly rollups are filled too.
            The same --seed gives the same data. Sessions that end in a checkout send the custom event order.completed, which counts as a
            conversion for the generated data.
            """)
        @Option(help: "About how many events to generate (page views are a little under half).") var events: Int
        @Option(help: "Spread them over this many days, ending now.") var days: Int = 90
        @Option(help: "The site (default: the first site).") var siteKey: String?
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(help: "Events per insert transaction.") var batch: Int = 2000

        func validate() throws {
            guard events > 0 else { throw ValidationError("--events must be positive") }
            guard (1...3650).contains(days) else { throw ValidationError("--days must be between 1 and 3650") }
            guard (100...20_000).contains(batch) else { throw ValidationError("--batch must be between 100 and 20000") }
        }

        func run() async throws {
            let s = try loadServices()
            try await mapUnavailable(s) {
                if s.config.database.isEmbedded { try await s.migrations.migrate() }
                let site = try await s.db.read { conn in
                    if let siteKey { return try await s.workspaces.find(siteKey: siteKey, in: conn) }
                    return try await s.workspaces.all(in: conn).first
                }
                guard let site else {
                    await s.db.shutdown()
                    throw fail(siteKey == nil ? "there is no site yet: create one with opsiq-admin create-site" : "no site has the key \(siteKey!)", Exit.usage)
                }
                var rules = try await s.settings.sessionRules(site.id)
                rules.conversionEvents.insert(AnalyticsSeed.conversionEvent)
                let tz = try await s.analytics.timeZone(site.id)
                var gen = AnalyticsSeed(.init(workspace: site.id, domain: site.domain, events: events, days: days, end: s.clock.now(), seed: seed, timeZone: tz))
                let started = Date()
                var stored = 0, lastReport = Date()
                while let part = gen.next(size: batch) {
                    stored += try await s.tracking.insert(part, rules: [site.id: rules])
                    try await IdentityResolution.attach(part, visitors: s.visitors)
                    if Date().timeIntervalSince(lastReport) > 5 {
                        lastReport = Date()
                        print("… \(stored) events stored (\(Int(Double(stored) / lastReport.timeIntervalSince(started)))/s)")
                    }
                }
                let secs = Date().timeIntervalSince(started)
                print("Stored \(stored) events for \(site.name) (\(site.siteKey)) over \(days) days in \(String(format: "%.1f", secs)) s (\(Int(Double(stored) / max(secs, 0.001)))/s).")
            }
            await s.db.shutdown()
        }
    }
}
