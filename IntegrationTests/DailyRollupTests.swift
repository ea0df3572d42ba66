import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// The daily rollups (migration 23) kept at ingest: after late, out-of-order and re-judged sessions they hold
/// exactly what a recount of the stored sessions gives, and the Dashboard reads the same figures from them as
/// from the raw sessions.
@Suite struct DailyRollupTests {
    static let ws = WorkspaceID(1)
    static let now = AnalyticsReportTests.now
    static let zone = "America/New_York"

    static func ev(_ id: String, _ visitor: String, _ type: String, at: Date, engaged: Int64 = 0) -> TrackedEvent {
        AnalyticsReportTests.ev(id, visitor, type, "/p", at: at, engaged: engaged)
    }

    /// Every non-zero row of the site's daily rollups, in a stable order.
    static func snapshot(_ db: any SQLDatabase) async throws -> [String] {
        try await db.read { c in
            var out: [String] = []
            for r in try await c.query("SELECT visitor_key, day, sessions FROM tracking_visitor_days WHERE workspace_id = 1 AND sessions > 0 ORDER BY visitor_key, day") {
                out.append("present \(try r.string("visitor_key")) \(try r.int("day")) \(try r.int("sessions"))")
            }
            for r in try await c.query("SELECT day, prev_day, visitors FROM tracking_day_visitors WHERE workspace_id = 1 AND visitors <> 0 ORDER BY day, prev_day") {
                out.append("visitors \(try r.int("day")) \(try r.int("prev_day")) \(try r.int("visitors"))")
            }
            for r in try await c.query("SELECT day, sessions, bounces FROM tracking_day_sessions WHERE workspace_id = 1 AND (sessions <> 0 OR bounces <> 0) ORDER BY day") {
                out.append("sessions \(try r.int("day")) \(try r.int("sessions")) \(try r.int("bounces"))")
            }
            return out
        }
    }

    /// The Dashboard's visitor and session figures for several ranges (and the daily trend of the longest).
    static func figures(_ analytics: AnalyticsService) async throws -> [String] {
        var out: [String] = []
        for preset in ["today", "yesterday", "last_7_days", "last_30_days", "this_month", "last_month"] {
            let range = try await analytics.range(ws, preset: preset)
            let s = try await analytics.reports.summary(ws, from: range.start, to: range.end)
            out.append("\(preset): \(s.sessions) \(s.bounces) \(s.visitors) \(s.newVisitors)")
            if preset == "last_30_days" {
                out += try await analytics.reports.buckets(ws, boundaries: range.dayBoundaries).map { "\($0.start.epochMillis) \($0.visitors) \($0.sessions)" }
            }
        }
        return out
    }

    @Test(arguments: Engine.all)
    func rollupsKeptAtIngestEqualARecountAndTheRawFigures(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [AnalyticsSeed.conversionEvent], timeZone: Self.zone)
            var gen = AnalyticsSeed(.init(workspace: Self.ws, events: 6000, days: 20, end: Self.now, seed: 3, timeZone: TimeZone(identifier: Self.zone)!))
            var batches: [[TrackedEvent]] = []
            while let part = gen.next(size: 400) { batches.append(part) }
            // Late and out of order: every third batch arrives after all the others, newest first.
            let late = batches.indices.filter { $0 % 3 == 2 }
            for i in batches.indices where !late.contains(i) { _ = try await store.insert(batches[i], rules: rules) }
            for i in late.reversed() { _ = try await store.insert(batches[i], rules: rules) }

