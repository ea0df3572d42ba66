import Adapters
import Domain
import Foundation
import Ports
import Testing

/// The Intent funnel over a generated set of sessions whose class is known by construction, on both engines:
/// every session's class and rule, the counts, reached and drop-off figures, the editable page patterns and
/// their validation, and the comparison of two ranges.
@Suite struct IntentFunnelTests {
    static let ws = AnalyticsReportTests.ws
    static let now = AnalyticsReportTests.now

    /// A session of the given class for `visitor` starting at `t`: its events and a page that must appear in the reason.
    static func session(_ intent: Intent, variant: Int, visitor: String, at t: Date, ws: WorkspaceID = ws) -> [TrackedEvent] {
        var n = 0
        func pv(_ path: String, _ dt: Double) -> TrackedEvent {
            n += 1
            return AnalyticsReportTests.ev("\(visitor)-\(n)", visitor, "pageview", path, at: t.addingTimeInterval(dt), ws: ws)
        }
        func engaged(_ path: String, _ dt: Double, _ ms: Int64) -> TrackedEvent {
            n += 1
            return AnalyticsReportTests.ev("\(visitor)-\(n)", visitor, "engagement", path, at: t.addingTimeInterval(dt), engaged: ms, ws: ws)
        }
        switch intent {
        case .bouncing:
            // One page, a few seconds, even on a pricing page.
            return [pv(variant % 2 == 0 ? "/" : "/pricing", 0), engaged("/", 3, 4_000)]
        case .buying:
            return [pv("/", 0), pv("/pricing", 30), pv(variant % 2 == 0 ? "/checkout" : "/cart", 60), pv("/help/shipping", 90), engaged("/checkout", 100, 20_000)]
        case .support:
            return [pv("/features", 0), pv(variant % 2 == 0 ? "/help/shipping" : "/contact", 40), pv("/pricing", 80), engaged("/contact", 90, 15_000)]
        case .comparing:
            return [pv("/features", 0), pv("/pricing", 30), pv("/docs/getting-started", 60), engaged("/pricing", 70, 30_000)]
        case .researching:
            switch variant % 3 {
            case 0: return [pv("/blog/choosing-a-helpdesk", 0), pv("/docs/getting-started", 50), engaged("/docs/getting-started", 60, 20_000)]
            case 1: return [pv("/", 0), pv("/features", 20), engaged("/features", 90, 75_000)]
            default: return [pv("/", 0), pv("/about", 30), pv("/team", 60), pv("/jobs", 90), engaged("/jobs", 200, 150_000)]
            }
        case .browsing:
            return variant % 2 == 0 ? [pv("/", 0), pv("/about", 20), engaged("/about", 30, 12_000)]
                                    : [pv("/", 0), pv("/features", 20), engaged("/features", 30, 12_000)]  // one content page, read briefly
        }
    }

    /// Brute force over a generated set: deterministic pseudo-random classes and start times over ten days.
    static func generate(count: Int, seed: UInt64) -> (events: [TrackedEvent], expected: [String: Intent], starts: [String: Date]) {
        var rng = seed
        func next() -> UInt64 { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return rng >> 33 }
        var events: [TrackedEvent] = []
        var expected: [String: Intent] = [:]
        var starts: [String: Date] = [:]
        for i in 0..<count {
            let intent = Intent.allCases[Int(next() % 6)]
            let visitor = "v\(i)"
            let t = now.addingTimeInterval(-Double(next() % (10 * 86400)) - 600)
            events += session(intent, variant: Int(next() % 6), visitor: visitor, at: t)
            expected[visitor] = intent
            starts[visitor] = t
        }
        return (events, expected, starts)
    }

