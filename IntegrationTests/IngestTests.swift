import Adapters
import Composition
import Hummingbird
import HummingbirdTesting
@testable import WebApp
import Domain
import Foundation
import Ports
import Testing

/// Hourly rollups, the group-commit ingestion queue, and its back-pressure, on both engines.
@Suite struct IngestTests {
    static func ev(_ id: String, _ visitor: String, _ type: String, _ path: String, at: Date, ws: Int64 = 1, source: String = "Direct",
                   country: String = "US", device: String = "desktop", browser: String = "Chrome", engaged: Int64 = 0, bot: Bool = false) -> TrackedEvent {
        var e = SessionTests.ev(id, visitor, type, path, at: at, engaged: engaged)
        e.workspaceID = WorkspaceID(ws); e.source = source; e.country = country; e.device = device; e.browser = browser; e.isBot = bot
        return e
    }

    @Test(arguments: Engine.all)
    func rollupsCountEveryEventOnceByHourAndDimension(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let h0 = Date(timeIntervalSince1970: 1_790_002_800)  // a whole hour
            let batch: [TrackedEvent] = [
                Self.ev("e1", "A", "pageview", "/", at: h0.addingTimeInterval(60), source: "Organic", country: "DE"),
                Self.ev("e2", "A", "pageview", "/pricing", at: h0.addingTimeInterval(120), source: "Organic", country: "DE"),
                Self.ev("e3", "A", "engagement", "/pricing", at: h0.addingTimeInterval(180), source: "Organic", country: "DE", engaged: 4_000),
                Self.ev("e4", "B", "pageview", "/", at: h0.addingTimeInterval(200), source: "Social", country: "FR", device: "mobile", browser: "Safari"),
                Self.ev("e5", "C", "pageview", "/", at: h0.addingTimeInterval(3_700), country: "US"),                     // the next hour
                Self.ev("e6", "D", "pageview", "/", at: h0.addingTimeInterval(300), browser: "Googlebot", bot: true),   // bots are left out
                Self.ev("e7", "A", "pageview", "/PRICING", at: h0.addingTimeInterval(240), source: "Organic", country: "DE"), // paths keep their case
            ]
            #expect(try await store.insert(batch, rules: SessionRules()) == 7)
            #expect(try await store.insert(batch, rules: SessionRules()) == 0, "a retried batch adds nothing")
            let ws = WorkspaceID(1)
            let pages = try await store.rollup(ws, .page, from: h0, to: h0.addingTimeInterval(7_200), limit: 10)
            let home = pages.first { $0.value == "/" }
            #expect(home?.pageviews == 3 && home?.sessions == 3, "\(pages)")
            #expect(pages.first { $0.value == "/pricing" }?.pageviews == 1)
            #expect(pages.first { $0.value == "/pricing" }?.engagedMs == 4_000)
            #expect(pages.first { $0.value == "/PRICING" }?.pageviews == 1)
            let firstHour = try await store.rollup(ws, .page, from: h0, to: h0.addingTimeInterval(3_600), limit: 10)
            #expect(firstHour.first { $0.value == "/" }?.pageviews == 2, "the hour boundary is respected")
            let sources = try await store.rollup(ws, .source, from: h0, to: h0.addingTimeInterval(7_200), limit: 10)
            #expect(sources.first { $0.value == "Organic" }?.pageviews == 3 && sources.first { $0.value == "Organic" }?.sessions == 1)
            #expect(sources.first { $0.value == "Social" }?.pageviews == 1)
            let countries = try await store.rollup(ws, .country, from: h0, to: h0.addingTimeInterval(7_200), limit: 10)
            #expect(countries.map(\.value).sorted() == ["DE", "FR", "US"])
            let devices = try await store.rollup(ws, .device, from: h0, to: h0.addingTimeInterval(7_200), limit: 10)
            #expect(devices.first { $0.value == "mobile" }?.sessions == 1)
            let browsers = try await store.rollup(ws, .browser, from: h0, to: h0.addingTimeInterval(7_200), limit: 10)
            #expect(!browsers.contains { $0.value == "Googlebot" })
            // The rollup agrees with the raw rows it summarises.
            let raw = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE workspace_id = 1 AND type = 'pageview' AND is_bot = 0")?.int("n") }
            #expect(Int64(pages.reduce(0) { $0 + $1.pageviews }) == raw)
            #expect(try await store.rollup(WorkspaceID(2), .page, from: h0, to: h0.addingTimeInterval(7_200), limit: 10).isEmpty, "scoped to the site")
        }
    }

    @Test(arguments: Engine.all)
    func concurrentBeaconsAreGroupCommittedAndAllStored(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = SQLTrackingStore(db: t.db)
            let ingest = TrackingIngest(store: store, lanes: engine == .sqlite ? 1 : 2, capacity: 10_000, maxGroup: 500)
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            let n = 600
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<n {
                    group.addTask {
                        let visitor = "v\(i % 150)"
                        return try await ingest.submit([Self.ev("u\(i)", visitor, i % 4 == 0 ? "engagement" : "pageview", "/p\(i % 7)", at: t0.addingTimeInterval(Double(i)))],
                                                       rules: SessionRules())
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == n)
            #expect(try await store.count(WorkspaceID(1)) == n, "every acknowledged event is in the store")
            let stats = ingest.stats
            #expect(stats.waiting == 0)
            #expect(stats.groups < n, "requests shared transactions (\(stats.groups) for \(n))")
            let sessions = try await store.sessions(WorkspaceID(1), limit: 1_000)
            #expect(sessions.count == 150, "one session per visitor, even with its events in different groups and lanes")
            #expect(sessions.reduce(0) { $0 + $1.events } == n)
            let unassigned = try await t.db.read { try await $0.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE session_id IS NULL")?.int("n") }
            #expect(unassigned == 0)
        }
    }

    /// A store that holds every insert until released, to fill the queue.
    final class GatedStore: TrackingStore, @unchecked Sendable {
        let inner: any TrackingStore
        let gate = AsyncGate()
        init(_ inner: any TrackingStore) { self.inner = inner }
        func insert(_ events: [TrackedEvent], rules: [WorkspaceID: SessionRules]) async throws -> Int {
            await gate.wait()
            return try await inner.insert(events, rules: rules)
        }
        func rollup(_ w: WorkspaceID, _ d: RollupDimension, from: Date, to: Date, limit: Int) async throws -> [RollupRow] { try await inner.rollup(w, d, from: from, to: to, limit: limit) }
        func sessions(_ w: WorkspaceID, limit: Int) async throws -> [TrackedSession] { try await inner.sessions(w, limit: limit) }
        func events(_ w: WorkspaceID, limit: Int) async throws -> [TrackedEvent] { try await inner.events(w, limit: limit) }
        func count(_ w: WorkspaceID) async throws -> Int { try await inner.count(w) }
    }

    actor AsyncGate {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        func wait() async {
            if open { return }
            await withCheckedContinuation { waiters.append($0) }
        }
        func release() { open = true; waiters.forEach { $0.resume() }; waiters = [] }
    }

    @Test(arguments: Engine.all)
    func aFullQueueRefusesAtOnceAndLosesNothingItAccepted(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let store = GatedStore(SQLTrackingStore(db: t.db))
            let ingest = TrackingIngest(store: store, lanes: 1, capacity: 50, maxGroup: 20)
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            // 50 single-event beacons fill the queue while the database is stalled.
            let pending = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<50 { group.addTask { try await ingest.submit([Self.ev("k\(i)", "v\(i)", "pageview", "/", at: t0)], rules: SessionRules()) } }
                    return try await group.reduce(0, +)
                }
            }
            while ingest.stats.waiting < 50 { try await Task.sleep(for: .milliseconds(5)) }
            // The next one is refused without waiting for the database.
            let started = Date()
            await #expect(throws: IngestOverloaded.self) {
                _ = try await ingest.submit([Self.ev("over", "vx", "pageview", "/", at: t0)], rules: SessionRules())
            }
            #expect(Date().timeIntervalSince(started) < 1)
            #expect(ingest.stats.peak == 50, "memory is bounded by the capacity")
            await store.gate.release()
            #expect(try await pending.value == 50)
            #expect(try await store.count(WorkspaceID(1)) == 50, "everything accepted was stored; the refused one was not")
            #expect(try await ingest.submit([Self.ev("after", "vx", "pageview", "/", at: t0)], rules: SessionRules()) == 1, "accepting again once drained")
        }
    }

    /// A store whose database is gone: every waiting request gets the error (the beacon answers 503), none hangs.
    struct FailingStore: TrackingStore {
        func insert(_ events: [TrackedEvent], rules: [WorkspaceID: SessionRules]) async throws -> Int { throw SQLError.unavailable(message: "connection refused") }
        func rollup(_ w: WorkspaceID, _ d: RollupDimension, from: Date, to: Date, limit: Int) async throws -> [RollupRow] { [] }
        func sessions(_ w: WorkspaceID, limit: Int) async throws -> [TrackedSession] { [] }
        func events(_ w: WorkspaceID, limit: Int) async throws -> [TrackedEvent] { [] }
        func count(_ w: WorkspaceID) async throws -> Int { 0 }
    }

    @Test func aDatabaseErrorReachesEveryWaitingRequest() async throws {
        let ingest = TrackingIngest(store: FailingStore(), lanes: 2, capacity: 1_000, maxGroup: 10)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        let failures = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<40 {
                group.addTask {
                    do { _ = try await ingest.submit([Self.ev("f\(i)", "v\(i)", "pageview", "/", at: t0)], rules: SessionRules()); return false } catch { return error is SQLError }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 40)
        #expect(ingest.stats.waiting == 0, "nothing is left queued")
    }
}

