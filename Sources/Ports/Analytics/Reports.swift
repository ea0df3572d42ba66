import Foundation

/// The headline figures of a date range. Bots are left out of all of them.
/// - Page views, events and engaged time: events whose time falls in the range.
/// - Sessions, bounces, unique and new visitors: sessions that started in the range (a session that crosses
///   midnight belongs to the day it started). A bounce is one page and under ten seconds of attention
///   (`TrackedSession.bounced`); a new visitor is one first seen within the range.
public struct TrafficSummary: Sendable, Equatable {
    public var pageviews: Int64
    public var events: Int64
    public var engagedMs: Int64
    public var sessions: Int64
    public var bounces: Int64
    public var visitors: Int64
    public var newVisitors: Int64
    public init(pageviews: Int64 = 0, events: Int64 = 0, engagedMs: Int64 = 0, sessions: Int64 = 0, bounces: Int64 = 0, visitors: Int64 = 0, newVisitors: Int64 = 0) {
        self.pageviews = pageviews; self.events = events; self.engagedMs = engagedMs; self.sessions = sessions; self.bounces = bounces
        self.visitors = visitors; self.newVisitors = newVisitors
    }
    public var returningVisitors: Int64 { visitors - newVisitors }
    /// Bounced sessions in percent (0 with no sessions).
    public var bounceRate: Double { sessions == 0 ? 0 : Double(bounces) * 100 / Double(sessions) }
    /// Engaged time per page view, in seconds.
    public var averageTimeOnPage: Double { pageviews == 0 ? 0 : Double(engagedMs) / Double(pageviews) / 1000 }
}

/// Unique visitors and sessions of one bucket (a day) of a range.
public struct TrafficBucket: Sendable, Equatable {
    public var start: Date
    public var visitors: Int64
    public var sessions: Int64
    public init(start: Date, visitors: Int64, sessions: Int64) { self.start = start; self.visitors = visitors; self.sessions = sessions }
}

/// A session as the lists show it (one row per visit).
public struct SessionRow: Sendable, Equatable {
    public var id: Int64
    public var visitorKey: String
    public var startedAt: Date
    public var lastAt: Date
    public var entryPath: String
    public var exitPath: String
    public var pageviews: Int
    public var engagedMs: Int64
    public var source: String
    public var referrerDomain: String
    public var country: String
    public var city: String
    public var device: String
    public var browser: String
    public var converted: Bool
    public var isBot: Bool
    public var email: String?
    public var name: String?
    public init(id: Int64, visitorKey: String, startedAt: Date, lastAt: Date, entryPath: String, exitPath: String, pageviews: Int, engagedMs: Int64, source: String,
                referrerDomain: String, country: String, city: String, device: String, browser: String, converted: Bool, isBot: Bool, email: String?, name: String?) {
        self.id = id; self.visitorKey = visitorKey; self.startedAt = startedAt; self.lastAt = lastAt; self.entryPath = entryPath; self.exitPath = exitPath
        self.pageviews = pageviews; self.engagedMs = engagedMs; self.source = source; self.referrerDomain = referrerDomain; self.country = country; self.city = city
        self.device = device; self.browser = browser; self.converted = converted; self.isBot = isBot; self.email = email; self.name = name
    }
    public var bounced: Bool { pageviews <= 1 && engagedMs < 10_000 }
    public var duration: TimeInterval { lastAt.timeIntervalSince(startedAt) }
}

