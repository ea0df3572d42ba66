import Foundation
import Ports

/// The daily salt of cookieless visitor hashes. The current day's salt is kept in memory, so a beacon
/// reads the database only on the first request of a day; the store makes every process agree on it.
public final class VisitorSalts: Sendable {
    public static let jobKind = "analytics.visitor_salts"
    /// Salts whose day began more than this long ago are deleted (today's and yesterday's are kept).
    public static let keep: TimeInterval = 48 * 3600

    public let store: any VisitorSaltStore
    let digests: any Digests
    let clock: any TimeSource

    struct Cached: Sendable { let day: Int; let salt: String }
    private let cached = Mutex_<Cached?>(nil)

    public init(store: any VisitorSaltStore, digests: any Digests, clock: any TimeSource) {
        self.store = store; self.digests = digests; self.clock = clock
    }

    /// Whole UTC days since 1970-01-01.
    public static func day(of date: Date) -> Int { Int((date.timeIntervalSince1970 / 86400).rounded(.down)) }

    /// The salt in force at `now`.
    public func salt(now: Date) async throws -> String {
        let day = Self.day(of: now)
        if let c = cached.get(), c.day == day { return c.salt }
        let salt = try await store.salt(for: day)
        // A slow request for an earlier day must not replace a later day's salt.
        cached.withLock { c in if c == nil || c!.day <= day { c = Cached(day: day, salt: salt) } }
        return salt
    }

    /// The visitor key used when the widget sends no first-party id: "h" and 31 hex characters of
    /// SHA-256(salt|site|ip|user agent). Stable for one browser on one site for one UTC day, and
    /// impossible to recompute once the day's salt is deleted.
    public func visitorHash(siteKey: String, ip: String, userAgent: String, now: Date) async throws -> String {
        let salt = try await salt(now: now)
        return "h" + digests.sha256Hex("\(salt)|\(siteKey)|\(ip)|\(userAgent)").prefix(31)
    }

    /// The periodic job: makes today's and tomorrow's salts ahead of need and deletes the ones whose day
    /// began more than 48 hours ago. Returns how many were deleted.
    @discardableResult
    public func rotate() async throws -> Int {
        let today = Self.day(of: clock.now())
        _ = try await store.salt(for: today)
        _ = try await store.salt(for: today + 1)
        return try await store.deleteSalts(before: today - 1)
    }

    /// Hourly, so tomorrow's salt exists long before midnight and a missed run is soon made up.
    public static var periodicTask: PeriodicTask {
        PeriodicTask(name: jobKind, schedule: try! CronExpression("23 * * * *")) { _ in
            NewJob(kind: jobKind, payload: "{}", queue: "default", uniqueKey: jobKind)
        }
    }
}
