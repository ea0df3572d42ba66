import Foundation
import Ports
import Testing
@testable import Domain

@Suite struct NoEngagementTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func event(_ type: String, at seconds: Double, engaged: Int64 = 0, scroll: Int64 = 0, name: String = "") -> TrackedEvent {
        TrackedEvent(workspaceID: WorkspaceID(1), eventUID: UUID().uuidString, visitorKey: "v", sessionHint: "s", type: type, name: name,
                     ts: t0.addingTimeInterval(seconds), receivedAt: t0, url: "https://x.example/p", path: "/p", title: "", referrer: "",
                     referrerDomain: "", source: "Direct", utm: [:], country: "Unknown", device: "desktop", browser: "Chrome", browserVersion: "120",
                     os: "Linux", osVersion: "", ip: "203.0.113.1", screen: "", lang: "", engagedMs: engaged, scrollPct: scroll, props: "{}", isBot: false)
    }

    @Test func manyPagesInSecondsWithNothingElseIsFlagged() throws {
        let events = (0..<5).map { Self.event("pageview", at: Double($0) * 0.8) }
        let a = try #require(SessionActivity(events: events))
        #expect(a.pageviews == 5 && a.engagedMs == 0 && a.maxScrollPct == 0 && a.interactions == 0)
        #expect(abs(a.duration - 3.2) < 0.001)
        #expect(NoEngagementRule.standard.flags(a))
    }

    @Test func anySignOfAPersonClearsIt() throws {
        let pages = (0..<4).map { Self.event("pageview", at: Double($0)) }
        let rule = NoEngagementRule.standard
        #expect(rule.flags(try #require(SessionActivity(events: pages))))
        #expect(!rule.flags(try #require(SessionActivity(events: pages + [Self.event("engagement", at: 3.5, engaged: 1200)]))), "visible time")
        #expect(!rule.flags(try #require(SessionActivity(events: pages + [Self.event("scroll", at: 3.5, scroll: 25)]))), "a scroll")
        #expect(!rule.flags(try #require(SessionActivity(events: pages + [Self.event("outbound", at: 3.5, name: "https://elsewhere.example/")]))), "a click out")
        #expect(!rule.flags(try #require(SessionActivity(events: pages + [Self.event("form", at: 3.5, name: "signup")]))), "a form")
        #expect(!rule.flags(try #require(SessionActivity(events: pages + [Self.event("custom", at: 3.5, name: "plan_selected")]))), "a custom event")
    }

    @Test func fewPagesOrSlowBrowsingIsNotFlagged() throws {
        let rule = NoEngagementRule.standard
        // One or two pages: an ordinary bounce.
        #expect(!rule.flags(try #require(SessionActivity(events: [Self.event("pageview", at: 0)]))))
        #expect(!rule.flags(try #require(SessionActivity(events: [Self.event("pageview", at: 0), Self.event("pageview", at: 1)]))))
        // Three pages over a minute, even without engagement events (an old widget, a blocked beacon).
        #expect(!rule.flags(try #require(SessionActivity(events: [0, 30, 60].map { Self.event("pageview", at: $0) }))))
        // The limits are inclusive: exactly 3 pages in exactly 10 s is flagged.
        #expect(rule.flags(try #require(SessionActivity(events: [0, 5, 10].map { Self.event("pageview", at: $0) }))))
        #expect(!rule.flags(try #require(SessionActivity(events: [0, 5, 10.5].map { Self.event("pageview", at: $0) }))))
        #expect(SessionActivity(events: []) == nil)
    }

    @Test func theRuleCanBeTuned() {
        let a = SessionActivity(pageviews: 2, firstAt: Self.t0, lastAt: Self.t0.addingTimeInterval(1), engagedMs: 0, maxScrollPct: 0, interactions: 0)
        #expect(!NoEngagementRule.standard.flags(a))
        #expect(NoEngagementRule(minPageviews: 2, withinSeconds: 2).flags(a))
    }
}