/// Read-only analytics reports over the stored events, sessions and hourly rollups. Every method takes the
/// workspace first; ranges are [from, to).
public protocol AnalyticsReports: Sendable {
    func summary(_ workspace: WorkspaceID, from: Date, to: Date) async throws -> TrafficSummary
    /// Unique visitors and sessions per bucket; `boundaries` are the bucket edges (n + 1 instants for n buckets).
    func buckets(_ workspace: WorkspaceID, boundaries: [Date]) async throws -> [TrafficBucket]
    /// Sessions started per hour (from the rollups, bots left out), for the heatmap.
    func sessionsByHour(_ workspace: WorkspaceID, from: Date, to: Date) async throws -> [(hour: Date, sessions: Int64)]
    /// A rollup dimension over any range: whole hours from the rollups, the partial hours at either end from the raw rows.
    func breakdown(_ workspace: WorkspaceID, _ dimension: RollupDimension, from: Date, to: Date, limit: Int) async throws -> [RollupRow]
    /// The most recently active sessions (bots left out), newest first; `since` limits them to the live window.
    func recentSessions(_ workspace: WorkspaceID, since: Date?, limit: Int) async throws -> [SessionRow]
    /// The sessions active since `since` that match `filter` (bots left out), newest first: the Live feed.
    func liveSessions(_ workspace: WorkspaceID, since: Date, filter: LiveFilter, limit: Int) async throws -> [SessionRow]
    /// The most viewed pages of the range (bots left out), most views first. A page that `group` maps to a name
    /// (the site's page groups) is counted in that name's row, each visitor once per group; nil keeps the page its own row.
    func topPages(_ workspace: WorkspaceID, from: Date, to: Date, limit: Int, group: @Sendable (String) -> String?) async throws -> [PageRow]
    /// The range's visitors (each once), sessions, bounces and conversions from the given countries, or from all with nil.
    func geoTotal(_ workspace: WorkspaceID, from: Date, to: Date, countries: [String]?) async throws -> GeoRow
    /// Every country of the range, or with `country` the cities of that country; most visitors first.
    func geo(_ workspace: WorkspaceID, from: Date, to: Date, country: String?) async throws -> [GeoRow]
}

/// Filters of the Visitor log (one row per page view).
public struct VisitFilter: Sendable, Equatable {
    /// Matches the IP (prefix), page URL, referrer, country code or the customer's email.
    public var search: String
    /// A traffic source (Direct, Organic, Social, Referral, Paid, Email) or "" for all.
    public var source: String
    /// desktop, mobile, tablet or "".
    public var device: String
    /// Only visitors first seen within the range.
    public var newOnly: Bool
    /// Only this exact IP (the "all visits from this IP" link).
    public var ip: String
    /// With a search, the total is counted up to this many matches: a total above it means "more than this many"
    /// (a search reads the range's rows; counting stops once the answer is known to be large).
    public var searchCountLimit: Int
    public static let defaultSearchCountLimit = 10_000
    public init(search: String = "", source: String = "", device: String = "", newOnly: Bool = false, ip: String = "",
                searchCountLimit: Int = VisitFilter.defaultSearchCountLimit) {
        self.search = search; self.source = source; self.device = device; self.newOnly = newOnly; self.ip = ip; self.searchCountLimit = searchCountLimit
    }
}

/// One page view in the Visitor log.
public struct VisitRow: Sendable, Equatable {
    public var id: Int64
    public var sessionID: Int64?
    public var visitorKey: String
    public var at: Date
    public var ip: String
    public var country: String
    public var city: String
    public var url: String
    public var path: String
    public var referrer: String
    public var source: String
    public var device: String
    public var browser: String
    public var isBot: Bool
    public var email: String?
    public var name: String?
    public init(id: Int64, sessionID: Int64?, visitorKey: String, at: Date, ip: String, country: String, city: String, url: String, path: String, referrer: String,
                source: String, device: String, browser: String, isBot: Bool, email: String?, name: String?) {
        self.id = id; self.sessionID = sessionID; self.visitorKey = visitorKey; self.at = at; self.ip = ip; self.country = country; self.city = city; self.url = url
        self.path = path; self.referrer = referrer; self.source = source; self.device = device; self.browser = browser; self.isBot = isBot; self.email = email; self.name = name
    }
}

/// Filters of the Sessions list.
public struct SessionFilter: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case all = "", new, returning }
    public enum Flag: String, Sendable, CaseIterable { case none = "", bounced, threats }
    /// Matches an IP (prefix) or page URL seen in the session, its entry or exit page, referrer or the customer's email.
    public var search: String
    public var kind: Kind
    public var source: String
    public var country: String
    /// `threats` shows the sessions judged to be bots (otherwise they are left out); `bounced` only bounces.
    public var flag: Flag
    public init(search: String = "", kind: Kind = .all, source: String = "", country: String = "", flag: Flag = .none) {
        self.search = search; self.kind = kind; self.source = source; self.country = country; self.flag = flag
    }
}