    @Test(arguments: Engine.all)
    func everySessionGetsItsKnownClassWithTheDecidingRule(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [])
            let (events, expected, starts) = Self.generate(count: 180, seed: 7)
            for part in stride(from: 0, to: events.count, by: 300) { _ = try await store.insert(Array(events[part..<min(part + 300, events.count)]), rules: rules) }
            // A bot and another site's buyer are left out.
            _ = try await store.insert([
                AnalyticsReportTests.ev("b1", "bot", "pageview", "/checkout", at: Self.now.addingTimeInterval(-3600), bot: true),
                AnalyticsReportTests.ev("b2", "bot", "pageview", "/cart", at: Self.now.addingTimeInterval(-3599), bot: true),
            ] + Self.session(.buying, variant: 0, visitor: "elsewhere", at: Self.now.addingTimeInterval(-3600), ws: WorkspaceID(2)), rules: rules)

            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let lists = SQLAnalyticsLists(db: t.db)
            let range = try await analytics.range(Self.ws, preset: "last_30_days")
            let funnel = try await analytics.intentFunnel(Self.ws, range: range, lists: lists)
            let listed = try await analytics.intentSessions(Self.ws, funnel: funnel, intent: nil, limit: 10_000, offset: 0, lists: lists)

            #expect(funnel.total == expected.count && funnel.pending == 0 && listed.total == expected.count)
            #expect(listed.rows.map(\.session.startedAt) == listed.rows.map(\.session.startedAt).sorted(by: >), "newest first")
            #expect(Set(listed.rows.map(\.session.visitorKey)) == Set(expected.keys) && listed.rows.count == expected.count, "bots and other sites left out")
            for c in listed.rows {
                #expect(c.intent == expected[c.session.visitorKey], "\(c.session.visitorKey): \(c.reason) pages \(c.pages)")
            }
            // The reasons name the rule and the page that decided it.
            let byVisitor = Dictionary(uniqueKeysWithValues: listed.rows.map { ($0.session.visitorKey, $0) })
            for (v, c) in byVisitor {
                switch c.intent {
                case .buying: #expect(c.reason.contains("/checkout") || c.reason.contains("/cart"), "\(v)")
                case .bouncing: #expect(c.reason == "left after one page in under 10 s")
                case .support: #expect(c.reason.contains("support page"))
                case .comparing: #expect(c.reason == "visited /pricing (comparison page /pricing*)")
                case .researching: #expect(c.reason.hasPrefix("read ") || c.reason.hasPrefix("4 pages"))
                case .browsing: #expect(c.reason.hasSuffix("no goal page"))
                }
            }
            // Counts, reached and drop-off against the known classes.
            for i in Intent.allCases { #expect(funnel.count(i) == expected.values.filter { $0 == i }.count, "\(i)") }
            let order = Intent.funnel
            for (k, i) in order.enumerated() {
                let reached = expected.values.filter { order[k...].contains($0) }.count
                #expect(funnel.reached(i) == reached)
                if k > 0 {
                    let prev = expected.values.filter { order[(k - 1)...].contains($0) }.count
                    #expect(abs(funnel.dropOff(i)! - Double(prev - reached) * 100 / Double(prev)) < 0.0001)
                } else { #expect(funnel.dropOff(i) == nil) }
            }

            // Two ranges: the last 7 days hold exactly the sessions that started in them.
            let week = try await analytics.range(Self.ws, preset: "last_7_days")
            let recent = try await analytics.intentFunnel(Self.ws, range: week, lists: lists)
            let inWeek = expected.filter { starts[$0.key]! >= week.start && starts[$0.key]! < week.end }
            #expect(recent.total == inWeek.count && recent.total < funnel.total && recent.total > 0)
            for i in Intent.allCases { #expect(recent.count(i) == inWeek.values.filter { $0 == i }.count) }

            // The patterns are editable per site: pricing pages under another name, and validated.
            _ = try await t.db.write { tx in try await settings.set("analytics.intent_comparing_pages", to: .string("/tarifs*, /pricing*"), workspace: Self.ws, by: nil, in: tx) }
            _ = try await store.insert([
                AnalyticsReportTests.ev("fr1", "fr", "pageview", "/", at: Self.now.addingTimeInterval(-300)),
                AnalyticsReportTests.ev("fr2", "fr", "pageview", "/tarifs", at: Self.now.addingTimeInterval(-280)),
            ], rules: rules)
            let again = try await analytics.intentFunnel(Self.ws, range: range, lists: lists)
            #expect(again.total == expected.count + 1 && again.pending == 0, "the new rules classify every session again")
            let comparingNow = try await analytics.intentSessions(Self.ws, funnel: again, intent: .comparing, limit: 1000, offset: 0, lists: lists)
            #expect(comparingNow.total == again.count(.comparing) && comparingNow.rows.count == comparingNow.total && comparingNow.rows.allSatisfy { $0.intent == .comparing })
            let fr = try #require(comparingNow.rows.first { $0.session.visitorKey == "fr" })
            #expect(fr.intent == .comparing && fr.reason == "visited /tarifs (comparison page /tarifs*)")
            let other = try await analytics.intentFunnel(WorkspaceID(2), range: range, lists: lists)
            #expect(other.total == 1 && other.count(.buying) == 1, "the other site keeps the defaults and its own sessions")
            await #expect(throws: DomainError.self) {
                _ = try await t.db.write { tx in try await settings.set("analytics.intent_buying_pages", to: .string("checkout"), workspace: Self.ws, by: nil, in: tx) }
            }
            do {
                _ = try await t.db.write { tx in try await settings.set("analytics.intent_buying_pages", to: .string("/cart, checkout"), workspace: Self.ws, by: nil, in: tx) }
                Issue.record("a pattern without a leading slash was accepted")
            } catch let DomainError.validation(field, message) {
                #expect(field == "analytics.intent_buying_pages" && message.contains("'checkout'"))
            }
        }
    }

