import Foundation
import Ports

/// What a session seems to be trying to do (10-analytics: Intent funnel). Heuristic, not AI: see `IntentRules.classify`.
public enum Intent: String, Sendable, CaseIterable, Equatable {
    case browsing, researching, comparing, buying, support, bouncing

    public var label: String {
        switch self {
        case .browsing: return "Browsing"
        case .researching: return "Researching"
        case .comparing: return "Comparing"
        case .buying: return "Buying"
        case .support: return "Support-seeking"
        case .bouncing: return "Bouncing"
        }
    }

    /// The funnel's stages in order; support-seeking and bouncing sessions stand beside it.
    public static let funnel: [Intent] = [.browsing, .researching, .comparing, .buying]
}

/// The page patterns that signal each intent, per site (settings `analytics.intent_*_pages`, `*` wildcard).
public struct IntentRules: Sendable, Equatable {
    public var buying: [String]
    public var comparing: [String]
    public var support: [String]
    public var research: [String]

    /// A session this long (engaged) over at least this many pages counts as researching even without a content page.
    public static let deepPages = 4
    public static let deepEngagedMs: Int64 = 120_000
    /// One content page read this long counts as researching.
    public static let readingMs: Int64 = 60_000

    public static let settingNames: [(Intent, String)] = [(.buying, "analytics.intent_buying_pages"), (.comparing, "analytics.intent_comparing_pages"),
                                                          (.support, "analytics.intent_support_pages"), (.researching, "analytics.intent_research_pages")]
    public static let defaultBuying = "/checkout*, /cart*, /basket*, /signup*, /register*, /order*"
    public static let defaultComparing = "/pricing*, /plans*, /compare*"
    public static let defaultSupport = "/help*, /support*, /contact*, /faq*"
    public static let defaultResearch = "/docs*, /blog*, /features*, /products*, /product/*, /guides*, /learn*"

    public init(buying: [String], comparing: [String], support: [String], research: [String]) {
        self.buying = buying; self.comparing = comparing; self.support = support; self.research = research
    }

    public static let defaults = IntentRules(buying: TrackingExclusions.entries(defaultBuying), comparing: TrackingExclusions.entries(defaultComparing),
                                             support: TrackingExclusions.entries(defaultSupport), research: TrackingExclusions.entries(defaultResearch))

    /// From a site's resolved settings (values were validated when saved).
    public init(settings: [SettingsService.Resolved]) {
        func list(_ name: String, _ fallback: String) -> [String] {
            TrackingExclusions.entries(settings.first { $0.name == name }?.value.stringValue ?? fallback)
        }
        self.init(buying: list("analytics.intent_buying_pages", Self.defaultBuying), comparing: list("analytics.intent_comparing_pages", Self.defaultComparing),
                  support: list("analytics.intent_support_pages", Self.defaultSupport), research: list("analytics.intent_research_pages", Self.defaultResearch))
    }

    /// The first page (in path order) matching one of `patterns`, with the pattern.
    static func firstMatch(_ patterns: [String], _ pages: [String: Int]) -> (path: String, pattern: String)? {
        for path in pages.keys.sorted() {
            if let p = patterns.first(where: { PagePattern.matches($0, path: path) }) { return (path, p) }
        }
        return nil
    }

