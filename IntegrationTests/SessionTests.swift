import Adapters
import Domain
import Foundation
import Ports
import Testing

@Suite struct SessionTests {
    static func ev(_ id: String, _ visitor: String, _ type: String, _ path: String, at: Date, name: String = "", engaged: Int64 = 0) -> TrackedEvent {
        TrackedEvent(workspaceID: WorkspaceID(1), eventUID: id, visitorKey: visitor, sessionHint: "", type: type, name: name, ts: at, receivedAt: at,
                     url: "https://shop.example.com" + path, path: path, title: "", referrer: "", referrerDomain: "", source: "Direct", utm: [:], country: "US",
                     device: "desktop", browser: "Chrome", browserVersion: "120.0", os: "Windows", osVersion: "10", ip: "", screen: "", lang: "",
                     engagedMs: engaged, scrollPct: 0, props: "{}", isBot: false)
    }

    @Test(arguments: Engine.all)
    func sessionsAreAssembledAsEventsArrive(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let rules = SessionRules(timeout: 30 * 60, conversionEvents: ["order.completed"])
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            let first: [TrackedEvent] = [
                Self.ev("a2", "A", "pageview", "/b", at: t0.addingTimeInterval(300)),   // out of order on purpose
                Self.ev("a1", "A", "pageview", "/a", at: t0),
                Self.ev("a3", "A", "engagement", "/b", at: t0.addingTimeInterval(360), engaged: 20_000),
                Self.ev("b1", "B", "pageview", "/", at: t0.addingTimeInterval(10)),
            ]
            #expect(try await store.insert(first, rules: rules) == 4)
            #expect(try await store.insert(first, rules: rules) == 0, "a retried batch changes nothing")
            // The conversion arrives in a later batch, inside the same visit.
            #expect(try await store.insert([Self.ev("a4", "A", "custom", "/thanks", at: t0.addingTimeInterval(420), name: "order.completed")], rules: rules) == 1)
            // 45 minutes later: a new visit.
            #expect(try await store.insert([Self.ev("a5", "A", "pageview", "/c", at: t0.addingTimeInterval(45 * 60))], rules: rules) == 1)
            let sessions = try await store.sessions(WorkspaceID(1), limit: 10)
            let a = sessions.filter { $0.visitorKey == "A" }
            #expect(a.count == 2)
            #expect(a[0].entryPath == "/a" && a[0].exitPath == "/b" && a[0].pageviews == 2 && a[0].events == 4)
            #expect(a[0].engagedMs == 20_000 && a[0].converted && !a[0].bounced)
            #expect(a[0].lastAt.timeIntervalSince(a[0].startedAt) == 420, "duration from first to last event")
            #expect(a[1].entryPath == "/c" && a[1].pageviews == 1 && a[1].bounced && !a[1].converted)
            #expect(sessions.filter { $0.visitorKey == "B" }.count == 1)
            let unassigned = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE session_id IS NULL")?.int("n") }
            #expect(unassigned == 0, "every event points at its session")
        }
    }

    @Test(arguments: Engine.all)
    func laterBatchesExtendSessionsAndVisitorsWithoutTouchingTheirOtherColumns(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            // 250 visitors (more than one multi-row statement), each landing from a search engine on a phone in Germany.
            func landing(_ i: Int) -> TrackedEvent {
                var e = Self.ev("l\(i)", "v\(i)", "pageview", "/land", at: t0.addingTimeInterval(Double(i)))
                e.source = "Organic"; e.country = "DE"; e.device = "mobile"; e.browser = "Safari"; e.referrerDomain = "google.com"
                return e
            }
            #expect(try await store.insert((0..<250).map(landing), rules: SessionRules()) == 250)
            // A later batch: every visitor goes on (an event in another country and browser must not rewrite the session's
            // landing attributes), and visitor 0 also sends a late event from before its landing.
            var next = (0..<250).map { i in Self.ev("n\(i)", "v\(i)", "pageview", "/next", at: t0.addingTimeInterval(Double(600 + i))) }
            next.append(Self.ev("early", "v0", "engagement", "/land", at: t0.addingTimeInterval(-5), engaged: 1_000))
            #expect(try await store.insert(next, rules: SessionRules()) == 251)
            let sessions = try await store.sessions(WorkspaceID(1), limit: 1_000)
            #expect(sessions.count == 250, "one visit each")
            #expect(sessions.allSatisfy { $0.pageviews == 2 && $0.entryPath == "/land" && $0.exitPath == "/next" && $0.source == "Organic" && $0.country == "DE" && $0.device == "mobile" })
            let v0 = sessions.first { $0.visitorKey == "v0" }
            #expect(v0?.events == 3 && v0?.engagedMs == 1_000)
            let kept = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_sessions WHERE browser = 'Safari' AND referrer_domain = 'google.com'")?.int("n") }
            #expect(kept == 250, "columns the update does not own are kept")
            // Visitors: one row each, first seen at the landing, last seen at the latest event (never moved back).
            let rows = try await t.db.read { try await $0.query("SELECT visitor_key, first_seen_at, last_seen_at, country FROM visitors WHERE workspace_id = 1", []) }
            #expect(rows.count == 250)
            for r in rows {
                let i = Int(try r.string("visitor_key").dropFirst())!
                #expect(try r.int("first_seen_at") == t0.addingTimeInterval(Double(i)).epochMillis)
                #expect(try r.int("last_seen_at") == t0.addingTimeInterval(Double(600 + i)).epochMillis)
                #expect(try r.string("country") == "DE")
            }
            // An old event alone (already stored ones are later) leaves last seen where it was.
            #expect(try await store.insert([Self.ev("old", "v1", "engagement", "/land", at: t0.addingTimeInterval(30))], rules: SessionRules()) == 1)
            let v1 = try await t.db.read { try await $0.queryFirst("SELECT last_seen_at FROM visitors WHERE workspace_id = 1 AND visitor_key = 'v1'")?.int("last_seen_at") }
            #expect(v1 == t0.addingTimeInterval(601).epochMillis)
        }
    }
}