@Suite struct IdentityTimelineTests {
    /// A customer who browsed anonymously on a laptop, then identified on a phone and later on the laptop,
    /// has one timeline holding both devices' events, the anonymous ones from before identification included.
    @Test(arguments: Engine.all)
    func oneCustomerOnTwoDevicesHasOneTimeline(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
            let s = try makeServices(t, clock: clock)
            let site = try await s.setup.createSite(.init(name: "A", domain: "a.example.com"))
            let other = try await s.setup.createSite(.init(name: "B", domain: "b.example.com"))
            let t0 = clock.now().addingTimeInterval(-3_600)
            func ev(_ id: String, _ visitor: String, _ path: String, _ minutes: Double, ws: Workspace) -> TrackedEvent {
                var e = SessionTests.ev(id, visitor, "pageview", path, at: t0.addingTimeInterval(minutes * 60)); e.workspaceID = ws.id; return e
            }
            _ = try await s.tracking.insert([ev("l1", "laptop", "/pricing", 0, ws: site), ev("l2", "laptop", "/features", 1, ws: site)], rules: SessionRules())
            _ = try await s.tracking.insert([ev("p1", "phone", "/signup", 5, ws: site)], rules: SessionRules())
            _ = try await s.tracking.insert([ev("x1", "phone", "/elsewhere", 6, ws: other)], rules: SessionRules())
            try await s.visitors.attachIdentity(site.id, visitorKey: "phone", email: "jane@example.com", customerID: "cust_1", name: "Jane")
            try await s.visitors.attachIdentity(site.id, visitorKey: "laptop", email: nil, customerID: "cust_1", name: nil)
            try await s.visitors.attachIdentity(other.id, visitorKey: "phone", email: "jane@example.com", customerID: nil, name: nil)
            let keys = try await s.visitors.visitorKeys(site.id, email: "jane@example.com", customerID: "cust_1")
            #expect(Set(keys) == ["laptop", "phone"])
            let out = try await s.actions.invoke("visitors.timeline", actor: .system("test"), siteKey: site.siteKey, params: ["email": .string("Jane@Example.com"), "customer_id": .string("cust_1")], ip: "") { sk in
                try await s.db.read { try await s.workspaces.find(siteKey: sk, in: $0) }
            }
            guard case .array(let events)? = out["events"] else { Issue.record("no events in \(out)"); return }
            #expect(events.compactMap { $0["id"]?.stringValue } == ["l1", "l2", "p1"], "both devices, in time order, only this site's")
            let byId = try await s.visitors.timeline(site.id, email: nil, customerID: "cust_1", limit: 10)
            #expect(byId.map(\.eventUID) == ["l1", "l2", "p1"])
            await #expect(throws: DomainError.self) {
                _ = try await s.actions.invoke("visitors.timeline", actor: .system("test"), siteKey: site.siteKey, params: [:], ip: "") { sk in
                    try await s.db.read { try await s.workspaces.find(siteKey: sk, in: $0) }
                }
            }
        }
    }
}