    /// Classifies one session, first rule that applies wins, and says which rule decided:
    /// 1. one page and under 10 s of attention: bouncing;
    /// 2. a page matching the buying patterns (checkout, cart, signup): buying;
    /// 3. a support page (help, contact), a chat started or a support ticket opened from the widget: support-seeking;
    /// 4. a pricing or comparison page: comparing;
    /// 5. two or more content pages (docs, blog, features), or one read for a minute: researching;
    /// 6. four or more pages and two minutes engaged: researching;
    /// 7. otherwise browsing.
    /// `pages` maps each page path viewed to how often.
    /// `signals`: what the visitor did besides viewing pages (`SessionSignal`).
    public func classify(pageviews: Int, engagedMs: Int64, pages: [String: Int], signals: Set<String> = []) -> (intent: Intent, reason: String) {
        if pageviews <= 1 && engagedMs < 10_000 && signals.isEmpty { return (.bouncing, "left after one page in under 10 s") }
        if let m = Self.firstMatch(buying, pages) { return (.buying, "visited \(m.path) (buying page \(m.pattern))") }
        if let m = Self.firstMatch(support, pages) { return (.support, "visited \(m.path) (support page \(m.pattern))") }
        if signals.contains(SessionSignal.chat) { return (.support, "started a chat") }
        if signals.contains(SessionSignal.ticket) { return (.support, "opened a support ticket from the site") }
        if let m = Self.firstMatch(comparing, pages) { return (.comparing, "visited \(m.path) (comparison page \(m.pattern))") }
        let content = pages.keys.filter { p in research.contains { PagePattern.matches($0, path: p) } }.sorted()
        if content.count >= 2 { return (.researching, "read \(content.count) content pages (\(content.prefix(3).joined(separator: ", ")))") }
        if content.count == 1 && engagedMs >= Self.readingMs { return (.researching, "read \(content[0]) for \(engagedMs / 1000) s") }
        if pageviews >= Self.deepPages && engagedMs >= Self.deepEngagedMs {
            return (.researching, "\(pageviews) pages and \(engagedMs / 1000) s engaged")
        }
        return (.browsing, "\(pageviews) page(s), \(engagedMs / 1000) s engaged, no goal page")
    }
}

/// One session with its intent and the rule that decided it.
public struct ClassifiedSession: Sendable, Equatable {
    public var session: SessionRow
    public var pages: [String: Int]
    public var intent: Intent
    public var reason: String
    /// Chats, tickets and form submissions in the session (`SessionSignal` → count).
    public var signals: [String: Int] = [:]
    /// What Leads scores of the session (stored with its class).
    public var tally = LeadTally()
}

/// The funnel of one date range.
public struct IntentFunnel: Sendable {
    public var range: DateRange
    public var counts: [Intent: Int]
    /// Sessions of the range not classified yet: more were waiting than one request classifies
    /// (`AnalyticsService.intentInlineLimit`; the worker's `analytics.intent.classify` job does the rest within
    /// minutes), or they changed while being classified (they are live).
    public var pending: Int
    /// The key of the rules the counts were made under (sessions are listed under it).
    public var rulesKey: String

    public var total: Int { counts.values.reduce(0, +) }
    public func count(_ i: Intent) -> Int { counts[i] ?? 0 }
    /// Sessions at this funnel stage or a deeper one (browsing → researching → comparing → buying).
    public func reached(_ i: Intent) -> Int {
        guard let idx = Intent.funnel.firstIndex(of: i) else { return count(i) }
        return Intent.funnel[idx...].reduce(0) { $0 + count($1) }
    }
    /// Percent of the previous stage's sessions that did not reach this one (nil for the first stage).
    public func dropOff(_ i: Intent) -> Double? {
        guard let idx = Intent.funnel.firstIndex(of: i), idx > 0 else { return nil }
        let prev = reached(Intent.funnel[idx - 1])
        return prev == 0 ? 0 : Double(prev - reached(i)) * 100 / Double(prev)
    }
}

extension IntentRules {
    /// The counts Leads scores a session by: views of the pricing (comparison), checkout (buying) and support pages of
    /// these rules, form submissions and chats.
    public func tally(_ c: IntentCandidate) -> LeadTally {
        func count(_ patterns: [String]) -> Int {
            c.pages.reduce(0) { n, p in n + (patterns.contains { PagePattern.matches($0, path: p.key) } ? p.value : 0) }
        }
        return LeadTally(pricing: count(comparing), checkout: count(buying), support: count(support),
                         forms: c.signalCounts[SessionSignal.form] ?? 0, chats: c.signalCounts[SessionSignal.chat] ?? 0)
    }