@Suite struct RetentionAndLiveTests {
    @Test(arguments: Engine.all)
    func retentionDeletesOnlyWhatIsTooOldInBatches(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
            let s = try makeServices(t, clock: clock)
            let a = try await s.setup.createSite(.init(name: "A", domain: "a.example.com"))
            let b = try await s.setup.createSite(.init(name: "B", domain: "b.example.com"))
            _ = try await t.db.transaction { try await s.settings.set("retention.days", to: .int(30), workspace: a.id, by: nil, in: $0) }
            let now = clock.now()
            func events(_ ws: Workspace, ageDays: Double, count: Int, prefix: String) -> [TrackedEvent] {
                (0..<count).map { i in
                    var e = SessionTests.ev("\(prefix)\(i)", "v\(prefix)\(i % 3)", "pageview", "/p\(i)", at: now.addingTimeInterval(-ageDays * 86400 + Double(i)))
                    e.workspaceID = ws.id
                    return e
                }
            }
            _ = try await s.tracking.insert(events(a, ageDays: 40, count: 23, prefix: "old") + events(a, ageDays: 5, count: 4, prefix: "new"), rules: SessionRules())
            _ = try await s.tracking.insert(events(b, ageDays: 40, count: 6, prefix: "b"), rules: SessionRules())
            var task = RetentionTask(db: s.db, workspaces: s.workspaces, settings: s.settings, maintenance: s.trackingMaintenance, clock: clock)
            task.batch = 5
            task.pause = 0
            let gone = try await task.run()
            #expect(gone.events == 23, "site A keeps 30 days; site B keeps the default 395")
            let leftA = try await s.tracking.count(a.id), leftB = try await s.tracking.count(b.id)
            #expect(leftA == 4 && leftB == 6)
            #expect(try await s.tracking.sessions(a.id, limit: 100).allSatisfy { now.timeIntervalSince($0.lastAt) < 30 * 86400 })
            #expect(try await task.run().events == 0, "nothing left to delete")
        }
    }

    @Test(arguments: Engine.all)
    func liveFeedShowsVisitorsActiveInTheLast90Seconds(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
            let s = try makeServices(t, clock: clock)
            let site = try await s.setup.createSite(.init(name: "A", domain: "a.example.com"))
            let now = clock.now()
            var recent = SessionTests.ev("r1", "here", "pageview", "/pricing", at: now.addingTimeInterval(-30)); recent.workspaceID = site.id
            var stale = SessionTests.ev("s1", "gone", "pageview", "/old", at: now.addingTimeInterval(-120)); stale.workspaceID = site.id
            var bot = SessionTests.ev("b1", "crawler", "pageview", "/", at: now.addingTimeInterval(-10)); bot.workspaceID = site.id; bot.isBot = true
            _ = try await s.tracking.insert([recent, stale, bot], rules: SessionRules())
            let live = try await s.actions.invoke("analytics.live", actor: .system("test"), siteKey: site.siteKey, params: [:], ip: "") { sk in
                try await s.db.read { try await s.workspaces.find(siteKey: sk, in: $0) }
            }
            #expect(live["active"]?.intValue == 1)
            #expect(live.encoded().contains("\"page\":\"/pricing\"") && !live.encoded().contains("gone") && !live.encoded().contains("crawler"))
            // The Live feed's filters: country, device and referrer narrow the list; bad values name the field.
            func liveWith(_ p: [String: JSONValue]) async throws -> JSONValue {
                try await s.actions.invoke("analytics.live", actor: .system("test"), siteKey: site.siteKey, params: p, ip: "") { sk in
                    try await s.db.read { try await s.workspaces.find(siteKey: sk, in: $0) }
                }
            }
            guard case .array(let rows)? = live["visitors"], let row = rows.first else { Issue.record("no live visitor"); return }
            #expect(row["intent"]?.stringValue == "bouncing", "one page so far, no engagement")
            // The spec's hot lead: the same visit goes on to checkout, and the live row says it is buying, with the rule.
            var checkout = SessionTests.ev("r2", "here", "pageview", "/checkout", at: now.addingTimeInterval(-20)); checkout.workspaceID = site.id
            _ = try await s.tracking.insert([checkout], rules: SessionRules())
            let hot = try await liveWith([:])
            guard case .array(let hotRows)? = hot["visitors"], let hotRow = hotRows.first else { Issue.record("no live visitor"); return }
            #expect(hotRow["page"]?.stringValue == "/checkout" && hotRow["intent"]?.stringValue == "buying")
            #expect(hotRow["intent_reason"]?.stringValue == "visited /checkout (buying page /checkout*)")
            let country = try #require(row["country"]?.stringValue), device = try #require(row["device"]?.stringValue)
            #expect(try await liveWith(["country": .string(country.lowercased()), "device": .string(device)])["active"]?.intValue == 1)
            #expect(try await liveWith(["country": .string(country == "ES" ? "FR" : "ES")])["active"]?.intValue == 0)
            #expect(try await liveWith(["device": .string(device == "mobile" ? "tablet" : "mobile")])["active"]?.intValue == 0)
            #expect(try await liveWith(["referrer": .string("no-such-referrer.example")])["active"]?.intValue == 0)
            await #expect(throws: DomainError.validation(field: "country", message: "must be a two-letter country code such as ES")) {
                _ = try await liveWith(["country": .string("Spain")])
            }
            await #expect(throws: DomainError.self) { _ = try await liveWith(["device": .string("toaster")]) }
        }
    }
}
