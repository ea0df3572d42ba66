import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// The daily visitor-hash salt on both engines: one salt per UTC day for every caller, rotation by the
/// periodic job, and deletion once a day began more than 48 hours ago.
@Suite struct VisitorSaltTests {
    /// 2026-09-21 12:00:00 UTC, mid-day so "advance 12 h" crosses midnight.
    static let noon = Date(timeIntervalSince1970: 1_790_000_000 - 1_790_000_000.truncatingRemainder(dividingBy: 86400) + 43_200)

    static func salts(_ t: TestDatabase, _ clock: ManualClock, seed: UInt64 = 1) -> VisitorSalts {
        VisitorSalts(store: SQLVisitorSaltStore(db: t.db, random: SeededRandom(seed: seed), clock: clock), digests: CryptoDigests(), clock: clock)
    }

    @Test(arguments: Engine.all)
    func oneSaltPerDayForEveryCaller(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Self.noon)
            let today = VisitorSalts.day(of: Self.noon)
            // Eight "processes" (separate services, separate caches, different random seeds) race for a new day's salt.
            let services = (0..<8).map { Self.salts(t, clock, seed: UInt64($0 + 1)) }
            let got = try await withThrowingTaskGroup(of: String.self) { group in
                for s in services { group.addTask { try await s.salt(now: Self.noon) } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(got.count == 8 && Set(got).count == 1, "every caller got the same salt")
            let salt = try #require(got.first)
            #expect(salt.count == 64 && salt.allSatisfy(\.isHexDigit) && salt == salt.lowercased(), "32 random bytes as hex")
            #expect(try await SQLVisitorSaltStore(db: t.db, random: SeededRandom(seed: 99), clock: clock).days() == [today])

            // The hash: "h" + 31 hex of SHA-256(salt|site|ip|ua), the same from every process on the day.
            let h1 = try await services[0].visitorHash(siteKey: "site_a", ip: "203.0.113.7", userAgent: "UA", now: Self.noon)
            let h2 = try await services[5].visitorHash(siteKey: "site_a", ip: "203.0.113.7", userAgent: "UA", now: Self.noon.addingTimeInterval(3600))
            #expect(h1 == h2)
            #expect(h1 == "h" + CryptoDigests().sha256Hex("\(salt)|site_a|203.0.113.7|UA").prefix(31))
            #expect(h1.count == 32 && h1.hasPrefix("h"))
            #expect(try await services[0].visitorHash(siteKey: "site_b", ip: "203.0.113.7", userAgent: "UA", now: Self.noon) != h1, "per site")
            #expect(try await services[0].visitorHash(siteKey: "site_a", ip: "203.0.113.8", userAgent: "UA", now: Self.noon) != h1)
            #expect(try await services[0].visitorHash(siteKey: "site_a", ip: "203.0.113.7", userAgent: "UA2", now: Self.noon) != h1)
        }
    }

    @Test(arguments: Engine.all)
    func differentDaysHaveDifferentSaltsAndHashes(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Self.noon)
            let s = Self.salts(t, clock)
            let today = try await s.salt(now: Self.noon)
            let later = try await s.salt(now: Self.noon.addingTimeInterval(11 * 3600 + 3599))
            #expect(today == later, "23:59:59 is the same UTC day")
            let tomorrow = try await s.salt(now: Self.noon.addingTimeInterval(12 * 3600))
            #expect(tomorrow != today, "midnight UTC starts a new salt")
            let hToday = try await s.visitorHash(siteKey: "site_a", ip: "203.0.113.7", userAgent: "UA", now: Self.noon)
            let hTomorrow = try await s.visitorHash(siteKey: "site_a", ip: "203.0.113.7", userAgent: "UA", now: Self.noon.addingTimeInterval(86400))
            #expect(hToday != hTomorrow, "yesterday's visitor cannot be linked to today's")
            // A request still finishing for the earlier day does not put that day's salt back in the cache.
            #expect(try await s.salt(now: Self.noon) == today)
            #expect(try await s.salt(now: Self.noon.addingTimeInterval(86400)) == tomorrow)
        }
    }

    @Test(arguments: Engine.all)
    func rotationMakesTomorrowAndDeletesAfter48Hours(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Self.noon)
            let s = Self.salts(t, clock)
            let store = SQLVisitorSaltStore(db: t.db, random: SeededRandom(seed: 7), clock: clock)
            let d0 = VisitorSalts.day(of: Self.noon)
            let first = try await s.salt(now: clock.now())

            #expect(try await s.rotate() == 0)
            #expect(try await store.days() == [d0, d0 + 1], "tomorrow's salt is made ahead")
            // Made ahead, it is the one used when the day comes.
            let madeAhead = try await store.salt(for: d0 + 1)
            clock.advance(24 * 3600)
            #expect(try await s.salt(now: clock.now()) == madeAhead)

            // A day later (day 0 began 36 h ago): still kept.
            #expect(try await s.rotate() == 0)
            #expect(try await store.days() == [d0, d0 + 1, d0 + 2])
            // 48 hours after day 0's noon, day 0 began 60 hours ago: deleted, and its salt is gone for good.
            clock.advance(24 * 3600)
            #expect(try await s.rotate() == 1)
            #expect(try await store.days() == [d0 + 1, d0 + 2, d0 + 3])
            let recreated = try await store.salt(for: d0)
            #expect(recreated != first, "a deleted salt is never recovered; asking again makes a new one")
            #expect(try await store.deleteSalts(before: d0 + 1) == 1)

            // Many days idle: one run deletes every old salt.
            clock.advance(10 * 86400)
            #expect(try await s.rotate() == 3)
            let d = VisitorSalts.day(of: clock.now())
            #expect(try await store.days() == [d, d + 1])
        }
    }

    /// The periodic task is registered with the scheduler and its job runs the rotation.
    @Test(arguments: Engine.all)
    func periodicJobIsRegistered(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Self.noon)
            let services = try makeServices(t, clock: clock)
            let task = try #require(services.periodicTasks().first { $0.name == VisitorSalts.jobKind })
            #expect(task.job(Self.noon).kind == VisitorSalts.jobKind)
            #expect(services.jobHandlers().kinds.contains(VisitorSalts.jobKind))
            // Run it through the real job runner.
            _ = try await services.db.transaction { try await services.jobs.enqueue(task.job(Self.noon), now: clock.now(), in: $0) }
            let runner = services.makeRunner(workerID: "salt-test", concurrency: 1)
            #expect(try await runner.drain() == 1)
            let d0 = VisitorSalts.day(of: Self.noon)
            #expect(try await services.enrichment.visitorSalts.store.days() == [d0, d0 + 1])
        }
    }
}
