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

    public init(workspaceID: WorkspaceID, eventUID: String, visitorKey: String, sessionHint: String, type: String, name: String, ts: Date, receivedAt: Date,
                url: String, path: String, title: String, referrer: String, referrerDomain: String, source: String, utm: [String: String], country: String,
                device: String, browser: String, browserVersion: String, os: String, osVersion: String, ip: String, screen: String, lang: String,
                engagedMs: Int64, scrollPct: Int64, props: String, isBot: Bool) {
        self.workspaceID = workspaceID; self.eventUID = eventUID; self.visitorKey = visitorKey; self.sessionHint = sessionHint; self.type = type
        self.name = name; self.ts = ts; self.receivedAt = receivedAt; self.url = url; self.path = path; self.title = title; self.referrer = referrer
        self.referrerDomain = referrerDomain; self.source = source; self.utm = utm; self.country = country; self.device = device; self.browser = browser
        self.browserVersion = browserVersion; self.os = os; self.osVersion = osVersion; self.ip = ip; self.screen = screen; self.lang = lang
        self.engagedMs = engagedMs; self.scrollPct = scrollPct; self.props = props; self.isBot = isBot
    }
}

/// Stores tracking events in multi-row batches; an event id seen before in the workspace is skipped.
public protocol TrackingStore: Sendable {
    /// Inserts the batch in one transaction; returns how many were new (duplicates are ignored).
    func insert(_ events: [TrackedEvent]) async throws -> Int
    func events(_ workspace: WorkspaceID, limit: Int) async throws -> [TrackedEvent]
    func count(_ workspace: WorkspaceID) async throws -> Int
}

/// Visitors as customers: finding the visitor an email belongs to, and attaching an identity.
public protocol VisitorLookup: Sendable {
    func visitorKey(_ workspace: WorkspaceID, email: String) async throws -> String?
    func attachIdentity(_ workspace: WorkspaceID, visitorKey: String, email: String?, customerID: String?, name: String?) async throws
}
