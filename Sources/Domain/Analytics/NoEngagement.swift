import Foundation
import Ports

/// What a session did, reduced to the signals that tell a person from a page-fetching bot.
public struct SessionActivity: Sendable, Equatable {
    public var pageviews: Int
    public var firstAt: Date
    public var lastAt: Date
    /// Visible time reported by the widget's engagement events, summed.
    public var engagedMs: Int64
    /// Deepest scroll reached, 0-100.
    public var maxScrollPct: Int64
    /// Clicks on outbound links, form submissions, custom and identify events.
    public var interactions: Int

    public init(pageviews: Int, firstAt: Date, lastAt: Date, engagedMs: Int64, maxScrollPct: Int64, interactions: Int) {
        self.pageviews = pageviews; self.firstAt = firstAt; self.lastAt = lastAt
        self.engagedMs = engagedMs; self.maxScrollPct = maxScrollPct; self.interactions = interactions
    }

    /// Sums one session's events (nil for no events).
    public init?(events: [TrackedEvent]) {
        guard let first = events.map(\.ts).min(), let last = events.map(\.ts).max() else { return nil }
        var a = SessionActivity(pageviews: 0, firstAt: first, lastAt: last, engagedMs: 0, maxScrollPct: 0, interactions: 0)
        for e in events {
            switch e.type {
            case "pageview": a.pageviews += 1
            case "engagement", "scroll": break
            default: a.interactions += 1  // outbound, form, custom, identify
            }
            a.engagedMs += max(0, e.engagedMs)
            a.maxScrollPct = max(a.maxScrollPct, e.scrollPct)
        }
        self = a
    }

    public var duration: TimeInterval { lastAt.timeIntervalSince(firstAt) }
}

/// The "no engagement" bot rule. The spec (10-analytics: Visitor log, Live feed) tells bots by
/// sessions of 0-1 seconds that hit pages systematically; a person who loads several pages also
/// scrolls, stays visible or clicks. So: at least `minPageviews` pages within `withinSeconds`, and
/// no engaged time, no scroll and no interaction at all.
///
/// A single-page bounce is never flagged (people bounce too). Judge a session once it has ended (after
/// the session timeout), or judge again as events arrive: engagement that comes later clears the flag.
public struct NoEngagementRule: Sendable, Equatable {
    public var minPageviews: Int
    public var withinSeconds: TimeInterval

    public init(minPageviews: Int = 3, withinSeconds: TimeInterval = 10) {
        self.minPageviews = minPageviews
        self.withinSeconds = withinSeconds
    }

    public static let standard = NoEngagementRule()

    /// True when the session looks like a bot that fetched pages without anyone looking at them.
    public func flags(_ s: SessionActivity) -> Bool {
        s.pageviews >= minPageviews
            && s.duration <= withinSeconds
            && s.engagedMs == 0
            && s.maxScrollPct == 0
            && s.interactions == 0
    }
}