            let day: TimeInterval = 86400
            let t0 = Self.now.addingTimeInterval(-12 * day)
            // A bounce that grows into a visit, a scripted-looking visit that shows engagement later (no longer a bot),
            // a visit that turns out scripted (a bot after all), a day that appears between a visitor's others, and a
            // returning visitor's day that vanishes. (A late event extends only a visitor's latest session, so a day
            // between two others cannot vanish through ingest.)
            _ = try await store.insert([
                Self.ev("g1", "grows", "pageview", at: t0),
                Self.ev("q1", "quick", "pageview", at: t0), Self.ev("q2", "quick", "pageview", at: t0.addingTimeInterval(2)),
                Self.ev("q3", "quick", "pageview", at: t0.addingTimeInterval(4)),
                Self.ev("s1", "scripted", "pageview", at: t0), Self.ev("s2", "scripted", "pageview", at: t0.addingTimeInterval(1)),
                Self.ev("a1", "gaps", "pageview", at: t0.addingTimeInterval(-4 * day)), Self.ev("a2", "gaps", "pageview", at: t0.addingTimeInterval(2 * day)),
                Self.ev("b1", "lastday", "pageview", at: t0.addingTimeInterval(-4 * day)),
                Self.ev("b2", "lastday", "pageview", at: t0), Self.ev("b3", "lastday", "pageview", at: t0.addingTimeInterval(1)),
            ], rules: rules)
            _ = try await store.insert([
                Self.ev("g2", "grows", "engagement", at: t0.addingTimeInterval(60), engaged: 30_000),
                Self.ev("q4", "quick", "engagement", at: t0.addingTimeInterval(20), engaged: 4_000),
                Self.ev("s3", "scripted", "pageview", at: t0.addingTimeInterval(2)),
                Self.ev("a3", "gaps", "pageview", at: t0),  // a day between the visitor's two others
                Self.ev("b5", "lastday", "pageview", at: t0.addingTimeInterval(2)),  // its last day's only visit is now a bot's
            ], rules: rules)
            let sessions = try await store.sessions(Self.ws, limit: 100_000)
            #expect(sessions.contains { $0.visitorKey == "quick" && !$0.isBot } && sessions.contains { $0.visitorKey == "scripted" && $0.isBot })
            #expect(sessions.contains { $0.visitorKey == "lastday" && $0.isBot } && sessions.contains { $0.visitorKey == "grows" && $0.engagedMs == 30_000 })

            let kept = try await Self.snapshot(t.db)
            #expect(kept.contains { $0.hasPrefix("visitors ") && $0.split(separator: " ")[2] != "-1" }, "returning visitors are counted by their previous day")
            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            _ = try await t.db.write { tx in try await settings.set("timezone", to: .string(Self.zone), workspace: Self.ws, by: nil, in: tx) }
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let fromRollups = try await Self.figures(analytics)

            // The same site recounted from its sessions: the same rows.
            try await SQLTrackingMaintenance(db: t.db).rebuildDailyRollups(Self.ws, zone: TimeZone(identifier: Self.zone)!)
            #expect(try await Self.snapshot(t.db) == kept)
            // Without the rollups (no zone row), the reports count raw sessions: the same figures.
            _ = try await t.db.write { try await $0.execute("DELETE FROM tracking_rollup_zones WHERE workspace_id = 1") }
            let fromRaw = try await Self.figures(analytics)
            #expect(fromRaw == fromRollups)
            #expect(fromRollups.contains { $0.hasPrefix("last_30_days: ") && !$0.hasSuffix(" 0 0") })

