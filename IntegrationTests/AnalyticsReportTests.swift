import Adapters
import Domain
import Foundation
import Ports
import Testing

/// The Dashboard's figures against a brute-force recount from the raw events: sessions are rebuilt from the
/// events by the 30-minute rule, then every figure is counted again for several presets in three time zones
/// (one with a half-hour offset), over generated data with sessions across midnight and the DST change.
@Suite struct AnalyticsReportTests {
    static let ws = WorkspaceID(1)
    /// Tuesday 2026-11-03 15:00 UTC: two days after the US DST change (Nov 1), nine after the EU one (Oct 25).
    static let now = Date(timeIntervalSince1970: 1_793_718_000)

    static func ev(_ id: String, _ visitor: String, _ type: String, _ path: String, at: Date, engaged: Int64 = 0, bot: Bool = false,
                   source: String = "Direct", browser: String = "Firefox", ws: WorkspaceID = ws) -> TrackedEvent {
        TrackedEvent(workspaceID: ws, eventUID: id, visitorKey: visitor, sessionHint: "", type: type, name: "", ts: at, receivedAt: at,
                     url: "https://shop.example.com" + path, path: path, title: "", referrer: "", referrerDomain: "", source: source, utm: [:], country: "DE",
                     device: "desktop", browser: browser, browserVersion: "1", os: "Linux", osVersion: "", ip: "198.51.100.7", screen: "", lang: "",
                     engagedMs: engaged, scrollPct: 0, props: "{}", isBot: bot)
    }

    static func iso(_ s: String) -> Date { ISO8601DateFormatter().date(from: s)! }

    /// A session rebuilt from raw events.
    struct BruteSession { var visitor: String; var start: Int64; var last: Int64; var pageviews = 0; var events = 0; var engaged: Int64 = 0
        var lastBot = false; var source: String; var browser: String; var country = ""; var city = ""; var converted = false
        var isBot: Bool { lastBot || (pageviews >= 3 && events == pageviews && engaged == 0 && last - start <= 10_000) }
        var bounced: Bool { pageviews <= 1 && engaged < 10_000 }
    }

    static func sessionize(_ events: [TrackedEvent]) -> (sessions: [BruteSession], firstSeen: [String: Int64]) {
        var out: [BruteSession] = []
        var firstSeen: [String: Int64] = [:]
        for (visitor, list) in Dictionary(grouping: events, by: \.visitorKey) {
            var cur: BruteSession?
            for e in list.sorted(by: { $0.ts < $1.ts }) {
                let t = e.ts.epochMillis
                firstSeen[visitor] = min(firstSeen[visitor] ?? t, t)
                if var c = cur, t - c.last <= 30 * 60_000 {
                    c.last = max(c.last, t); c.events += 1; c.engaged += e.engagedMs; c.lastBot = e.isBot
                    if e.type == "pageview" { c.pageviews += 1 }
                    if e.type == "custom" && e.name == AnalyticsSeed.conversionEvent { c.converted = true }
                    cur = c
                } else {
                    if let c = cur { out.append(c) }
                    cur = BruteSession(visitor: visitor, start: t, last: t, pageviews: e.type == "pageview" ? 1 : 0, events: 1, engaged: e.engagedMs, lastBot: e.isBot,
                                       source: e.source, browser: e.browser, country: e.country, city: e.city,
                                       converted: e.type == "custom" && e.name == AnalyticsSeed.conversionEvent)
                }
            }
            if let c = cur { out.append(c) }
        }
        return (out, firstSeen)
    }

