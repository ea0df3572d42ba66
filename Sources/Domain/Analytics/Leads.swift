import Foundation
import Ports

/// One part of a lead's score.
public struct LeadScorePart: Sendable, Equatable {
    public var name: String
    public var points: Int
    public var max: Int
    public var detail: String
}

/// A visitor or customer with buying intent (a comparing or buying session) or support intent (20-sales: Leads).
public struct Lead: Sendable {
    public var visitorKey: String
    public var email: String?
    public var name: String?
    public var country: String
    public var city: String
    /// How they found you: the source of their first session in the range.
    public var source: String
    public var firstAt: Date
    public var lastAt: Date
    /// Their sessions in the range, newest first, each with its intent.
    public var sessions: [ClassifiedSession]
    public var pricingViews: Int
    public var checkoutViews: Int
    public var supportViews: Int
    public var engagedMs: Int64
    /// Distinct days (in the site's time zone) with a session.
    public var activeDays: Int
    public var converted: Bool
    public var parts: [LeadScorePart]
    public var score: Int { min(100, parts.reduce(0) { $0 + $1.points }) }
    public var highValue: Bool { score > 80 }
    public var tip: String
}

/// Lead scoring: 0 to 100 from these parts (the chat part counts the widget's `chat_started` events, which the live chat will send).
public enum LeadScoring {
    /// Points for recency: 20 when last seen today, one less for every 1.5 days, 0 after 30 days.
    public static func recency(daysAgo: Int) -> Int { max(0, 20 * (30 - daysAgo) / 30) }
    /// 3 points a session, at most 15 (five sessions).
    public static func frequency(sessions: Int) -> Int { min(sessions, 5) * 3 }
    /// 5 points a pricing (comparison) page view, at most 20.
    public static func pricing(views: Int) -> Int { min(views, 4) * 5 }
    /// 10 points a checkout (buying) page view, at most 20.
    public static func checkout(views: Int) -> Int { min(views, 2) * 10 }
    /// 1 point an engaged minute over all sessions, at most 10.
    public static func duration(engagedMs: Int64) -> Int { Int(min(engagedMs / 60_000, 10)) }
    /// 5 points a chat started (the widget's `chat_started` event), at most 10.
    public static func chat(chats: Int) -> Int { min(chats, 2) * 5 }
    /// 5 points for coming back on another day.
    public static func returns(activeDays: Int) -> Int { activeDays >= 2 ? 5 : 0 }

    public static func parts(daysAgo: Int, sessions: Int, pricingViews: Int, checkoutViews: Int, engagedMs: Int64, chats: Int, activeDays: Int) -> [LeadScorePart] {
        [LeadScorePart(name: "Recency", points: recency(daysAgo: daysAgo), max: 20, detail: daysAgo == 0 ? "seen today" : "last seen \(daysAgo) day(s) ago"),
         LeadScorePart(name: "Frequency", points: frequency(sessions: sessions), max: 15, detail: "\(sessions) session(s)"),
         LeadScorePart(name: "Pricing visits", points: pricing(views: pricingViews), max: 20, detail: "\(pricingViews) pricing page view(s)"),
         LeadScorePart(name: "Checkout visits", points: checkout(views: checkoutViews), max: 20, detail: "\(checkoutViews) checkout page view(s)"),
         LeadScorePart(name: "Session duration", points: duration(engagedMs: engagedMs), max: 10, detail: "\(engagedMs / 60_000) engaged minute(s)"),
         LeadScorePart(name: "Chat", points: chat(chats: chats), max: 10, detail: chats == 0 ? "no chats" : "\(chats) chat(s) started"),
         LeadScorePart(name: "Return visits", points: returns(activeDays: activeDays), max: 5, detail: "active on \(activeDays) day(s)")]
    }

    /// A rule-based next step.
    public static func tip(pricingViews: Int, checkoutViews: Int, supportViews: Int, sessions: Int, converted: Bool, identified: Bool, forms: Int = 0) -> String {
        if converted { return "Already bought: thank them and look for an upsell or a referral." }
        if checkoutViews > 0 { return "Reached checkout \(checkoutViews) time(s) without buying: follow up on what stopped them (payment, shipping, price)." }
        if pricingViews >= 3 { return "Visited pricing \(pricingViews) times: consider proactive outreach." }
        if supportViews > 0 { return "Looked for help: reach out before they open a ticket or leave." }
        if forms > 0 { return "Submitted \(forms == 1 ? "a form" : "\(forms) forms"): answer while they are still on the site or the same day." }
        if sessions >= 3 { return "Came back \(sessions) times without buying: offer a demo or a guide." }
        if !identified { return "Anonymous: offer a resource in exchange for an email on the pricing page." }
        return "Compared plans: send a short note about the plan that fits them."
    }
}

extension AnalyticsService {
    /// Leads of the range, highest score first: visitors with a buying, comparing or support session, or a form submission.
    public func leads(_ workspace: WorkspaceID, range: DateRange, lists: any AnalyticsLists) async throws -> [Lead] {
        let funnel = try await intentFunnel(workspace, range: range, lists: lists)  // classifies what is waiting
        let leadIntents = [Intent.buying, .comparing, .support]
        let classified = try await lists.leadSessions(workspace, from: range.start, to: range.end, rulesKey: funnel.rulesKey,
                                                      intents: leadIntents.map(\.rawValue)).compactMap(Self.classified)
        let now = clock.now()
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = range.timeZone
        var out: [Lead] = []
        for (key, list) in Dictionary(grouping: classified, by: \.session.visitorKey) {
            let forms = list.reduce(0) { $0 + $1.tally.forms }
            let chats = list.reduce(0) { $0 + $1.tally.chats }
            guard list.contains(where: { leadIntents.contains($0.intent) }) || forms > 0 else { continue }
            let sessions = list.sorted { ($0.session.startedAt, $0.session.id) > ($1.session.startedAt, $1.session.id) }
            let newest = sessions[0].session, oldest = sessions[sessions.count - 1].session
            let pricing = sessions.reduce(0) { $0 + $1.tally.pricing }
            let checkout = sessions.reduce(0) { $0 + $1.tally.checkout }
            let support = sessions.reduce(0) { $0 + $1.tally.support }
            let engaged = sessions.reduce(Int64(0)) { $0 + $1.session.engagedMs }
            let lastAt = sessions.map(\.session.lastAt).max()!
            let days = Set(sessions.map { cal.startOfDay(for: $0.session.startedAt) }).count
            let daysAgo = max(0, Int(now.timeIntervalSince(lastAt) / 86400))
            let converted = sessions.contains { $0.session.converted }
            let ident = sessions.first { $0.session.email != nil || $0.session.name != nil }?.session
            out.append(Lead(visitorKey: key, email: ident?.email, name: ident?.name, country: newest.country, city: newest.city, source: oldest.source,
                            firstAt: oldest.startedAt, lastAt: lastAt, sessions: sessions, pricingViews: pricing, checkoutViews: checkout, supportViews: support,
                            engagedMs: engaged, activeDays: days, converted: converted,
                            parts: LeadScoring.parts(daysAgo: daysAgo, sessions: sessions.count, pricingViews: pricing, checkoutViews: checkout, engagedMs: engaged,
                                                     chats: chats, activeDays: days),
                            tip: LeadScoring.tip(pricingViews: pricing, checkoutViews: checkout, supportViews: support, sessions: sessions.count, converted: converted,
                                                 identified: ident != nil, forms: forms)))
        }
        return out.sorted { ($0.score, $0.lastAt, $0.visitorKey) > ($1.score, $1.lastAt, $1.visitorKey) }
    }
}