/// Lists behind the Visitor log, Sessions and the session detail.
public protocol AnalyticsLists: Sendable {
    /// Page views in [from, to), newest first, and how many match in all.
    func visits(_ workspace: WorkspaceID, from: Date, to: Date, filter: VisitFilter, limit: Int, offset: Int) async throws -> (rows: [VisitRow], total: Int)
    /// Sessions started in [from, to), newest first, and how many match in all.
    func sessions(_ workspace: WorkspaceID, from: Date, to: Date, filter: SessionFilter, limit: Int, offset: Int) async throws -> (rows: [SessionRow], total: Int)
    func session(_ workspace: WorkspaceID, id: Int64) async throws -> SessionRow?
    /// The session's events in time order.
    func sessionEvents(_ workspace: WorkspaceID, session: Int64, limit: Int) async throws -> [TrackedEvent]
    /// Every event in [from, to), newest first, with the customer's email when known. `type` matches the event type
    /// (pageview, custom…) or a custom event's name; `search` the URL, the name, the properties or the email.
    func events(_ workspace: WorkspaceID, from: Date, to: Date, type: String, search: String, limit: Int, offset: Int) async throws
        -> (rows: [(event: TrackedEvent, email: String?)], total: Int)
    /// Sessions (bots left out) that started in the range, by Intent class under the rules `rulesKey`; the key ""
    /// counts the sessions not classified under these rules yet. A store may keep the counts of whole days that ended
    /// before `settledBefore` (and recount a day whenever its sessions change).
    func intentCounts(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String, settledBefore: Date) async throws -> [String: Int]
    /// The range's sessions (bots left out) not classified under `rulesKey`, oldest first, after `after` (started, id).
    func pendingIntentSessions(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String, after: (Date, Int64)?, limit: Int) async throws -> [IntentCandidate]
    /// Stores the classes; a session that changed since it was read is skipped. Returns how many were stored.
    func saveIntents(_ workspace: WorkspaceID, rulesKey: String, _ stamps: [IntentStamp]) async throws -> Int
    /// The range's sessions classified under `rulesKey` (of the given classes; all when empty), newest first.
    func stampedSessions(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String, intents: [String], limit: Int, offset: Int) async throws -> [StampedSession]
    /// The pages (path → views) and signals (`SessionSignal` → count) of the given sessions.
    func pages(_ workspace: WorkspaceID, sessions: [Int64]) async throws -> [Int64: (pages: [String: Int], signals: [String: Int])]
    /// Every classified session of the range whose visitor had a session of one of `intents`, or a form submission, in it, newest first.
    func leadSessions(_ workspace: WorkspaceID, from: Date, to: Date, rulesKey: String, intents: [String]) async throws -> [StampedSession]
}

/// A session with the pages viewed in it: path → views.
/// A session waiting for its Intent class: its row, the pages it viewed (path → views), and its event count,
/// which the class is stamped against (a session that changed meanwhile keeps waiting).
public struct IntentCandidate: Sendable, Equatable {
    public var session: SessionRow
    public var events: Int
    public var pages: [String: Int]
    /// What the visitor did besides viewing pages (`SessionSignal`) and how often.
    public var signalCounts: [String: Int]
    public var signals: Set<String> { Set(signalCounts.keys) }
    public init(session: SessionRow, events: Int, pages: [String: Int], signalCounts: [String: Int] = [:]) {
        self.session = session; self.events = events; self.pages = pages; self.signalCounts = signalCounts
    }
}

/// What Leads reads of a session, counted when it is classified (under the same rules, so it changes with its class):
/// views of pricing (comparison), checkout (buying) and support pages, form submissions and chats started.
public struct LeadTally: Sendable, Equatable {
    public var pricing = 0, checkout = 0, support = 0, forms = 0, chats = 0
    public init(pricing: Int = 0, checkout: Int = 0, support: Int = 0, forms: Int = 0, chats: Int = 0) {
        self.pricing = pricing; self.checkout = checkout; self.support = support; self.forms = forms; self.chats = chats
    }
}

/// Things a visitor did in a session that the Intent funnel and Leads read besides its pages: the widget's
/// `chat_started` and `ticket_started` events and form submissions.
public enum SessionSignal {
    public static let chat = "chat"
    public static let ticket = "ticket"
    public static let form = "form"
}

/// The class given to one session under a key of the site's intent rules.
public struct IntentStamp: Sendable, Equatable {
    public var sessionID: Int64
    public var lastAt: Date
    public var events: Int
    public var intent: String
    public var reason: String
    public var tally: LeadTally
    public init(sessionID: Int64, lastAt: Date, events: Int, intent: String, reason: String, tally: LeadTally = LeadTally()) {
        self.sessionID = sessionID; self.lastAt = lastAt; self.events = events; self.intent = intent; self.reason = reason; self.tally = tally
    }
}