/// The spooled path (the MariaDB default): a beacon is answered once its events are fsync'd to the local
/// spool; the drainer stores them. What survives: everything acknowledged, across a database outage and a restart.
@Suite struct SpooledIngestTests {
    static func tempDir() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-spool-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test(arguments: Engine.all)
    func beaconsOverHTTPAreSpooledThenStored(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let spool = try FileSpool(directory: Self.tempDir())
            let s = try makeServices(t, clock: SystemClock(), random: SystemRandom(), spool: spool)
            let site = try await s.setup.createSite(.init(name: "Shop", domain: "shop.example.com"))
            let payload = #"{"site_key":"\#(site.siteKey)","customer":{"id":"c7","email":"ann@example.com","name":"Ann"},"iat":\#(Int(Date().timeIntervalSince1970)),"exp":\#(Int(Date().timeIntervalSince1970) + 900)}"#
            let mac = s.digests.hmacSHA256(key: Array(site.siteSecret.utf8), message: Array(payload.utf8)).hexString
            let token = Data(payload.utf8).base64EncodedString() + "." + mac
            try await Application(router: try buildRouter(services: s, schema: SchemaState())).test(.live) { client in
                for i in 0..<20 {
                    var events = [BeaconTests.event("sp\(i)")]
                    if i == 0 { events.append(BeaconTests.event("id0", type: "identify", extra: ["identity": .object(["token": .string(token)])])) }
                    let r = try await client.execute(uri: "/beacon.php", method: .post, headers: [.origin: "https://shop.example.com", .userAgent: BeaconTests.chrome],
                                                     body: BeaconTests.body(site.siteKey, events, visitor: "vann\(i % 2)"))
                    #expect(r.status == .noContent)
                }
            }
            #expect(await s.ingest.waitUntilDrained(timeout: .seconds(20)))
            #expect(try await s.tracking.count(site.id) == 21)
            #expect(try await s.visitors.visitorKey(site.id, email: "ann@example.com") == "vann0", "identity attached after the drained insert")
            #expect(try await s.tracking.sessions(site.id, limit: 10).count == 2)
            s.ingest.stopDraining()
            await spool.close()
        }
    }

    @Test(arguments: Engine.all)
    func acknowledgedEventsSurviveADatabaseOutageAndARestart(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let dir = Self.tempDir()
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            // The database is down: beacons are still acknowledged (durably spooled); the drainer keeps retrying.
            var spool: FileSpool? = try FileSpool(directory: dir)
            let down = TrackingIngest(store: IngestTests.FailingStore(), spool: spool)
            for i in 0..<50 { #expect(try await down.submit([IngestTests.ev("o\(i)", "v\(i % 5)", "pageview", "/", at: t0.addingTimeInterval(Double(i)))], rules: SessionRules()) == 1) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(down.stats.failures >= 1 && down.stats.events == 0, "nothing stored while the database is down")
            down.stopDraining()
            try await Task.sleep(for: .milliseconds(400))  // the drainer notices the stop within its 200 ms wait
            await spool?.close()
            spool = nil
            // The process restarts with the database back: the spool from before is drained into the store.
            let reopened = try FileSpool(directory: dir)
            #expect(reopened.pendingBytes > 0)
            let store = SQLTrackingStore(db: t.db)
            let up = TrackingIngest(store: store, spool: reopened)
            up.startDraining()
            #expect(await up.waitUntilDrained(timeout: .seconds(20)))
            #expect(try await store.count(WorkspaceID(1)) == 50, "every acknowledged event is in the store, once")
            up.stopDraining()
            await reopened.close()
        }
    }

    @Test func aFullSpoolAnswersOverloaded() async throws {
        let spool = try FileSpool(directory: Self.tempDir(), maxPendingBytes: 4_096)
        let ingest = TrackingIngest(store: IngestTests.FailingStore(), spool: spool)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        var overloaded = false
        for i in 0..<100 {
            do { _ = try await ingest.submit([IngestTests.ev("f\(i)", "v", "pageview", "/", at: t0)], rules: SessionRules()) } catch is IngestOverloaded { overloaded = true; break }
        }
        #expect(overloaded, "a spool at its byte limit refuses (503) instead of growing")
        ingest.stopDraining()
        await spool.close()
    }
}

