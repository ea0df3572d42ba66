import Composition
import Domain
import Foundation
import Hummingbird
import Ports

/// The Intent funnel (10-analytics: Intent funnel): sessions classified by `IntentRules`, with an optional second
/// range (`compare`, `cfrom`, `cto`) shown beside the first.
extension AdminRoutes {
    func registerIntent(on admin: RouterGroup<AppContext>) {
        admin.get("intent") { request, ctx -> Response in try await intentPage(request, ctx) }
    }

    static func funnelRows(_ f: IntentFunnel, other: IntentFunnel?) -> [[String: Any]] {
        Intent.allCases.map { i -> [String: Any] in
            var row: [String: Any] = ["intent": i.rawValue, "label": i.label, "sessions": f.count(i), "share": percent(Int64(f.count(i)), of: Int64(f.total))]
            if Intent.funnel.contains(i) { row["reached"] = f.reached(i) } else { row["reached"] = "—" }
            row["dropOff"] = f.dropOff(i).map { String(format: "%.1f%%", $0) } ?? "—"
            if let o = other {
                row["compare"] = true
                row["otherSessions"] = o.count(i)
                row["otherShare"] = percent(Int64(o.count(i)), of: Int64(o.total))
                row["otherDropOff"] = o.dropOff(i).map { String(format: "%.1f%%", $0) } ?? "—"
                let d = f.count(i) - o.count(i)
                row["change"] = d > 0 ? "+\(d)" : "\(d)"
            }
            return row
        }
    }

    func intentPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Intent funnel", active: "intent"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("intent", m) }
        let (range, rangeError) = try await requestRange(request, site)
        var errors: [String] = rangeError.map { [$0] } ?? []
        m.merge(Self.rangeModel(range, action: "/admin/intent")) { $1 }
        let analytics = services.analytics
        let funnel = try await analytics.intentFunnel(site.id, range: range, lists: services.analyticsLists)
        let comparePreset = Self.param(request, "compare")
        var other: IntentFunnel?
        if !comparePreset.isEmpty {
            do {
                let r2 = try await analytics.range(site.id, preset: comparePreset, from: Self.param(request, "cfrom"), to: Self.param(request, "cto"))
                other = try await analytics.intentFunnel(site.id, range: r2, lists: services.analyticsLists)
                m["compareLabel"] = r2.label
            } catch let e as DomainError {
                errors.append("Comparison range: " + e.description)
            }
        }
        if !errors.isEmpty { m["error"] = errors.joined(separator: " ") }
        m["compareOptions"] = Self.options([("", "No comparison")] + DateRange.Preset.allCases.map { ($0.rawValue, $0.label) }, selected: comparePreset)
        m["cfrom"] = Self.param(request, "cfrom")
        m["cto"] = Self.param(request, "cto")
        let wanted = Intent(rawValue: Self.param(request, "intent"))
        let times = DateFormatter()
        times.locale = Locale(identifier: "en_US_POSIX")
        times.timeZone = range.timeZone
        times.dateFormat = "yyyy-MM-dd HH:mm"
        if Self.param(request, "format") == "csv" {
            let list = try await analytics.intentSessions(site.id, funnel: funnel, intent: wanted, limit: CSV.maxRows, offset: 0, lists: services.analyticsLists).rows
            return CSV.response(filename: "intent-\(range.firstDay)-\(range.lastDay).csv",
                                header: ["session_id", "started", "visitor", "email", "intent", "reason", "pages", "engaged_seconds", "first_page", "last_page", "source"],
                                rows: list.prefix(CSV.maxRows).map { c in
                                    [String(c.session.id), times.string(from: c.session.startedAt), c.session.visitorKey, c.session.email ?? "", c.intent.rawValue, c.reason,
                                     String(c.session.pageviews), String(c.session.engagedMs / 1000), c.session.entryPath, c.session.exitPath, c.session.source]
                                })
        }
        m["stages"] = Self.funnelRows(funnel, other: other)
        m["compare"] = other != nil
        m["sessionsTotal"] = funnel.total
        m["empty"] = funnel.total == 0
        m["pending"] = funnel.pending
        m["hasPending"] = funnel.pending > 0
        let stages = Intent.funnel.map { ("\($0.label) (reached)", Int64(funnel.reached($0))) } + [Intent.support, .bouncing].map { ($0.label, Int64(funnel.count($0))) }
        m["funnelSVG"] = SVGChart.bars(id: "intent-funnel", title: "Intent funnel, \(range.label): sessions reaching each stage", rows: stages, unit: "sessions", width: 640)
        if let other {
            let rows = Intent.funnel.map { ("\($0.label) (reached)", Int64(other.reached($0))) } + [Intent.support, .bouncing].map { ($0.label, Int64(other.count($0))) }
            m["compareSVG"] = SVGChart.bars(id: "intent-funnel-compare", title: "Intent funnel, \(m["compareLabel"] as? String ?? ""): sessions reaching each stage", rows: rows,
                                            unit: "sessions", width: 640)
        }
        let page = max(1, Int(Self.param(request, "page")) ?? 1)
        let params = Self.rangeParams(range) + [("compare", comparePreset), ("cfrom", Self.param(request, "cfrom")), ("cto", Self.param(request, "cto")),
                                                ("intent", wanted?.rawValue ?? "")]
        let (list, listTotal) = try await analytics.intentSessions(site.id, funnel: funnel, intent: wanted, limit: Self.listPageSize,
                                                                   offset: (page - 1) * Self.listPageSize, lists: services.analyticsLists)
        Self.paging(&m, path: "/admin/intent", params: params, page: page, total: listTotal)
        m["intentOptions"] = Self.options([("", "All classes")] + Intent.allCases.map { ($0.rawValue, $0.label) }, selected: wanted?.rawValue ?? "")
        m["rows"] = list.map { c -> [String: Any] in
            ["id": c.session.id, "when": times.string(from: c.session.startedAt), "who": c.session.email ?? c.session.name ?? "anonymous", "intent": c.intent.rawValue,
             "label": c.intent.label, "reason": c.reason, "pages": c.session.pageviews, "duration": Self.duration(c.session.duration),
             "entry": c.session.entryPath, "source": c.session.source]
        }
        m["filtered"] = wanted != nil
        m["siteKey"] = site.siteKey
        return renderer.html("intent", m)
    }
}