    /// The classes are stored with the sessions: a session that grows is classified again, classes stamped against
    /// a session that changed meanwhile are refused, a partial run leaves the rest waiting (counted as pending),
    /// and paging walks the stored classes.
    @Test(arguments: Engine.all)
    func storedClassesFollowTheSessions(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [])
            let (events, expected, starts) = Self.generate(count: 60, seed: 11)
            _ = try await store.insert(events, rules: rules)
            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let lists = SQLAnalyticsLists(db: t.db)
            let range = try await analytics.range(Self.ws, preset: "last_30_days")
            let key = try await analytics.intentRules(Self.ws).key

            // A partial run: 25 classified, the other 35 wait and are counted as pending.
            #expect(try await analytics.classifyPendingSessions(Self.ws, from: range.start, to: range.end, lists: lists, limit: 25) == 25)
            let counts = try await lists.intentCounts(Self.ws, from: range.start, to: range.end, rulesKey: key, settledBefore: Self.now)
            #expect(counts[""] == 35 && counts.values.reduce(0, +) == 60)

            // A class stamped against an older state of the session (fewer events) is refused.
            let waiting = try await lists.pendingIntentSessions(Self.ws, from: range.start, to: range.end, rulesKey: key, after: nil, limit: 2)
            #expect(waiting.count == 2)
            let stale = IntentStamp(sessionID: waiting[0].session.id, lastAt: waiting[0].session.lastAt, events: waiting[0].events - 1, intent: "buying", reason: "stale")
            let fresh = IntentStamp(sessionID: waiting[1].session.id, lastAt: waiting[1].session.lastAt, events: waiting[1].events, intent: "browsing", reason: "test")
            #expect(try await lists.saveIntents(Self.ws, rulesKey: key, [stale, fresh]) == 1)
            // As ingest does when a session changes: it waits for its class again.
            _ = try await t.db.write { try await $0.execute("UPDATE tracking_sessions SET intent_rules = '' WHERE id = ?", [.int(waiting[1].session.id)]) }