@Suite struct TrackingSiteCacheTests {
    final class Flaky: Sendable {
        let state = Mutex_<(fail: Bool, calls: Int)>((false, 0))
        var fail: Bool { get { state.get().fail } }
        var calls: Int { state.get().calls }
        func setFail(_ f: Bool) { state.withLock { $0.fail = f } }
    }

    /// Beacons keep being accepted (and spooled) while the database restarts: a known site is served from its last copy.
    @Test(arguments: Engine.all)
    func aKnownSiteIsServedFromItsLastCopyWhileTheDatabaseIsAway(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
            let s = try makeServices(t, clock: clock)
            let site = try await s.setup.createSite(.init(name: "A", domain: "a.example.com"))
            let flaky = Flaky()
            let cache = TrackingSiteCache(settings: s.settings, clock: clock, ttl: 5) { key in
                let fail = flaky.state.withLock { v -> Bool in v.calls += 1; return v.fail }
                if fail { throw SQLError.unavailable(message: "connection refused") }
                return try await s.db.read { try await s.workspaces.find(siteKey: key, in: $0) }
            }
            #expect(try await cache.site(site.siteKey)?.workspace.id == site.id)
            _ = try await cache.site(site.siteKey)
            #expect(flaky.calls == 1, "cached within the TTL")
            flaky.setFail(true)
            clock.advance(10)
            #expect(try await cache.site(site.siteKey)?.workspace.id == site.id, "stale copy while the database is away")
            await #expect(throws: SQLError.self) { _ = try await cache.site("site_unknown") }
            flaky.setFail(false)
            #expect(try await cache.site("site_unknown") == nil)
        }
    }
}