    /// Top pages and Geo intelligence against the recount (Kolkata, last 7 days: half-hour edges).
    static func checkPagesAndGeo(analytics: AnalyticsService, settings: SettingsService, db: any SQLDatabase, raw: [TrackedEvent], sessions: [BruteSession]) async throws {
        // Top pages (Kolkata, last 7 days: half-hour edges): views, visitors, entries, bounces and the previous week's views per page.
        _ = try await db.write { tx in try await settings.set("timezone", to: .string("Asia/Kolkata"), workspace: Self.ws, by: nil, in: tx) }
        let week = try await analytics.range(Self.ws, preset: "last_7_days")
        let (a, b) = (week.start.epochMillis, week.end.epochMillis)
        let pages = try await analytics.topPages(Self.ws, range: week, sort: "views", ascending: false)
        let views = raw.filter { !$0.isBot && $0.type == "pageview" && $0.ts.epochMillis >= a && $0.ts.epochMillis < b }
        #expect(pages.count == Set(views.map(\.path)).count && !pages.isEmpty)
        #expect(pages.map(\.views) == pages.map(\.views).sorted(by: >))
        let span = b - a
        for p in pages {
            #expect(p.views == Int64(views.filter { $0.path == p.path }.count), "views of \(p.path)")
            #expect(p.visitors == Int64(Set(views.filter { $0.path == p.path }.map(\.visitorKey)).count), "visitors of \(p.path)")
            #expect(p.previousViews == Int64(raw.filter { !$0.isBot && $0.type == "pageview" && $0.path == p.path && $0.ts.epochMillis >= a - span && $0.ts.epochMillis < a }.count))
        }
        let entered = Dictionary(grouping: sessions.filter { !$0.isBot && $0.start >= a && $0.start < b }, by: { s in
            raw.first { $0.visitorKey == s.visitor && $0.ts.epochMillis >= s.start && $0.type == "pageview" }?.path ?? "" })
        for p in pages.prefix(5) {
            #expect(p.entries == Int64(entered[p.path]?.count ?? 0) && p.bounces == Int64(entered[p.path]?.filter(\.bounced).count ?? 0), "entries of \(p.path)")
        }
        // Geo: countries and the cities of one, from the sessions of the range.
        let inWeek = sessions.filter { !$0.isBot && $0.start >= a && $0.start < b }
        let geo = try await analytics.reports.geo(Self.ws, from: week.start, to: week.end, country: nil)
        #expect(geo.map(\.value).sorted() == Set(inWeek.map(\.country)).sorted())
        #expect(geo.map(\.visitors) == geo.map(\.visitors).sorted(by: >))
        for g in geo {
            let s = inWeek.filter { $0.country == g.value }
            #expect(g.visitors == Int64(Set(s.map(\.visitor)).count) && g.sessions == Int64(s.count), "country \(g.value)")
            #expect(g.bounces == Int64(s.filter(\.bounced).count) && g.conversions == Int64(s.filter(\.converted).count), "country \(g.value)")
        }
        #expect(geo.contains { $0.conversions > 0 }, "the seed converts some visits")
        let spain = try await analytics.reports.geo(Self.ws, from: week.start, to: week.end, country: "ES")
        let es = inWeek.filter { $0.country == "ES" }
        #expect(spain.map(\.value).sorted() == Set(es.map(\.city)).sorted() && spain.reduce(0) { $0 + $1.sessions } == Int64(es.count))
        let byBounce = try await analytics.topPages(Self.ws, range: week, sort: "bounce", ascending: true)
        #expect(byBounce.map(\.bounceRate) == byBounce.map(\.bounceRate).sorted())
        await #expect(throws: DomainError.validation(field: "sort", message: "must be one of \(AnalyticsService.pageSorts.joined(separator: ", "))")) {
            _ = try await analytics.topPages(Self.ws, range: week, sort: "nonsense", ascending: false)
        }
        // Page groups: the two blog posts are one row, checkout and its thank-you page another; each visitor once per group.
        _ = try await db.write { tx in try await settings.set(AnalyticsService.pageGroupsSetting, to: .string("/blog/*, /checkout*"), workspace: Self.ws, by: nil, in: tx) }
        let grouped = try await analytics.topPages(Self.ws, range: week, sort: "views", ascending: false)
        let groupOf = AnalyticsService.pageGrouper(["/blog/*", "/checkout*"])
        #expect(grouped.count == Set(views.map { groupOf($0.path) ?? $0.path }).count)
        #expect(grouped.map(\.views) == grouped.map(\.views).sorted(by: >))
        for pattern in ["/blog/*", "/checkout*"] {
            let row = try #require(grouped.first { $0.path == pattern }, "group \(pattern)")
            let members = views.filter { groupOf($0.path) == pattern }
            #expect(row.isGroup && row.groupedPages == Set(members.map(\.path)).count && row.groupedPages >= 2, "pages of \(pattern)")
            #expect(row.views == Int64(members.count), "views of \(pattern)")
            #expect(row.visitors == Int64(Set(members.map(\.visitorKey)).count), "visitors of \(pattern)")
            #expect(row.visitors < Int64(members.count), "a visitor who saw two of the group's pages counts once")
            let memberPaths = Set(members.map(\.path))
            #expect(row.entries == Int64(entered.filter { memberPaths.contains($0.key) }.reduce(0) { $0 + $1.value.count }), "entries of \(pattern)")
            #expect(row.previousViews == Int64(raw.filter { !$0.isBot && $0.type == "pageview" && groupOf($0.path) == pattern && $0.ts.epochMillis >= a - span && $0.ts.epochMillis < a }.count))
        }
        #expect(!grouped.contains { $0.path.hasPrefix("/blog/") && !$0.isGroup } && grouped.first { $0.path == "/pricing" }?.isGroup == false)
        await #expect(throws: DomainError.self) {
            _ = try await db.write { tx in try await settings.set(AnalyticsService.pageGroupsSetting, to: .int(3), workspace: Self.ws, by: nil, in: tx) }
        }
        _ = try await db.write { tx in try await settings.set(AnalyticsService.pageGroupsSetting, to: .string(""), workspace: Self.ws, by: nil, in: tx) }
    }

    @Test(arguments: Engine.all)
    func dashboardFiguresMatchABruteForceRecount(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            // The site's zone is New York when its first events arrive, so its daily rollups count New York days:
            // New York ranges read them, Kolkata and Berlin ranges count raw sessions; both must match the recount.
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [AnalyticsSeed.conversionEvent], timeZone: "America/New_York")
            var gen = AnalyticsSeed(.init(workspace: Self.ws, events: 9000, days: 14, end: Self.now, seed: 7, timeZone: TimeZone(identifier: "America/New_York")!))
            while let part = gen.next(size: 700) { _ = try await store.insert(part, rules: rules) }
            // Hand-made: a visit across local midnight into the DST day in New York (23:50 EDT Oct 31 → 00:20 Nov 1),
            // one through the repeated hour (01:40 EDT, then 01:10 EST: 30 minutes later), one across midnight UTC
            // and Berlin, a bot, and another site's traffic that must not count.
            let handmade: [TrackedEvent] = [
                Self.ev("m1", "midnight", "pageview", "/", at: Self.iso("2026-11-01T03:50:00Z")),
                Self.ev("m2", "midnight", "pageview", "/pricing", at: Self.iso("2026-11-01T04:05:00Z")),
                Self.ev("m3", "midnight", "engagement", "/pricing", at: Self.iso("2026-11-01T04:20:00Z"), engaged: 40_000),
                Self.ev("d1", "dst", "pageview", "/", at: Self.iso("2026-11-01T05:40:00Z"), source: "Organic", browser: "Safari"),
                Self.ev("d2", "dst", "pageview", "/docs", at: Self.iso("2026-11-01T06:10:00Z")),
                Self.ev("u1", "utc-midnight", "pageview", "/", at: Self.iso("2026-11-02T22:55:00Z"), source: "Email"),
                Self.ev("u2", "utc-midnight", "engagement", "/", at: Self.iso("2026-11-02T23:20:00Z"), engaged: 5_000),
                Self.ev("u3", "utc-midnight", "pageview", "/blog", at: Self.iso("2026-11-02T23:45:00Z")),
                Self.ev("b1", "bot", "pageview", "/", at: Self.iso("2026-11-02T10:00:00Z"), bot: true),
                Self.ev("b2", "bot", "pageview", "/a", at: Self.iso("2026-11-02T10:00:01Z"), bot: true),
                Self.ev("o1", "other-site", "pageview", "/", at: Self.iso("2026-11-02T10:00:00Z"), ws: WorkspaceID(2)),
                Self.ev("o2", "other-site", "pageview", "/", at: Self.iso("2026-11-03T10:00:00Z"), ws: WorkspaceID(2)),
            ]
            _ = try await store.insert(handmade, rules: rules)

            let raw = try await store.events(Self.ws, limit: 1_000_000)
            #expect(raw.count > 8000)
            let (sessions, _) = Self.sessionize(raw)
            #expect(sessions.contains { $0.visitor == "dst" && $0.pageviews == 2 }, "the repeated DST hour stays one visit")
            // New visitors: their first visit that is not a bot's is in the range.
            let firstVisit = Dictionary(sessions.filter { !$0.isBot }.map { ($0.visitor, $0.start) }, uniquingKeysWith: min)
            let zones = try await t.db.read { try await $0.query("SELECT zone FROM tracking_rollup_zones WHERE workspace_id = 1").map { try $0.string("zone") } }
            #expect(zones == ["America/New_York"])

            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            let blocked = SQLBlockedNetworkStore(db: t.db)
            try await t.db.write { tx in
                _ = try await blocked.insert(cidr: "192.0.2.1/32", reason: "all sites", workspace: nil, by: nil, now: Self.now, expiresAt: nil, in: tx)
                _ = try await blocked.insert(cidr: "192.0.2.2/32", reason: "this site", workspace: Self.ws, by: nil, now: Self.now, expiresAt: nil, in: tx)
                _ = try await blocked.insert(cidr: "192.0.2.3/32", reason: "other site", workspace: WorkspaceID(2), by: nil, now: Self.now, expiresAt: nil, in: tx)
                _ = try await blocked.insert(cidr: "192.0.2.4/32", reason: "expired", workspace: nil, by: nil, now: Self.now.addingTimeInterval(-7200),
                                             expiresAt: Self.now.addingTimeInterval(-3600), in: tx)
            }
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: blocked, clock: ManualClock(Self.now))

            var checkedRanges = 0
            for zone in ["America/New_York", "Asia/Kolkata", "Europe/Berlin"] {
                let tz = TimeZone(identifier: zone)!
                _ = try await t.db.write { tx in try await settings.set("timezone", to: .string(zone), workspace: Self.ws, by: nil, in: tx) }
                for (preset, from, to) in [("today", nil, nil), ("yesterday", nil, nil), ("last_7_days", nil, nil), ("last_30_days", nil, nil), ("this_month", nil, nil),
                                           ("last_month", nil, nil), ("custom", "2026-10-31", "2026-11-01"), ("custom", "2026-10-25", "2026-10-25")] as [(String, String?, String?)] {
                    let range = try await analytics.range(Self.ws, preset: preset, from: from, to: to)
                    #expect(range.timeZone.identifier == zone)
                    let a = range.start.epochMillis, b = range.end.epochMillis
                    let d = try await analytics.dashboard(Self.ws, range: range)
                    let label = "\(engine) \(zone) \(preset) \(range.firstDay)…\(range.lastDay)"

                    let inRange = raw.filter { !$0.isBot && $0.ts.epochMillis >= a && $0.ts.epochMillis < b }
                    let started = sessions.filter { !$0.isBot && $0.start >= a && $0.start < b }
                    let visitors = Set(started.map(\.visitor))
                    #expect(d.summary.pageviews == Int64(inRange.filter { $0.type == "pageview" }.count), "page views, \(label)")
                    #expect(d.summary.events == Int64(inRange.count), "events, \(label)")
                    #expect(d.summary.engagedMs == inRange.reduce(0) { $0 + $1.engagedMs }, "engaged time, \(label)")
                    #expect(d.summary.sessions == Int64(started.count), "sessions, \(label)")
                    #expect(d.summary.bounces == Int64(started.filter(\.bounced).count), "bounces, \(label)")
                    #expect(d.summary.visitors == Int64(visitors.count), "unique visitors, \(label)")
                    #expect(d.summary.newVisitors == Int64(visitors.filter { firstVisit[$0]! >= a }.count), "new visitors, \(label)")

                    // Trend: one bucket per local day (a 25-hour day at the DST change is still one day).
                    let days = range.dayBoundaries
                    #expect(d.trend.count == days.count - 1)
                    for (i, bucket) in d.trend.enumerated() {
                        let (da, db) = (days[i].epochMillis, days[i + 1].epochMillis)
                        let s = started.filter { $0.start >= da && $0.start < db }
                        #expect(bucket.visitors == Int64(Set(s.map(\.visitor)).count) && bucket.sessions == Int64(s.count), "trend day \(i), \(label)")
                    }

                    // Breakdowns: page views by source and browser over the exact range; visits by the first event's source.
                    let bySource = Dictionary(grouping: inRange.filter { $0.type == "pageview" }, by: \.source).mapValues { Int64($0.count) }
                    let all = try await analytics.reports.breakdown(Self.ws, .source, from: range.start, to: range.end, limit: 100)
                    #expect(Dictionary(uniqueKeysWithValues: all.filter { $0.pageviews > 0 }.map { ($0.value, $0.pageviews) }) == bySource, "sources, \(label)")
                    let visitsBySource = Dictionary(grouping: started, by: \.source).mapValues { Int64($0.count) }
                    #expect(Dictionary(uniqueKeysWithValues: all.filter { $0.sessions > 0 }.map { ($0.value, $0.sessions) }) == visitsBySource, "visits by source, \(label)")
                    let byBrowser = Dictionary(grouping: inRange.filter { $0.type == "pageview" }, by: \.browser).mapValues { Int64($0.count) }
                    for row in d.browsers { #expect(row.pageviews == byBrowser[row.value] ?? 0, "browser \(row.value), \(label)") }

                    // Heatmap: visits by local weekday and hour of the hour they started in (whole-hour zones).
                    if tz.secondsFromGMT(for: range.start) % 3600 == 0 {
                        var cal = Calendar(identifier: .gregorian)
                        cal.timeZone = tz
                        var grid = Array(repeating: Array(repeating: Int64(0), count: 24), count: 7)
                        for s in started {
                            let c = cal.dateComponents([.weekday, .hour], from: Date(epochMillis: s.start))
                            grid[(c.weekday! + 5) % 7][c.hour!] += 1
                        }
                        #expect(d.heatmap == grid, "heatmap, \(label)")
                    }
                    #expect(d.threats == 2, "this site's and the installation's blocks, not another site's or expired ones")
                    checkedRanges += 1
                }
            }
            #expect(checkedRanges == 24)

            try await Self.checkPagesAndGeo(analytics: analytics, settings: settings, db: t.db, raw: raw, sessions: sessions)
            // The generated data has what the worked examples need.
            #expect(raw.contains { $0.utm["campaign"] == "summer-sale" && $0.source == "Paid" })
            #expect(Set(raw.map(\.device)).isSuperset(of: ["desktop", "mobile", "tablet"]))
            #expect(sessions.contains { $0.pageviews >= 3 } && sessions.contains(where: \.bounced))
        }
    }

    @Test(arguments: Engine.all)
    func liveAndRecentVisitorsReadTheNewestSessions(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules()
            _ = try await store.insert([
                Self.ev("l1", "recent", "pageview", "/pricing", at: Self.now.addingTimeInterval(-30)),
                Self.ev("l2", "older", "pageview", "/", at: Self.now.addingTimeInterval(-600)),
                Self.ev("l3", "bot", "pageview", "/", at: Self.now.addingTimeInterval(-10), bot: true),
                Self.ev("l4", "elsewhere", "pageview", "/", at: Self.now.addingTimeInterval(-10), ws: WorkspaceID(2)),
            ], rules: rules)
            let reports = SQLAnalyticsReports(db: t.db)
            let live = try await reports.recentSessions(Self.ws, since: Self.now.addingTimeInterval(-90), limit: 10)
            #expect(live.map(\.visitorKey) == ["recent"])
            #expect(live.first?.exitPath == "/pricing")
            let recent = try await reports.recentSessions(Self.ws, since: nil, limit: 10)
            #expect(recent.map(\.visitorKey) == ["recent", "older"], "newest first, bots and other sites left out")
        }
    }

    @Test(arguments: Engine.all)
    func visitorLogAndSessionFiltersMatchTheRawRows(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [AnalyticsSeed.conversionEvent])
            var gen = AnalyticsSeed(.init(workspace: Self.ws, events: 4000, days: 4, end: Self.now, seed: 11))
            while let part = gen.next(size: 800) { _ = try await store.insert(part, rules: rules) }
            let t0 = Self.now.addingTimeInterval(-3 * 3600)
            _ = try await store.insert([
                Self.ev("c1", "ada", "pageview", "/checkout", at: t0),
                Self.ev("c2", "ada", "pageview", "/checkout/thank-you", at: t0.addingTimeInterval(60)),
                Self.ev("c3", "ada", "engagement", "/checkout/thank-you", at: t0.addingTimeInterval(90), engaged: 30_000),
                Self.ev("x1", "bot", "pageview", "/", at: t0, bot: true),
                Self.ev("x2", "bot", "pageview", "/100%_off", at: t0.addingTimeInterval(1), bot: true),
                Self.ev("o1", "ada", "pageview", "/", at: t0, ws: WorkspaceID(2)),
            ], rules: rules)
            try await SQLVisitorLookup(db: t.db).attachIdentity(Self.ws, visitorKey: "ada", email: "ada@example.com", customerID: nil, name: "Ada")
            let lists = SQLAnalyticsLists(db: t.db)
            let (from, to) = (Self.now.addingTimeInterval(-7 * 86400), Self.now.addingTimeInterval(86400))
            let raw = try await store.events(Self.ws, limit: 100_000).filter { $0.type == "pageview" }

            // The campaign example: "summer-sale" finds the page views whose URL (UTM) or referrer carries it.
            let campaign = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: "summer-sale"), limit: 50, offset: 0)
            let expected = raw.filter { $0.url.contains("summer-sale") || $0.referrer.contains("summer-sale") }
            #expect(campaign.total == expected.count && campaign.total > 0)
            #expect(campaign.rows.allSatisfy { $0.url.contains("summer-sale") || $0.referrer.contains("summer-sale") })
            #expect(campaign.rows.map(\.at) == campaign.rows.map(\.at).sorted(by: >), "newest first")
            let paged = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: "summer-sale"), limit: 50, offset: 50)
            // A search's total stops counting one past its limit ("more than N"); the rows are the same.
            let few = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: "summer-sale", searchCountLimit: 5), limit: 50, offset: 0)
            #expect(expected.count > 6 && few.total == 6 && few.rows.map(\.id) == campaign.rows.map(\.id))
            #expect(try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: "summer-sale", searchCountLimit: expected.count), limit: 1, offset: 0).total
                    == expected.count, "at the limit the total is exact")
            #expect(Set(paged.rows.map(\.id)).isDisjoint(with: campaign.rows.map(\.id)))
            // A customer by email, an IP (every visit from it, this site only), the Paid source and mobile devices.
            let ada = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: "ADA@example"), limit: 50, offset: 0)
            #expect(ada.total == 2 && ada.rows.allSatisfy { $0.email == "ada@example.com" && $0.name == "Ada" })
            let byIP = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(ip: "198.51.100.7"), limit: 50, offset: 0)
            #expect(byIP.total == 4 && byIP.rows.contains { $0.isBot })
            let paid = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(source: "Paid", device: "mobile"), limit: 10_000, offset: 0)
            #expect(paid.total == raw.filter { $0.source == "Paid" && $0.device == "mobile" }.count && paid.total > 0)
            // The search box also takes an IP prefix and a country code (each only where it can match).
            let prefix = try #require(raw.first { !$0.ip.isEmpty && $0.ip.contains(".") }).ip.split(separator: ".").prefix(2).joined(separator: ".")
            let byPrefix = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: prefix), limit: 10_000, offset: 0)
            #expect(byPrefix.total == raw.filter { $0.ip.hasPrefix(prefix) || $0.url.contains(prefix) || $0.referrer.contains(prefix) }.count && byPrefix.total > 0)
            let country = try #require(raw.first { $0.country.count == 2 }).country
            let byCountry = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: country.lowercased()), limit: 10_000, offset: 0)
            #expect(byCountry.total == raw.filter { $0.country == country || $0.url.lowercased().contains(country.lowercased()) || $0.referrer.lowercased().contains(country.lowercased()) }.count)
            #expect(byCountry.rows.contains { $0.country == country })
            // Wildcards in the search are literal.
            #expect(try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: "100%_"), limit: 50, offset: 0).total == 1)
            #expect(try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(search: "1%0"), limit: 50, offset: 0).total == 0)
            // New only: visitors first seen in the range.
            let recent = Self.now.addingTimeInterval(-86400)
            let fresh = try await lists.visits(Self.ws, from: recent, to: to, filter: VisitFilter(newOnly: true), limit: 10_000, offset: 0)
            let firstSeen = Dictionary(raw.map { ($0.visitorKey, $0.ts) }, uniquingKeysWith: min)
            #expect(fresh.total == raw.filter { $0.ts >= recent && firstSeen[$0.visitorKey]! >= recent }.count)

            // Unfiltered totals come from the hourly `log` rollups plus the partial hours at both ends: the same
            // as counting the rows, bots included, for ranges with and without partial hours.
            func rawCount(_ a: Date, _ b: Date) -> Int { raw.filter { $0.ts >= a && $0.ts < b }.count }
            let ranges: [(Date, Date)] = [(from, to), (Self.now.addingTimeInterval(-2 * 86400 - 1234), Self.now.addingTimeInterval(-777)),
                                          (t0.addingTimeInterval(-1800), t0.addingTimeInterval(1800)), (t0.addingTimeInterval(-5), t0.addingTimeInterval(5)),
                                          (Self.now.addingTimeInterval(-3 * 86400), Self.now.addingTimeInterval(-3 * 86400 + 7200))]
            for (a, b) in ranges {
                let got = try await lists.visits(Self.ws, from: a, to: b, filter: VisitFilter(), limit: 1, offset: 0).total
                #expect(got == rawCount(a, b), "\(a) ..< \(b)")
            }
            // The migration's backfill writes the same hourly counts as ingest did.
            let ingestCounts = try await t.db.read { try await $0.query("SELECT workspace_id, hour, pageviews FROM tracking_rollups WHERE dim = 'log' ORDER BY workspace_id, hour") }
                .map { [try $0.int("workspace_id"), try $0.int("hour"), try $0.int("pageviews")] }
            let dialect = t.db.dialect
            try await t.db.transaction { tx in
                try await tx.execute("DELETE FROM tracking_rollups WHERE dim = 'log'")
                for sql in allMigrations.first(where: { $0.version == 25 })!.statements(DDL(dialect)) { try await tx.execute(sql) }
            }
            let backfilled = try await t.db.read { try await $0.query("SELECT workspace_id, hour, pageviews FROM tracking_rollups WHERE dim = 'log' ORDER BY workspace_id, hour") }
                .map { [try $0.int("workspace_id"), try $0.int("hour"), try $0.int("pageviews")] }
            #expect(backfilled == ingestCounts && !ingestCounts.isEmpty)
            // And the total really is read from them (not recounted): a whole hour's count moved by 1,000 shows.
            let before = try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(), limit: 1, offset: 0).total
            let hours = ingestCounts.filter { $0[0] == Self.ws.raw }.map { $0[1] }
            let anHour = hours[hours.count / 2]  // a whole hour inside the range (the oldest one is counted from the rows)
            try await t.db.transaction { try await $0.execute("UPDATE tracking_rollups SET pageviews = pageviews + 1000 WHERE dim = 'log' AND workspace_id = ? AND hour = ?",
                                                              [.int(Self.ws.raw), .int(anHour)]) }
            #expect(try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(), limit: 1, offset: 0).total == before + 1000)
            try await t.db.transaction { try await $0.execute("UPDATE tracking_rollups SET pageviews = pageviews - 1000 WHERE dim = 'log' AND workspace_id = ? AND hour = ?",
                                                              [.int(Self.ws.raw), .int(anHour)]) }

            // Sessions: filters, the customer's checkout visit, and its events in order.
            let all = try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(), limit: 100_000, offset: 0)
            #expect(all.total == all.rows.count && all.rows.allSatisfy { !$0.isBot })
            let newOnes = try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(kind: .new), limit: 1, offset: 0).total
            let returning = try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(kind: .returning), limit: 1, offset: 0).total
            #expect(newOnes + returning == all.total && returning > 0 && newOnes > returning)
            let paidSessions = try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(source: "Paid"), limit: 1, offset: 0).total
            #expect(paidSessions == all.rows.filter { $0.source == "Paid" }.count)
            let de = try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(country: "de"), limit: 100_000, offset: 0)
            #expect(de.total > 0 && de.rows.allSatisfy { $0.country == "DE" })
            let bounced = try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(flag: .bounced), limit: 100_000, offset: 0)
            #expect(bounced.total == all.rows.filter(\.bounced).count && bounced.rows.allSatisfy(\.bounced))
            let threats = try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(flag: .threats), limit: 10, offset: 0)
            #expect(threats.rows.map(\.visitorKey) == ["bot"])
            let found = try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(search: "ada@example.com"), limit: 10, offset: 0)
            #expect(found.rows.count == 1 && found.rows[0].exitPath == "/checkout/thank-you" && found.rows[0].pageviews == 2 && !found.rows[0].bounced)
            #expect(try await lists.sessions(Self.ws, from: from, to: to, filter: SessionFilter(search: "198.51.100"), limit: 10, offset: 0).total == 1,
                    "an IP seen in the session (the bot's is left out unless threats are asked for)")
            // Events log: a custom event by name, a keyword in the properties, the customer's email; this site only.
            let orders = try await lists.events(Self.ws, from: from, to: to, type: AnalyticsSeed.conversionEvent, search: "", limit: 10_000, offset: 0)
            let allEvents = try await store.events(Self.ws, limit: 100_000)
            #expect(orders.total == allEvents.filter { $0.name == AnalyticsSeed.conversionEvent }.count && orders.total > 0)
            #expect(orders.rows.allSatisfy { $0.event.type == "custom" && $0.event.props.contains("USD") })
            let custom = try await lists.events(Self.ws, from: from, to: to, type: "custom", search: "usd", limit: 1, offset: 0)
            #expect(custom.total == orders.total, "the keyword matches property values")
            let adas = try await lists.events(Self.ws, from: from, to: to, type: "", search: "ada@example.com", limit: 10, offset: 0)
            #expect(adas.rows.map(\.event.eventUID).sorted() == ["c1", "c2", "c3"] && adas.rows.allSatisfy { $0.email == "ada@example.com" })
            #expect(try await lists.events(Self.ws, from: from, to: to, type: "pageview", search: "", limit: 1, offset: 0).total == raw.count)
            // Without a search, the Events log's totals come from the hourly `etype`/`ename` counts plus the partial hours:
            // the same as counting the rows (bots included), for every kind, a type, a name, and ranges with partial hours.
            for (a, b) in ranges {
                for type in ["", "pageview", "engagement", "custom", AnalyticsSeed.conversionEvent, "no-such-event"] {
                    let expected = allEvents.filter { $0.ts >= a && $0.ts < b && (type.isEmpty || $0.type == type || $0.name == type) }.count
                    #expect(try await lists.events(Self.ws, from: a, to: b, type: type, search: "", limit: 1, offset: 0).total == expected, "\(type) \(a) ..< \(b)")
                }
            }
            // Migration 28's backfill writes the same hourly counts as ingest did, and the totals are read from them.
            let eventCounts = { try await t.db.read { try await $0.query("SELECT workspace_id, hour, dim, value, events FROM tracking_rollups WHERE dim IN ('etype', 'ename') ORDER BY workspace_id, hour, dim, value") }
                .map { "\(try $0.int("workspace_id")) \(try $0.int("hour")) \(try $0.string("dim")) \(try $0.string("value")) \(try $0.int("events"))" } }
            let countsKept = try await eventCounts()
            try await t.db.transaction { tx in
                try await tx.execute("DELETE FROM tracking_rollups WHERE dim IN ('etype', 'ename')")
                for sql in allMigrations.first(where: { $0.version == 28 })!.statements(DDL(dialect)) { try await tx.execute(sql) }
            }
            #expect(try await eventCounts() == countsKept && countsKept.contains { $0.contains(" ename \(AnalyticsSeed.conversionEvent) ") })
            let everything = try await lists.events(Self.ws, from: from, to: to, type: "", search: "", limit: 1, offset: 0).total
            try await t.db.transaction { try await $0.execute("UPDATE tracking_rollups SET events = events + 1000 WHERE dim = 'etype' AND workspace_id = ? AND hour = ? AND value = 'pageview'",
                                                              [.int(Self.ws.raw), .int(anHour)]) }
            #expect(try await lists.events(Self.ws, from: from, to: to, type: "", search: "", limit: 1, offset: 0).total == everything + 1000)
            #expect(try await lists.events(Self.ws, from: from, to: to, type: "pageview", search: "", limit: 1, offset: 0).total == raw.count + 1000)
            try await t.db.transaction { try await $0.execute("UPDATE tracking_rollups SET events = events - 1000 WHERE dim = 'etype' AND workspace_id = ? AND hour = ? AND value = 'pageview'",
                                                              [.int(Self.ws.raw), .int(anHour)]) }
            let events = try await lists.sessionEvents(Self.ws, session: found.rows[0].id, limit: 100)
            #expect(events.map(\.eventUID) == ["c1", "c2", "c3"])
            #expect(try await lists.session(WorkspaceID(2), id: found.rows[0].id) == nil, "another site cannot open it")
            // Top pages: support tickets and chats started on a page are the widget's custom events there (bots left out).
            func widgetEvent(_ id: String, _ name: String, _ path: String, bot: Bool = false) -> TrackedEvent {
                var e = Self.ev(id, "ada", "custom", path, at: t0.addingTimeInterval(120), bot: bot)
                e.name = name
                return e
            }
            _ = try await store.insert([widgetEvent("k1", "ticket_started", "/checkout"), widgetEvent("k2", "ticket_started", "/checkout"),
                                        widgetEvent("k3", "chat_started", "/checkout"), widgetEvent("k4", "ticket_started", "/checkout", bot: true),
                                        widgetEvent("k5", "ticket_started", "/"), widgetEvent("k6", "order_paid", "/checkout")], rules: rules)
            let pages = try await SQLAnalyticsReports(db: t.db).topPages(Self.ws, from: from, to: to, limit: 500, group: { _ in nil })
            let checkout = try #require(pages.first { $0.path == "/checkout" })
            #expect(checkout.tickets == 2 && checkout.chatStarts == 1)
            #expect(pages.first { $0.path == "/" }?.tickets == 1)
            #expect(pages.filter { $0.path != "/checkout" && $0.path != "/" }.allSatisfy { $0.tickets == 0 && $0.chatStarts == 0 })
            // After retention deleted old page views, a range reaching back before them is counted from the rows.
            let cutoff = Self.now.addingTimeInterval(-2 * 86400 - 1800)
            while try await SQLTrackingMaintenance(db: t.db).deleteEvents(Self.ws, before: cutoff, batch: 1000) > 0 {}
            let kept = raw.filter { $0.ts >= cutoff }
            #expect(try await lists.visits(Self.ws, from: from, to: to, filter: VisitFilter(), limit: 1, offset: 0).total == kept.filter { $0.ts < to }.count)
            let inside = (cutoff.addingTimeInterval(5400), to)
            #expect(try await lists.visits(Self.ws, from: inside.0, to: inside.1, filter: VisitFilter(), limit: 1, offset: 0).total
                    == kept.filter { $0.ts >= inside.0 && $0.ts < inside.1 }.count)
        }
    }
}
