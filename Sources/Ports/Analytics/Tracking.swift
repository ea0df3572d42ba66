import Foundation

/// One enriched tracking event, ready to store.
public struct TrackedEvent: Sendable, Equatable {
    public var workspaceID: WorkspaceID
    public var eventUID: String
    public var visitorKey: String
    public var sessionHint: String
    public var type: String
    public var name: String
    public var ts: Date
    public var receivedAt: Date
    public var url: String
    public var path: String
    public var title: String
    public var referrer: String
    public var referrerDomain: String
    public var source: String
    public var utm: [String: String]
    public var country: String
    public var device: String
    public var browser: String
    public var browserVersion: String
    public var os: String
    public var osVersion: String
    public var ip: String
    public var screen: String
    public var lang: String
    public var engagedMs: Int64
    public var scrollPct: Int64
    public var props: String
    public var isBot: Bool
    /// City from the GeoIP City database when one is configured, else "".
    public var city: String

    public init(workspaceID: WorkspaceID, eventUID: String, visitorKey: String, sessionHint: String, type: String, name: String, ts: Date, receivedAt: Date,
                url: String, path: String, title: String, referrer: String, referrerDomain: String, source: String, utm: [String: String], country: String,
                device: String, browser: String, browserVersion: String, os: String, osVersion: String, ip: String, screen: String, lang: String,
                engagedMs: Int64, scrollPct: Int64, props: String, isBot: Bool, city: String = "") {
        self.workspaceID = workspaceID; self.eventUID = eventUID; self.visitorKey = visitorKey; self.sessionHint = sessionHint; self.type = type
        self.name = name; self.ts = ts; self.receivedAt = receivedAt; self.url = url; self.path = path; self.title = title; self.referrer = referrer
        self.referrerDomain = referrerDomain; self.source = source; self.utm = utm; self.country = country; self.device = device; self.browser = browser
        self.browserVersion = browserVersion; self.os = os; self.osVersion = osVersion; self.ip = ip; self.screen = screen; self.lang = lang
        self.engagedMs = engagedMs; self.scrollPct = scrollPct; self.props = props; self.isBot = isBot; self.city = city
    }
}

/// A visit: consecutive events of one visitor with no gap longer than the session timeout.
public struct TrackedSession: Sendable, Equatable {
    public var id: Int64
    public var visitorKey: String
    public var startedAt: Date
    public var lastAt: Date
    public var entryPath: String
    public var exitPath: String
    public var pageviews: Int
    public var events: Int
    public var engagedMs: Int64
    public var source: String
    public var country: String
    public var device: String
    public var converted: Bool
    /// A known bot, a headless browser, or a visit with no engagement (several pages within seconds, nothing else).
    public var isBot: Bool
    /// The city of its first event (when a GeoIP City database is configured).
    public var city: String
    public init(id: Int64, visitorKey: String, startedAt: Date, lastAt: Date, entryPath: String, exitPath: String, pageviews: Int, events: Int,
                engagedMs: Int64, source: String, country: String, device: String, converted: Bool, isBot: Bool = false, city: String = "") {
        self.city = city
        self.id = id; self.visitorKey = visitorKey; self.startedAt = startedAt; self.lastAt = lastAt; self.entryPath = entryPath; self.exitPath = exitPath
        self.pageviews = pageviews; self.events = events; self.engagedMs = engagedMs; self.source = source; self.country = country; self.device = device
        self.converted = converted; self.isBot = isBot
    }
    /// One page and under ten seconds of attention.
    public var bounced: Bool { pageviews <= 1 && engagedMs < 10_000 }
}

/// How events are grouped into sessions (workspace settings).
public struct SessionRules: Sendable, Equatable {
    public var timeout: TimeInterval
    /// Custom event names that count as a conversion.
    public var conversionEvents: Set<String>
    /// The site's time zone (an IANA name), for the daily rollups of a site's first sessions; nil: UTC.
    public var timeZone: String?
    public init(timeout: TimeInterval = 30 * 60, conversionEvents: Set<String> = [], timeZone: String? = nil) {
        self.timeout = timeout; self.conversionEvents = conversionEvents; self.timeZone = timeZone
    }
}