            // The funnel classifies the rest; every class is the known one.
            let funnel = try await analytics.intentFunnel(Self.ws, range: range, lists: lists)
            #expect(funnel.total == 60 && funnel.pending == 0)
            for i in Intent.allCases { #expect(funnel.count(i) == expected.values.filter { $0 == i }.count, "\(i)") }

            // Paging walks every stored class once, newest first.
            var seen: [Int64] = []
            for page in 0..<4 {
                let p = try await analytics.intentSessions(Self.ws, funnel: funnel, intent: nil, limit: 16, offset: page * 16, lists: lists)
                #expect(p.total == 60)
                seen += p.rows.map(\.session.id)
            }
            #expect(seen.count == 60 && Set(seen).count == 60)

            // Whole days that are over and fully classified keep their counts (migration 29), and the funnel reads them.
            let cachedDays = try await t.db.read { try await $0.query("SELECT day, counts FROM tracking_intent_days WHERE workspace_id = ?", [.int(Self.ws.raw)]) }
            #expect(cachedDays.count > 3)
            let aDay = try cachedDays[0].int("day"), itsCounts = try cachedDays[0].string("counts")
            _ = try await t.db.write { try await $0.execute("UPDATE tracking_intent_days SET counts = ? WHERE workspace_id = ? AND day = ?", [.text("browsing=1000"), .int(Self.ws.raw), .int(aDay)]) }
            #expect(try await analytics.intentFunnel(Self.ws, range: range, lists: lists).count(.browsing) > 900)
            _ = try await t.db.write { try await $0.execute("UPDATE tracking_intent_days SET counts = ? WHERE workspace_id = ? AND day = ?", [.text(itsCounts), .int(Self.ws.raw), .int(aDay)]) }
            #expect(try await analytics.intentFunnel(Self.ws, range: range, lists: lists).counts == funnel.counts)

            // A browsing visitor who then reaches checkout in the same visit is buying: the grown session was classified again.
            // (One whose visit was days ago, so its day's counts were kept: the late event makes that day be counted again.)
            let browser = try #require(expected.first { $0.value == .browsing && starts[$0.key]! < Self.now.addingTimeInterval(-2 * 86400) }?.key)
            let s = try #require(try await analytics.intentSessions(Self.ws, funnel: funnel, intent: .browsing, limit: 100, offset: 0, lists: lists).rows
                .first { $0.session.visitorKey == browser })
            _ = try await store.insert([AnalyticsReportTests.ev("\(browser)-late", browser, "pageview", "/checkout", at: s.session.lastAt.addingTimeInterval(60))], rules: rules)
            let after = try await analytics.intentFunnel(Self.ws, range: range, lists: lists)
            #expect(after.count(.browsing) == funnel.count(.browsing) - 1 && after.count(.buying) == funnel.count(.buying) + 1 && after.total == 60)