    /// A key of these rules (and of the classifier's version): sessions classified under another key are classified again.
    public var key: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64 bits
        for b in ("intent-v3|" + [buying, comparing, support, research].map { $0.joined(separator: ",") }.joined(separator: "|")).utf8 {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension AnalyticsService {
    /// At most this many waiting sessions are classified while a page waits; the worker's job classifies the rest.
    public static let intentInlineLimit = 10_000
    public static let intentBatch = 2_000
    public static let intentClassifyJob = "analytics.intent.classify"

    public func intentRules(_ workspace: WorkspaceID) async throws -> IntentRules {
        IntentRules(settings: try await settings.resolved(workspace: workspace))
    }

    /// Classifies up to `limit` sessions of [from, to) that have no class under the site's current rules, oldest
    /// first, and stores their classes. Returns how many were stored.
    @discardableResult
    public func classifyPendingSessions(_ workspace: WorkspaceID, from: Date, to: Date, lists: any AnalyticsLists, limit: Int) async throws -> Int {
        let rules = try await intentRules(workspace)
        let key = rules.key
        var after: (Date, Int64)?
        var seen = 0, stored = 0
        while seen < limit {
            let batch = try await lists.pendingIntentSessions(workspace, from: from, to: to, rulesKey: key, after: after, limit: min(Self.intentBatch, limit - seen))
            guard let last = batch.last else { break }
            let stamps = batch.map { c -> IntentStamp in
                let (i, why) = rules.classify(pageviews: c.session.pageviews, engagedMs: c.session.engagedMs, pages: c.pages, signals: c.signals)
                return IntentStamp(sessionID: c.session.id, lastAt: c.session.lastAt, events: c.events, intent: i.rawValue, reason: why, tally: rules.tally(c))
            }
            stored += try await lists.saveIntents(workspace, rulesKey: key, stamps)
            seen += batch.count
            after = (last.session.startedAt, last.session.id)
        }
        return stored
    }

    /// The funnel of the range: every session (bots left out) that started in it, by class. Sessions not classified
    /// under the current rules yet (new or changed since) are classified first, up to `intentInlineLimit`.
    public func intentFunnel(_ workspace: WorkspaceID, range: DateRange, lists: any AnalyticsLists) async throws -> IntentFunnel {
        let key = try await intentRules(workspace).key
        var raw = try await lists.intentCounts(workspace, from: range.start, to: range.end, rulesKey: key, settledBefore: clock.now().addingTimeInterval(-3600))
        if (raw[""] ?? 0) > 0 {
            try await classifyPendingSessions(workspace, from: range.start, to: range.end, lists: lists, limit: Self.intentInlineLimit)
            raw = try await lists.intentCounts(workspace, from: range.start, to: range.end, rulesKey: key, settledBefore: clock.now().addingTimeInterval(-3600))
        }
        var counts: [Intent: Int] = [:]
        for (k, n) in raw { if let i = Intent(rawValue: k) { counts[i, default: 0] += n } }
        return IntentFunnel(range: range, counts: counts, pending: raw[""] ?? 0, rulesKey: key)
    }

    /// One page of the funnel's sessions (of one class, or all), newest first, with the total.
    public func intentSessions(_ workspace: WorkspaceID, funnel: IntentFunnel, intent: Intent?, limit: Int, offset: Int, lists: any AnalyticsLists) async throws
        -> (rows: [ClassifiedSession], total: Int) {
        let rows = try await lists.stampedSessions(workspace, from: funnel.range.start, to: funnel.range.end, rulesKey: funnel.rulesKey,
                                                   intents: intent.map { [$0.rawValue] } ?? [], limit: limit, offset: offset)
        return (rows.compactMap(Self.classified), intent.map { funnel.count($0) } ?? funnel.total)
    }

    /// The class each of these sessions has right now (the Live feed: live sessions change too often to store theirs).
    public func currentIntents(_ workspace: WorkspaceID, sessions: [SessionRow], lists: any AnalyticsLists) async throws -> [Int64: (intent: Intent, reason: String)] {
        guard !sessions.isEmpty else { return [:] }
        let rules = try await intentRules(workspace)
        let pages = try await lists.pages(workspace, sessions: sessions.map(\.id))
        var out: [Int64: (intent: Intent, reason: String)] = [:]
        for s in sessions {
            out[s.id] = rules.classify(pageviews: s.pageviews, engagedMs: s.engagedMs, pages: pages[s.id]?.pages ?? [:], signals: Set(pages[s.id]?.signals.keys.map { $0 } ?? []))
        }
        return out
    }

    static func classified(_ s: StampedSession) -> ClassifiedSession? {
        Intent(rawValue: s.intent).map { ClassifiedSession(session: s.session, pages: s.pages, intent: $0, reason: s.reason, signals: s.signals, tally: s.tally) }
    }
}