/// One row of an hourly rollup, summed over a time range: a value of a dimension (a page, a source...) and its counts.
public struct RollupRow: Sendable, Equatable {
    public var value: String
    public var pageviews: Int64
    public var events: Int64
    public var sessions: Int64
    public var engagedMs: Int64
    public init(value: String, pageviews: Int64, events: Int64, sessions: Int64, engagedMs: Int64) {
        self.value = value; self.pageviews = pageviews; self.events = events; self.sessions = sessions; self.engagedMs = engagedMs
    }
}

/// The dimensions kept in the hourly rollups.
public enum RollupDimension: String, Sendable, CaseIterable {
    case page, source, country, device, browser
}

/// Stores tracking events in multi-row batches; an event id seen before in the workspace is skipped.
public protocol TrackingStore: Sendable {
    /// Inserts the batch in one transaction, assigns each new event to its session (with each workspace's
    /// rules; defaults for a workspace not in `rules`) and adds it to the hourly rollups; returns how many were new.
    func insert(_ events: [TrackedEvent], rules: [WorkspaceID: SessionRules]) async throws -> Int
    /// The rollup of one dimension between two instants (whole hours), largest page-view count first.
    func rollup(_ workspace: WorkspaceID, _ dimension: RollupDimension, from: Date, to: Date, limit: Int) async throws -> [RollupRow]
    func sessions(_ workspace: WorkspaceID, limit: Int) async throws -> [TrackedSession]
    func events(_ workspace: WorkspaceID, limit: Int) async throws -> [TrackedEvent]
    func count(_ workspace: WorkspaceID) async throws -> Int
}

extension TrackingStore {
    /// Inserts a batch whose events all follow `rules`.
    public func insert(_ events: [TrackedEvent], rules: SessionRules) async throws -> Int {
        try await insert(events, rules: Dictionary(uniqueKeysWithValues: Set(events.map(\.workspaceID)).map { ($0, rules) }))
    }
}

/// Visitors as customers: finding the visitor an email belongs to, and attaching an identity.
public protocol VisitorLookup: Sendable {
    func visitorKey(_ workspace: WorkspaceID, email: String) async throws -> String?
    func attachIdentity(_ workspace: WorkspaceID, visitorKey: String, email: String?, customerID: String?, name: String?) async throws
    /// Every visitor (device, browser) identified as this customer, by email or customer id; oldest first.
    func visitorKeys(_ workspace: WorkspaceID, email: String?, customerID: String?) async throws -> [String]
    /// The customer's events across all their visitors (anonymous ones from before they identified included), oldest first.
    func timeline(_ workspace: WorkspaceID, email: String?, customerID: String?, limit: Int) async throws -> [TrackedEvent]
}

/// Analytics housekeeping and live reads.
public protocol TrackingMaintenance: Sendable {
    /// Deletes at most `batch` events older than `before` in one site; returns how many went.
    func deleteEvents(_ workspace: WorkspaceID, before: Date, batch: Int) async throws -> Int
    func deleteSessions(_ workspace: WorkspaceID, before: Date, batch: Int) async throws -> Int
    /// Deletes the per-visitor page and Geo days (daily rollups) of local days before `before`'s, for at most
    /// `batch` visitors after `after` in key order; returns the last visitor looked at (nil: the pass is over).
    func deletePresenceDays(_ workspace: WorkspaceID, before: Date, after: String, batch: Int) async throws -> String?
    /// Visitors with an event since `since` (the live feed's "active now"), newest first.
    func activeVisitors(_ workspace: WorkspaceID, since: Date, limit: Int) async throws -> [(visitorKey: String, lastSeen: Date, path: String, country: String, device: String)]
}