            // A site with sessions but no zone row (data from before the rollups) is not half-counted by new batches.
            _ = try await store.insert([Self.ev("n1", "newcomer", "pageview", at: Self.now.addingTimeInterval(-60))], rules: rules)
            #expect(try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_rollup_zones")?.int("n") } == 0)
            let withNewcomer = try await Self.figures(analytics)
            #expect(withNewcomer != fromRaw)
            try await SQLTrackingMaintenance(db: t.db).rebuildDailyRollups(Self.ws, zone: TimeZone(identifier: Self.zone)!)
            #expect(try await Self.figures(analytics) == withNewcomer)
            // Ranges in another zone than the rollups' read raw sessions (Kolkata midnights are not New York's).
            _ = try await t.db.write { tx in try await settings.set("timezone", to: .string("Asia/Kolkata"), workspace: Self.ws, by: nil, in: tx) }
            let kolkata = try await Self.figures(analytics)
            _ = try await t.db.write { try await $0.execute("DELETE FROM tracking_rollup_zones WHERE workspace_id = 1") }
            #expect(try await Self.figures(analytics) == kolkata)
        }
    }

    /// Changing a site's time zone: the worker's `analytics.rollups.rezone` job (every 10 minutes) recounts its
    /// daily rollups in the new zone, after which the Dashboard reads them again, with the raw sessions' figures.
    @Test(arguments: Engine.all)
    func theRezoneJobRecountsTheRollupsAfterATimeZoneChange(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let ws = f.siteA.id
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [AnalyticsSeed.conversionEvent], timeZone: "UTC")
            var gen = AnalyticsSeed(.init(workspace: ws, events: 3000, days: 10, end: f.clock.now(), seed: 5, timeZone: TimeZone(identifier: "UTC")!))
            while let part = gen.next(size: 500) { _ = try await store.insert(part, rules: rules) }
            let maintenance = SQLTrackingMaintenance(db: t.db)
            #expect(try await maintenance.rollupState(ws)?.zone == TimeZone(identifier: "UTC")!.identifier)  // "GMT" on Linux
            func figures() async throws -> [String] {
                var out: [String] = []
                for preset in ["today", "yesterday", "last_7_days", "this_month"] {
                    let range = try await f.services.analytics.range(ws, preset: preset)
                    let s = try await f.services.analytics.reports.summary(ws, from: range.start, to: range.end)
                    out.append("\(preset): \(s.sessions) \(s.bounces) \(s.visitors) \(s.newVisitors)")
                }
                return out
            }
            _ = try await f.invoke("settings.set", as: try await f.actor(f.owner), site: f.siteA, ["name": .string("timezone"), "value": .string("Asia/Kolkata")])
            let rawKolkata = try await figures()  // the rollups are in UTC: these are counted from raw sessions
            func rezone() async throws {
                _ = try await t.db.transaction { try await f.services.jobs.enqueue(NewJob(kind: Maintenance.rezoneKind, payload: "{}"), now: f.clock.now(), in: $0) }
                try await f.work()
            }
            try await rezone()
            #expect(try await maintenance.rollupState(ws)?.zone == "Asia/Kolkata")
            #expect(try await figures() == rawKolkata)
            #expect(rawKolkata.contains { $0.hasPrefix("last_7_days: ") && !$0.hasSuffix(" 0 0") })
            // Read from the rollups now: moving one day's count shows in the figures.
            _ = try await t.db.write { try await $0.execute("UPDATE tracking_day_sessions SET sessions = sessions + 1000 WHERE workspace_id = ?", [.int(ws.raw)]) }
            #expect(try await figures() != rawKolkata)
            _ = try await t.db.write { try await $0.execute("UPDATE tracking_day_sessions SET sessions = sessions - 1000 WHERE workspace_id = ?", [.int(ws.raw)]) }
            // Nothing to do when the zone has not changed: the rows stay as they are.
            let before = try await Self.snapshotOf(t.db, ws)
            try await rezone()
            #expect(try await Self.snapshotOf(t.db, ws) == before)
        }
    }

    static func snapshotOf(_ db: any SQLDatabase, _ ws: WorkspaceID) async throws -> [String] {
        try await db.read { c in
            try await c.query("SELECT day, sessions, bounces FROM tracking_day_sessions WHERE workspace_id = ? ORDER BY day", [.int(ws.raw)]).map {
                "\(try $0.int("day")) \(try $0.int("sessions")) \(try $0.int("bounces"))"
            }
        }
    }

    /// Retention deletes raw sessions, not the daily counts: a visitor who came before the cutoff is still
    /// returning afterwards, and the days after the cutoff keep their figures.
    @Test(arguments: Engine.all)
    func retentionKeepsTheDailyFiguresOfTheDaysAfterTheCutoff(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeZone: "UTC")
            let day: TimeInterval = 86400
            _ = try await store.insert([
                Self.ev("r1", "regular", "pageview", at: Self.now.addingTimeInterval(-40 * day)),
                Self.ev("r2", "regular", "pageview", at: Self.now.addingTimeInterval(-2 * day)),
                Self.ev("f1", "fresh", "pageview", at: Self.now.addingTimeInterval(-2 * day)),
            ], rules: rules)
            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let week = try await analytics.range(Self.ws, preset: "last_7_days")
            let before = try await analytics.reports.summary(Self.ws, from: week.start, to: week.end)
            #expect(before.visitors == 2 && before.newVisitors == 1 && before.sessions == 2)
            #expect(try await SQLTrackingMaintenance(db: t.db).deleteSessions(Self.ws, before: Self.now.addingTimeInterval(-30 * day), batch: 100) == 1)
            let after = try await analytics.reports.summary(Self.ws, from: week.start, to: week.end)
            #expect(after == before)
        }
    }

    /// Top pages' figures for several ranges, with and without a page group.
    static func topPages(_ analytics: AnalyticsService) async throws -> [String] {
        var out: [String] = []
        for preset in ["today", "yesterday", "last_7_days", "last_30_days", "last_month"] {
            let range = try await analytics.range(ws, preset: preset)
            for blog in [false, true] {
                let group: @Sendable (String) -> String? = { blog && $0.hasPrefix("/blog/") ? "/blog/*" : nil }
                for p in try await analytics.reports.topPages(ws, from: range.start, to: range.end, limit: 50, group: group) {
                    out.append("\(preset) \(blog) \(p.path): \(p.views) \(p.visitors) \(p.entries) \(p.bounces) \(p.previousViews) \(p.chatStarts) \(p.tickets)")
                }
            }
        }
        return out
    }

    /// Geo intelligence's figures for several ranges: the countries, the cities of the top three, the total and each country group.
    static func geo(_ analytics: AnalyticsService) async throws -> [String] {
        var out: [String] = []
        func line(_ label: String, _ g: GeoRow) -> String { "\(label) \(g.value): \(g.visitors) \(g.sessions) \(g.bounces) \(g.conversions)" }
        for preset in ["today", "last_7_days", "last_30_days", "last_month"] {
            let range = try await analytics.range(ws, preset: preset)
            let countries = try await analytics.reports.geo(ws, from: range.start, to: range.end, country: nil)
            out += countries.map { line(preset, $0) }
            for c in countries.prefix(3) {
                out += try await analytics.reports.geo(ws, from: range.start, to: range.end, country: c.value).map { line("\(preset) \(c.value)", $0) }
            }
            out.append(line("\(preset) total", try await analytics.reports.geoTotal(ws, from: range.start, to: range.end, countries: nil)))
            for g in CountryGroupList.all {
                out.append(line("\(preset) \(g.key)", try await analytics.reports.geoTotal(ws, from: range.start, to: range.end, countries: g.countries)))
            }
        }
        return out
    }

    /// Every non-zero row of the site's page rollups (migration 27), in a stable order.
    static func pageSnapshot(_ db: any SQLDatabase) async throws -> [String] {
        try await db.read { c in
            var out: [String] = []
            for r in try await c.query("SELECT visitor_key, path, day, views FROM tracking_page_visitor_days WHERE workspace_id = 1 AND views > 0 ORDER BY visitor_key, path, day") {
                out.append("present \(try r.string("visitor_key")) \(try r.string("path")) \(try r.int("day")) \(try r.int("views"))")
            }
            for r in try await c.query("SELECT day, path, prev_day, visitors FROM tracking_page_day_visitors WHERE workspace_id = 1 AND visitors <> 0 ORDER BY day, path, prev_day") {
                out.append("visitors \(try r.int("day")) \(try r.string("path")) \(try r.int("prev_day")) \(try r.int("visitors"))")
            }
            for r in try await c.query("SELECT visitor_key, value, day, sessions FROM tracking_geo_visitor_days WHERE workspace_id = 1 AND sessions > 0 ORDER BY visitor_key, value, day") {
                out.append("geo present \(try r.string("visitor_key")) \(try r.string("value")) \(try r.int("day")) \(try r.int("sessions"))")
            }
            for r in try await c.query("SELECT day, value, prev_day, visitors FROM tracking_geo_day_visitors WHERE workspace_id = 1 AND visitors <> 0 ORDER BY day, value, prev_day") {
                out.append("geo visitors \(try r.int("day")) \(try r.string("value")) \(try r.int("prev_day")) \(try r.int("visitors"))")
            }
            for r in try await c.query("SELECT day, value, sessions, bounces, conversions FROM tracking_day_geo WHERE workspace_id = 1 AND (sessions <> 0 OR bounces <> 0 OR conversions <> 0) ORDER BY day, value") {
                out.append("geo \(try r.int("day")) \(try r.string("value")) \(try r.int("sessions")) \(try r.int("bounces")) \(try r.int("conversions"))")
            }
            for r in try await c.query("SELECT day, path, sessions, bounces FROM tracking_day_entries WHERE workspace_id = 1 AND (sessions <> 0 OR bounces <> 0) ORDER BY day, path") {
                out.append("entries \(try r.int("day")) \(try r.string("path")) \(try r.int("sessions")) \(try r.int("bounces"))")
            }
            return out
        }
    }

    /// Top pages' and Geo intelligence's daily rollups (migration 27), kept at ingest through late and out-of-order
    /// batches, bounces that grow and visits judged bots after all: a recount from the stored rows gives the same rows,
    /// and both pages read the same figures from them as from the raw page views and sessions (page groups, cities and
    /// country groups included).
    @Test(arguments: Engine.all)
    func pageRollupsKeptAtIngestEqualARecountAndTheRawFigures(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [AnalyticsSeed.conversionEvent], timeZone: Self.zone)
            var gen = AnalyticsSeed(.init(workspace: Self.ws, events: 6000, days: 40, end: Self.now, seed: 7, timeZone: TimeZone(identifier: Self.zone)!))
            var batches: [[TrackedEvent]] = []
            while let part = gen.next(size: 300) { batches.append(part) }
            let late = batches.indices.filter { $0 % 4 == 1 }
            for i in batches.indices where !late.contains(i) { _ = try await store.insert(batches[i], rules: rules) }
            for i in late.reversed() { _ = try await store.insert(batches[i], rules: rules) }
            let day: TimeInterval = 86400
            let t0 = Self.now.addingTimeInterval(-3 * day)
            // One visitor on one page on three days (the middle one late), twice on one of them; a bounce that grows.
            _ = try await store.insert([
                AnalyticsReportTests.ev("m1", "many", "pageview", "/pricing", at: t0.addingTimeInterval(-2 * day)),
                AnalyticsReportTests.ev("m2", "many", "pageview", "/pricing", at: t0),
                AnalyticsReportTests.ev("m3", "many", "pageview", "/pricing", at: t0.addingTimeInterval(60)),
                AnalyticsReportTests.ev("g1", "grows", "pageview", "/blog/new", at: t0),
            ], rules: rules)
            _ = try await store.insert([
                AnalyticsReportTests.ev("m4", "many", "pageview", "/pricing", at: t0.addingTimeInterval(-1 * day)),
                AnalyticsReportTests.ev("g2", "grows", "engagement", "/blog/new", at: t0.addingTimeInterval(30), engaged: 30_000),
            ], rules: rules)

            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            _ = try await t.db.write { tx in try await settings.set("timezone", to: .string(Self.zone), workspace: Self.ws, by: nil, in: tx) }
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let kept = try await Self.pageSnapshot(t.db)
            #expect(kept.contains { $0.hasPrefix("visitors ") && !$0.contains(" -1 ") }, "returning visitors are counted by their previous day on the page")
            #expect(kept.filter { $0.hasPrefix("present many /pricing ") }.count == 3)
            let fromRollups = try await Self.topPages(analytics)
            let geoFromRollups = try await Self.geo(analytics)
            #expect(geoFromRollups.contains { $0.hasPrefix("last_30_days spanish : ") && !$0.hasSuffix(": 0 0 0 0") })
            #expect(geoFromRollups.contains { $0.hasPrefix("last_30_days total : ") && !$0.hasSuffix(": 0 0 0 0") })
            #expect(fromRollups.contains { $0.hasPrefix("last_30_days false /pricing: ") })
            #expect(fromRollups.contains { $0.hasPrefix("last_7_days true /blog/*: ") })

            // Read from the rollups: moving their counts shows in the figures.
            for table in ["tracking_page_day_visitors SET visitors = visitors", "tracking_day_entries SET bounces = bounces"] {
                _ = try await t.db.write { try await $0.execute("UPDATE \(table) + 1000 WHERE workspace_id = 1") }
                #expect(try await Self.topPages(analytics) != fromRollups)
                _ = try await t.db.write { try await $0.execute("UPDATE \(table) - 1000 WHERE workspace_id = 1") }
            }
            for table in ["tracking_geo_day_visitors SET visitors = visitors", "tracking_day_geo SET conversions = conversions"] {
                _ = try await t.db.write { try await $0.execute("UPDATE \(table) + 1000 WHERE workspace_id = 1") }
                #expect(try await Self.geo(analytics) != geoFromRollups)
                _ = try await t.db.write { try await $0.execute("UPDATE \(table) - 1000 WHERE workspace_id = 1") }
            }
            // Recounted from the stored rows: the same rows.
            try await SQLTrackingMaintenance(db: t.db).rebuildDailyRollups(Self.ws, zone: TimeZone(identifier: Self.zone)!)
            #expect(try await Self.pageSnapshot(t.db) == kept)
            #expect(try await SQLTrackingMaintenance(db: t.db).rollupState(Self.ws)?.pages == true)
            // With the page tables marked incomplete, Top pages counts the raw rows: the same figures.
            _ = try await t.db.write { try await $0.execute("UPDATE tracking_rollup_zones SET pages = 0 WHERE workspace_id = 1") }
            #expect(try await Self.topPages(analytics) == fromRollups)
            #expect(try await Self.geo(analytics) == geoFromRollups)
            // While they are incomplete, ingest leaves them alone (a later rebuild counts everything once).
            _ = try await store.insert([AnalyticsReportTests.ev("n1", "newcomer", "pageview", "/pricing", at: Self.now.addingTimeInterval(-60))], rules: rules)
            #expect(try await Self.pageSnapshot(t.db) == kept)
            let withNewcomer = try await Self.topPages(analytics), geoWithNewcomer = try await Self.geo(analytics)
            #expect(withNewcomer != fromRollups && geoWithNewcomer != geoFromRollups)
            try await SQLTrackingMaintenance(db: t.db).rebuildDailyRollups(Self.ws, zone: TimeZone(identifier: Self.zone)!)
            #expect(try await Self.topPages(analytics) == withNewcomer)
            #expect(try await Self.geo(analytics) == geoWithNewcomer)

            // Retention removes the per-visitor page days before the cutoff and nothing a later range reads.
            let maintenance = SQLTrackingMaintenance(db: t.db)
            let before = try await Self.pageSnapshot(t.db).filter { $0.hasPrefix("present ") }.count
            var after = ""
            while let last = try await maintenance.deletePresenceDays(Self.ws, before: Self.now.addingTimeInterval(-20 * day), after: after, batch: 7) { after = last }
            let left = try await Self.pageSnapshot(t.db).filter { $0.hasPrefix("present ") }.count
            #expect(left < before && left > 0)
            let recent = { (rows: [String]) in rows.filter { $0.hasPrefix("last_7_days") || $0.hasPrefix("today") } }
            #expect(recent(try await Self.geo(analytics)) == recent(geoWithNewcomer))
            #expect(try await Self.topPages(analytics).filter { $0.hasPrefix("last_7_days") || $0.hasPrefix("today") || $0.hasPrefix("yesterday") }
                    == withNewcomer.filter { $0.hasPrefix("last_7_days") || $0.hasPrefix("today") || $0.hasPrefix("yesterday") })
        }
    }

    /// A site whose page tables are not filled (data from before migration 27) gets them from the worker's
    /// `analytics.rollups.rezone` job; Top pages then reads them.
    @Test(arguments: Engine.all)
    func theRezoneJobFillsThePageRollupsOfOlderData(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let ws = f.siteA.id
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [AnalyticsSeed.conversionEvent], timeZone: "UTC")
            _ = try await t.db.write { try await $0.execute("INSERT INTO tracking_rollup_zones (workspace_id, zone, pages) VALUES (?, ?, 0)", [.int(ws.raw), .text("UTC")]) }
            var gen = AnalyticsSeed(.init(workspace: ws, events: 2000, days: 10, end: f.clock.now(), seed: 9, timeZone: TimeZone(identifier: "UTC")!))
            while let part = gen.next(size: 500) { _ = try await store.insert(part, rules: rules) }
            let count = { try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_page_day_visitors WHERE workspace_id = ?", [.int(ws.raw)])?.int("n") } }
            #expect(try await count() == 0)
            let range = try await f.services.analytics.range(ws, preset: "last_7_days")
            let raw = try await f.services.analytics.reports.topPages(ws, from: range.start, to: range.end, limit: 50, group: { _ in nil })
            _ = try await t.db.transaction { try await f.services.jobs.enqueue(NewJob(kind: Maintenance.rezoneKind, payload: "{}"), now: f.clock.now(), in: $0) }
            try await f.work()
            #expect(try await SQLTrackingMaintenance(db: t.db).rollupState(ws)?.pages == true)
            #expect(try await count()! > 0)
            #expect(try await f.services.analytics.reports.topPages(ws, from: range.start, to: range.end, limit: 50, group: { _ in nil }) == raw)
            #expect(raw.contains { $0.visitors > 0 && $0.entries > 0 })
        }
    }
}
