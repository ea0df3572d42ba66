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
    /// 3. a support page (help, contact): support-seeking;
    /// 4. a pricing or comparison page: comparing;
    /// 5. two or more content pages (docs, blog, features), or one read for a minute: researching;
    /// 6. four or more pages and two minutes engaged: researching;
    /// 7. otherwise browsing.
    /// `pages` maps each page path viewed to how often.
    public func classify(pageviews: Int, engagedMs: Int64, pages: [String: Int]) -> (intent: Intent, reason: String) {
        if pageviews <= 1 && engagedMs < 10_000 { return (.bouncing, "left after one page in under 10 s") }
        if let m = Self.firstMatch(buying, pages) { return (.buying, "visited \(m.path) (buying page \(m.pattern))") }
        if let m = Self.firstMatch(support, pages) { return (.support, "visited \(m.path) (support page \(m.pattern))") }
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
}

/// The funnel of one date range.
public struct IntentFunnel: Sendable {
    public var range: DateRange
    public var counts: [Intent: Int]
    public var sessions: [ClassifiedSession]
    /// True when the range held more sessions than were classified (`AnalyticsService.intentSessionLimit`).
    public var truncated: Bool

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

extension AnalyticsService {
    /// At most this many sessions of a range are classified.
    public static let intentSessionLimit = 200_000

    public func intentRules(_ workspace: WorkspaceID) async throws -> IntentRules {
        IntentRules(settings: try await settings.resolved(workspace: workspace))
    }

    /// Classifies every session (bots left out) that started in the range.
    public func intentFunnel(_ workspace: WorkspaceID, range: DateRange, lists: any AnalyticsLists) async throws -> IntentFunnel {
        let rules = try await intentRules(workspace)
        let rows = try await lists.sessionPages(workspace, from: range.start, to: range.end, limit: Self.intentSessionLimit + 1)
        var counts: [Intent: Int] = [:]
        let classified = rows.prefix(Self.intentSessionLimit).map { r -> ClassifiedSession in
            let (i, why) = rules.classify(pageviews: r.session.pageviews, engagedMs: r.session.engagedMs, pages: r.pages)
            counts[i, default: 0] += 1
            return ClassifiedSession(session: r.session, pages: r.pages, intent: i, reason: why)
        }
        return IntentFunnel(range: range, counts: counts, sessions: classified, truncated: rows.count > Self.intentSessionLimit)
    }
}