/// Leads (20-sales: Leads): the list with scores and badges, and one lead's detail panel.
extension AdminRoutes {
    func registerLeads(on admin: RouterGroup<AppContext>) {
        admin.get("leads") { request, ctx -> Response in try await leadsPage(request, ctx) }
    }

    func leadsPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Leads") }
        var m = withFlash(try await base(ctx, title: "Leads", active: "leads"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("leads", m) }
        let (range, rangeError) = try await requestRange(request, site, fallback: .last30)
        if let rangeError { m["error"] = rangeError }
        m.merge(Self.rangeModel(range, action: "/admin/leads")) { $1 }
        let minScore = min(100, max(0, Int(Self.param(request, "min_score")) ?? 0))
        let all = try await services.analytics.leads(site.id, range: range, lists: services.analyticsLists).filter { $0.score >= minScore }
        let times = DateFormatter()
        times.locale = Locale(identifier: "en_US_POSIX")
        times.timeZone = range.timeZone
        times.dateFormat = "yyyy-MM-dd HH:mm"
        if Self.param(request, "format") == "csv" {
            return CSV.response(filename: "leads-\(range.firstDay)-\(range.lastDay).csv",
                                header: ["visitor", "email", "name", "country", "source", "sessions", "pricing_views", "checkout_views", "last_seen", "score", "high_value", "tip"],
                                rows: all.prefix(CSV.maxRows).map { l in
                                    [l.visitorKey, l.email ?? "", l.name ?? "", l.country, l.source, String(l.sessions.count), String(l.pricingViews), String(l.checkoutViews),
                                     times.string(from: l.lastAt), String(l.score), l.highValue ? "yes" : "no", l.tip]
                                })
        }
        let page = max(1, Int(Self.param(request, "page")) ?? 1)
        let base = Self.rangeParams(range) + [("min_score", minScore > 0 ? String(minScore) : "")]
        Self.paging(&m, path: "/admin/leads", params: base, page: page, total: all.count)
        m["minScore"] = minScore > 0 ? String(minScore) : ""
        m["highValue"] = all.filter(\.highValue).count
        m["rows"] = all.dropFirst((page - 1) * Self.listPageSize).prefix(Self.listPageSize).map { l -> [String: Any] in
            var row: [String: Any] = ["visitor": l.visitorKey, "who": l.email ?? l.name ?? "anonymous", "score": l.score, "sessions": l.sessions.count,
                                      "pricing": l.pricingViews, "checkout": l.checkoutViews, "last": times.string(from: l.lastAt), "source": l.source,
                                      "where": [l.city, l.country].filter { !$0.isEmpty }.joined(separator: ", "), "tip": l.tip,
                                      "link": Self.link("/admin/leads", base + [("lead", l.visitorKey)])]
            if l.highValue { row["high"] = true }
            return row
        }
        m["filtered"] = minScore > 0
        m["siteKey"] = site.siteKey
        // The detail panel of the chosen lead.
        let chosen = Self.param(request, "lead")
        if !chosen.isEmpty {
            if let l = all.first(where: { $0.visitorKey == chosen }) {
                var d: [String: Any] = ["visitor": l.visitorKey, "email": l.email ?? "", "name": l.name ?? "", "identified": l.email != nil || l.name != nil,
                                        "source": l.source, "score": l.score,
                                        "tip": l.tip, "first": times.string(from: l.firstAt), "last": times.string(from: l.lastAt),
                                        "closeLink": Self.link("/admin/leads", base)]
                if l.highValue { d["high"] = true }
                let place = [l.city, l.country].filter { !$0.isEmpty }.joined(separator: ", ")
                if !place.isEmpty { d["where"] = place }
                d["parts"] = l.parts.map { p -> [String: Any] in ["name": p.name, "points": p.points, "max": p.max, "detail": p.detail] }
                d["sessions"] = l.sessions.prefix(50).map { c -> [String: Any] in
                    ["id": c.session.id, "when": times.string(from: c.session.startedAt), "flow": "\(c.session.entryPath) → \(c.session.exitPath)", "pages": c.session.pageviews,
                     "duration": Self.duration(c.session.duration), "source": c.session.source, "intent": c.intent.label, "reason": c.reason]
                }
                var views: [[String: Any]] = []
                for c in l.sessions.prefix(20) {
                    let events = try await services.analyticsLists.sessionEvents(site.id, session: c.session.id, limit: 500)
                    views += events.filter { $0.type == "pageview" }.reversed().map { e -> [String: Any] in ["when": times.string(from: e.ts), "path": e.path, "url": e.url] }
                }
                if l.email == nil && l.name == nil, let ip = try await services.analyticsLists.sessionEvents(site.id, session: l.sessions[0].session.id, limit: 1).first?.ip {
                    d["ip"] = ip
                }
                d["views"] = Array(views.prefix(200))
                m["lead"] = d
            } else {
                m["error"] = "That visitor is not a lead in \(range.label) (or scores below the filter)."
            }
        }
        return renderer.html("leads", m)
    }
}