            let buying = try await analytics.intentSessions(Self.ws, funnel: after, intent: .buying, limit: 100, offset: 0, lists: lists).rows
            #expect(buying.first { $0.session.id == s.session.id }?.reason == "visited /checkout (buying page /checkout*)")
        }
    }

    /// The widget's chat and ticket events make a visit support-seeking, a form submission makes a lead, and a chat
    /// scores; on both engines.
    @Test(arguments: Engine.all)
    func chatsTicketsAndFormsAreSignals(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let t0 = Self.now.addingTimeInterval(-7200)
            func ev(_ id: String, _ v: String, _ type: String, _ path: String, _ dt: Double, name: String = "", engaged: Int64 = 0) -> TrackedEvent {
                var e = AnalyticsReportTests.ev(id, v, type, path, at: t0.addingTimeInterval(dt), engaged: engaged)
                e.name = name
                return e
            }
            _ = try await store.insert([
                ev("t1", "tk", "pageview", "/", 0), ev("t2", "tk", "pageview", "/about", 20), ev("t3", "tk", "custom", "/about", 40, name: "ticket_started", engaged: 15_000),
                ev("c1", "ch", "pageview", "/", 0), ev("c2", "ch", "pageview", "/team", 20), ev("c3", "ch", "custom", "/team", 30, name: "chat_started"),
                ev("f1", "fm", "pageview", "/", 0), ev("f2", "fm", "pageview", "/about", 20), ev("f3", "fm", "form", "/about", 50, name: "contact"),
                ev("p1", "plain", "pageview", "/", 0), ev("p2", "plain", "pageview", "/about", 20, engaged: 12_000),
            ], rules: SessionRules(timeout: 30 * 60, conversionEvents: []))
            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let lists = SQLAnalyticsLists(db: t.db)
            let range = try await analytics.range(Self.ws, preset: "last_7_days")
            let funnel = try await analytics.intentFunnel(Self.ws, range: range, lists: lists)
            #expect(funnel.total == 4 && funnel.count(.support) == 2 && funnel.count(.browsing) == 2)
            let rows = try await analytics.intentSessions(Self.ws, funnel: funnel, intent: nil, limit: 10, offset: 0, lists: lists).rows
            let by = Dictionary(uniqueKeysWithValues: rows.map { ($0.session.visitorKey, $0) })
            #expect(by["tk"]?.intent == .support && by["tk"]?.reason == "opened a support ticket from the site")
            #expect(by["ch"]?.intent == .support && by["ch"]?.reason == "started a chat")
            #expect(by["fm"]?.intent == .browsing && by["fm"]?.signals[SessionSignal.form] == 1)
            let leads = try await analytics.leads(Self.ws, range: range, lists: lists)
            #expect(Set(leads.map(\.visitorKey)) == ["tk", "ch", "fm"], "a plain browsing visit is not a lead")
            let chat = try #require(leads.first { $0.visitorKey == "ch" }?.parts.first { $0.name == "Chat" })
            #expect(chat.points == 5 && chat.detail == "1 chat(s) started")
            #expect(leads.first { $0.visitorKey == "fm" }?.tip == "Submitted a form: answer while they are still on the site or the same day.")
        }
    }

    /// A backlog of sessions close in time is classified from one read of its time window (the batch path for
    /// 100 or more sessions within 6 hours): every class is the known one, and signals are found there too.
    @Test(arguments: Engine.all)
    func aBatchCloseInTimeGetsTheSameClasses(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            var rng: UInt64 = 5
            func next() -> UInt64 { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return rng >> 33 }
            var events: [TrackedEvent] = []
            var expected: [String: Intent] = [:]
            let t0 = Self.now.addingTimeInterval(-5 * 3600)
            for i in 0..<150 {
                let intent = Intent.allCases[Int(next() % 6)], visitor = "w\(i)"
                let at = t0.addingTimeInterval(Double(next() % (3 * 3600)))
                events += Self.session(intent, variant: Int(next() % 6), visitor: visitor, at: at)
                expected[visitor] = intent
            }
            // Two browsing visits that open a ticket or a chat are support-seeking; another visitor's earlier visit stays apart.
            var ticket = AnalyticsReportTests.ev("w-t", "tk", "custom", "/about", at: t0.addingTimeInterval(120)); ticket.name = "ticket_started"
            var chat = AnalyticsReportTests.ev("w-c", "ch", "custom", "/about", at: t0.addingTimeInterval(130)); chat.name = "chat_started"
            events += [AnalyticsReportTests.ev("w-t0", "tk", "pageview", "/", at: t0.addingTimeInterval(60)), AnalyticsReportTests.ev("w-t1", "tk", "pageview", "/about", at: t0.addingTimeInterval(90)), ticket,
                       AnalyticsReportTests.ev("w-c0", "ch", "pageview", "/", at: t0.addingTimeInterval(60)), AnalyticsReportTests.ev("w-c1", "ch", "pageview", "/about", at: t0.addingTimeInterval(90)), chat]
            expected["tk"] = .support; expected["ch"] = .support
            _ = try await store.insert(events.sorted { $0.ts < $1.ts }, rules: SessionRules(timeout: 30 * 60, conversionEvents: []))
            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let lists = SQLAnalyticsLists(db: t.db)
            let range = try await analytics.range(Self.ws, preset: "today")
            let funnel = try await analytics.intentFunnel(Self.ws, range: range, lists: lists)
            #expect(funnel.total == expected.count && funnel.pending == 0)
            let rows = try await analytics.intentSessions(Self.ws, funnel: funnel, intent: nil, limit: 1000, offset: 0, lists: lists).rows
            for r in rows { #expect(r.intent == expected[r.session.visitorKey], "\(r.session.visitorKey): \(r.reason) \(r.pages)") }
            #expect(rows.first { $0.session.visitorKey == "tk" }?.reason == "opened a support ticket from the site")
        }
    }

    /// Session templates for the leads set: pages in order, engaged time.
    static let templates: [(pages: [String], engaged: Int64)] = [
        (["/", "/about"], 12_000), (["/pricing", "/features"], 40_000), (["/pricing", "/pricing", "/checkout"], 90_000),
        (["/help/shipping", "/"], 20_000), (["/"], 2_000), (["/blog/a", "/docs/b"], 200_000),
    ]

    @Test(arguments: Engine.all)
    func leadScoresMatchABruteForceRecount(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: [])
            var rng: UInt64 = 99
            func next() -> UInt64 { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return rng >> 33 }
            struct Plan { var sessions: [(start: Date, template: Int)] }
            var plans: [String: Plan] = [:]
            for j in 0..<70 {
                var days = Set<Int>()
                let k = 1 + Int(next() % 4)
                while days.count < k { days.insert(Int(next() % 26)) }
                plans["l\(j)"] = Plan(sessions: days.sorted().map { d -> (start: Date, template: Int) in (Self.now.addingTimeInterval(-Double(d * 86400) - Double(next() % 36_000) - 600), Int(next() % 6)) })
            }
            plans["pricey"] = Plan(sessions: (1...3).map { d -> (start: Date, template: Int) in (Self.now.addingTimeInterval(-Double(d * 86400) - 7200), 1) })
            plans["hot"] = Plan(sessions: (0..<5).map { d -> (start: Date, template: Int) in (Self.now.addingTimeInterval(-Double(d * 86400) - 3600), 2) })
            var events: [TrackedEvent] = []
            for (v, p) in plans {
                for (si, s) in p.sessions.enumerated() {
                    let tpl = Self.templates[s.template]
                    for (i, path) in tpl.pages.enumerated() {
                        events.append(AnalyticsReportTests.ev("\(v)-\(si)-\(i)", v, "pageview", path, at: s.start.addingTimeInterval(Double(i) * 20)))
                    }
                    events.append(AnalyticsReportTests.ev("\(v)-\(si)-e", v, "engagement", tpl.pages.last!, at: s.start.addingTimeInterval(Double(tpl.pages.count) * 20 + 5),
                                                          engaged: tpl.engaged))
                }
            }
            events.sort { $0.ts < $1.ts }  // in arrival order
            for part in stride(from: 0, to: events.count, by: 300) { _ = try await store.insert(Array(events[part..<min(part + 300, events.count)]), rules: rules) }
            try await SQLVisitorLookup(db: t.db).attachIdentity(Self.ws, visitorKey: "hot", email: "hot@example.com", customerID: nil, name: "Hot Lead")

            let settings = SettingsService(store: SQLSettingsStore(db: t.db), db: t.db, clock: ManualClock(Self.now))
            let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: t.db), settings: settings, blocked: SQLBlockedNetworkStore(db: t.db), clock: ManualClock(Self.now))
            let range = try await analytics.range(Self.ws, preset: "last_30_days")
            let leads = try await analytics.leads(Self.ws, range: range, lists: SQLAnalyticsLists(db: t.db))

            // Brute force: a lead has a comparing (1), buying (2) or support (3) session; the score restated from the spec's parts.
            var expected: [String: Int] = [:]
            for (v, p) in plans where p.sessions.contains(where: { [1, 2, 3].contains($0.template) }) {
                let tpls = p.sessions.map { Self.templates[$0.template] }
                let pricing = tpls.reduce(0) { $0 + $1.pages.filter { $0 == "/pricing" }.count }
                let checkout = tpls.reduce(0) { $0 + $1.pages.filter { $0 == "/checkout" }.count }
                let engaged = tpls.reduce(Int64(0)) { $0 + $1.engaged }
                let last = p.sessions.map { $0.start.addingTimeInterval(Double(Self.templates[$0.template].pages.count) * 20 + 5) }.max()!
                let daysAgo = Int(Self.now.timeIntervalSince(last) / 86400)
                var utc = Calendar(identifier: .gregorian)
                utc.timeZone = TimeZone(identifier: "UTC")!
                let activeDays = Set(p.sessions.map { utc.startOfDay(for: $0.start) }).count
                var score = max(0, 20 * (30 - daysAgo) / 30)
                score += min(p.sessions.count, 5) * 3
                score += min(pricing, 4) * 5 + min(checkout, 2) * 10
                score += Int(min(engaged / 60_000, 10))
                score += activeDays >= 2 ? 5 : 0
                expected[v] = score
            }
            #expect(expected.count > 20 && expected.count < plans.count)
            #expect(Dictionary(uniqueKeysWithValues: leads.map { ($0.visitorKey, $0.score) }) == expected)
            #expect(leads.map(\.score) == leads.map(\.score).sorted(by: >), "highest score first")
            #expect(leads.allSatisfy { $0.parts.first { $0.name == "Chat" }?.points == 0 && $0.parts.reduce(0) { $0 + $1.max } == 100 })
            #expect(leads.allSatisfy { $0.highValue == ($0.score > 80) })
            let hot = try #require(leads.first)
            #expect(hot.visitorKey == "hot" && hot.score == 87 && hot.highValue && hot.email == "hot@example.com" && hot.sessions.count == 5)
            #expect(hot.pricingViews == 10 && hot.checkoutViews == 5 && hot.tip.hasPrefix("Reached checkout 5 time(s)"))
            for l in leads where l.checkoutViews == 0 && l.pricingViews >= 3 {
                #expect(l.tip == "Visited pricing \(l.pricingViews) times: consider proactive outreach.")
            }
            #expect(leads.contains { $0.checkoutViews == 0 && $0.pricingViews >= 3 }, "the set holds a repeated pricing visitor")
            #expect(try await analytics.leads(WorkspaceID(2), range: range, lists: SQLAnalyticsLists(db: t.db)).isEmpty, "another site has none")
        }
    }

    @Test func defaultRulesClassifyTheSpecExamples() {
        let r = IntentRules.defaults
        #expect(r.classify(pageviews: 1, engagedMs: 2_000, pages: ["/checkout": 1]).intent == .bouncing)
        #expect(r.classify(pageviews: 1, engagedMs: 40_000, pages: ["/checkout": 1]).intent == .buying, "one page read long enough is not a bounce")
        #expect(r.classify(pageviews: 2, engagedMs: 0, pages: ["/pricing": 1, "/signup": 1]).intent == .buying)
        #expect(r.classify(pageviews: 2, engagedMs: 0, pages: ["/pricing": 1, "/faq": 1]).intent == .support)
        #expect(r.classify(pageviews: 3, engagedMs: 0, pages: ["/pricing": 3]).intent == .comparing)
        #expect(r.classify(pageviews: 2, engagedMs: 0, pages: ["/blog/a": 1, "/blog/b": 1]).intent == .researching)
        #expect(r.classify(pageviews: 2, engagedMs: 5_000, pages: ["/": 1, "/about": 1]) == (.browsing, "2 page(s), 5 s engaged, no goal page"))
    }
}
