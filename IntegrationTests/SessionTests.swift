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
}