/// A classified session with its pages (path → views), its class and the rule that decided it.
public struct StampedSession: Sendable, Equatable {
    public var session: SessionRow
    public var pages: [String: Int]
    public var intent: String
    public var reason: String
    /// What the visitor did besides viewing pages (`SessionSignal`) and how often.
    public var signals: [String: Int]
    /// The counts Leads reads, stored with the class.
    public var tally: LeadTally
    public init(session: SessionRow, pages: [String: Int], intent: String, reason: String, signals: [String: Int] = [:], tally: LeadTally = LeadTally()) {
        self.session = session; self.pages = pages; self.intent = intent; self.reason = reason; self.signals = signals; self.tally = tally
    }
}

/// One page on Top pages. Views, engaged time and the previous period's views come from the hourly rollups;
/// unique visitors from the page views; entries and bounces from the sessions that began on the page.
public struct PageRow: Sendable, Equatable {
    public var path: String
    public var views: Int64
    public var visitors: Int64
    public var engagedMs: Int64
    public var entries: Int64
    public var bounces: Int64
    /// Views in the period of the same length just before.
    public var previousViews: Int64
    /// Live chats started on this page (`chat_started` widget events; zero until the chat sends them).
    public var chatStarts: Int64
    /// Support tickets opened from the widget on this page (`ticket_started` widget events).
    public var tickets: Int64
    /// For a group row (`path` is its pattern): how many different pages of the range it holds; 0 for a single page.
    public var groupedPages: Int
    public init(path: String, views: Int64, visitors: Int64, engagedMs: Int64, entries: Int64, bounces: Int64, previousViews: Int64,
                chatStarts: Int64 = 0, tickets: Int64 = 0, groupedPages: Int = 0) {
        self.path = path; self.views = views; self.visitors = visitors; self.engagedMs = engagedMs; self.entries = entries; self.bounces = bounces
        self.previousViews = previousViews; self.chatStarts = chatStarts; self.tickets = tickets; self.groupedPages = groupedPages
    }
    public var isGroup: Bool { groupedPages > 0 }
    /// The widget's custom-event names counted per page.
    public static let chatStartedEvent = "chat_started"
    public static let ticketStartedEvent = "ticket_started"
    /// Bounced visits among those that began on this page, in percent.
    public var bounceRate: Double { entries == 0 ? 0 : Double(bounces) * 100 / Double(entries) }
    public var averageTime: Double { views == 0 ? 0 : Double(engagedMs) / Double(views) / 1000 }
}

/// One country (or one city of a country) on Geo intelligence: from the sessions that started in the range, bots left out.
public struct GeoRow: Sendable, Equatable {
    public var value: String
    public var visitors: Int64
    public var sessions: Int64
    public var bounces: Int64
    public var conversions: Int64
    public init(value: String, visitors: Int64, sessions: Int64, bounces: Int64, conversions: Int64) {
        self.value = value; self.visitors = visitors; self.sessions = sessions; self.bounces = bounces; self.conversions = conversions
    }
    public var bounceRate: Double { sessions == 0 ? 0 : Double(bounces) * 100 / Double(sessions) }
    public var conversionRate: Double { sessions == 0 ? 0 : Double(conversions) * 100 / Double(sessions) }
}

/// The Live feed's filters; empty values match everything. `referrer` matches part of the referring domain.
public struct LiveFilter: Sendable, Equatable {
    public var country: String
    public var device: String
    public var referrer: String
    public init(country: String = "", device: String = "", referrer: String = "") { self.country = country; self.device = device; self.referrer = referrer }
    public var isEmpty: Bool { country.isEmpty && device.isEmpty && referrer.isEmpty }
}

/// The named groups of countries Geo intelligence shows as one row each (key, name, countries). They live here,
/// beside the reports, because the daily Geo rollups count each group's visitors as sessions arrive.
public enum CountryGroupList {
    public static let all: [(key: String, name: String, countries: [String])] = [
        ("spanish", "Spanish-speaking", ["AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "ES", "GQ", "GT", "HN", "MX", "NI", "PA", "PE", "PR", "PY", "SV", "UY", "VE"]),
        ("english", "English-speaking", ["AU", "CA", "GB", "IE", "NZ", "US"]),
        ("german", "German-speaking", ["AT", "CH", "DE", "LI", "LU"]),
        ("french", "French-speaking", ["BE", "CA", "CH", "FR", "LU", "MC"]),
        ("portuguese", "Portuguese-speaking", ["AO", "BR", "CV", "MZ", "PT"]),
    ]
}
