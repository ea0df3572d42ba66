import Foundation
import Ports

/// `analytics.*` report actions (scope `analytics.read`): the same figures as the admin pages.
public enum AnalyticsActions {
    /// The range parameters every report action takes.
    static let rangeParams = [
        ActionParam("range", .string(maxLength: 20, enumValues: DateRange.Preset.allCases.map(\.rawValue)), "Date range preset (default last_7_days); custom needs from and to."),
        ActionParam("from", .string(maxLength: 10, format: "date"), "First day of a custom range (yyyy-MM-dd, in the site's time zone)."),
        ActionParam("to", .string(maxLength: 10, format: "date"), "Last day of a custom range, inclusive."),
        ActionParam("days", .integer(min: 1, max: Int64(DateRange.maxDays)), "The last N days including today (instead of range)."),
    ]

    public static func range(_ inv: ActionInvocation, _ analytics: AnalyticsService) async throws -> DateRange {
        try await analytics.range(inv.workspace!.id, preset: inv.string("range"), from: inv.string("from"), to: inv.string("to"), days: inv.int("days").map { Int($0) })
    }

    static func iso(_ d: Date) -> JSONValue {
        let f = ISO8601DateFormatter()
        return .string(f.string(from: d))
    }

    static func rangeJSON(_ r: DateRange) -> JSONValue {
        .object(["preset": .string(r.preset.rawValue), "from": .string(r.firstDay), "to": .string(r.lastDay), "start": iso(r.start), "end": iso(r.end),
                 "timezone": .string(r.timeZone.identifier)])
    }

    static func rounded(_ x: Double) -> JSONValue { .double((x * 10).rounded() / 10) }

    static func rowsJSON(_ rows: [RollupRow]) -> JSONValue {
        .array(rows.map { .object(["value": .string($0.value), "pageviews": .int($0.pageviews), "sessions": .int($0.sessions), "events": .int($0.events)]) })
    }

    static func sessionJSON(_ s: SessionRow) -> JSONValue {
        .object(["id": .int(s.id), "visitor": .string(s.visitorKey), "started_at": iso(s.startedAt), "last_at": iso(s.lastAt), "first_page": .string(s.entryPath),
                 "last_page": .string(s.exitPath), "pages": .int(Int64(s.pageviews)), "duration_seconds": .int(Int64(s.duration)), "source": .string(s.source),
                 "referrer_domain": .string(s.referrerDomain), "country": .string(s.country), "city": .string(s.city), "device": .string(s.device),
                 "browser": .string(s.browser), "bounced": .bool(s.bounced), "converted": .bool(s.converted), "bot": .bool(s.isBot),
                 "email": s.email.map { JSONValue.string($0) } ?? .null, "name": s.name.map { JSONValue.string($0) } ?? .null])
    }

    static func intentJSON(_ f: IntentFunnel) -> JSONValue {
        .object(["sessions": .int(Int64(f.total)), "pending": .int(Int64(f.pending)), "stages": .array(Intent.allCases.map { i in
            var o: [String: JSONValue] = ["intent": .string(i.rawValue), "label": .string(i.label), "sessions": .int(Int64(f.count(i)))]
            if Intent.funnel.contains(i) { o["reached"] = .int(Int64(f.reached(i))) }
            if let d = f.dropOff(i) { o["drop_off_percent"] = rounded(d) }
            return .object(o)
        })])
    }

    public static func register(into r: inout ActionRegistry, analytics: AnalyticsService, lists: any AnalyticsLists) {
        r.register(ActionDefinition(name: "analytics.dashboard", summary: "The Dashboard's figures for a date range: visitors, new and returning, sessions, bounce rate, average time on page, page views, live visitors, threats, trend, heatmap, top sources and browsers.",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true, params: rangeParams) { inv in
            let range = try await range(inv, analytics)
            let d = try await analytics.dashboard(inv.workspace!.id, range: range)
            let s = d.summary
            return .object([
                "range": rangeJSON(range),
                "live_visitors": .int(Int64(d.live)), "unique_visitors": .int(s.visitors), "new_visitors": .int(s.newVisitors), "returning_visitors": .int(s.returningVisitors),
                "sessions": .int(s.sessions), "bounces": .int(s.bounces), "bounce_rate": rounded(s.bounceRate), "pageviews": .int(s.pageviews),
                "average_time_on_page_seconds": rounded(s.averageTimeOnPage), "threats_blocked": .int(Int64(d.threats)),
                "sales": .object(["today": .double(0), "week": .double(0), "month": .double(0), "connected": .bool(d.sales != nil)]),
                "trend": .array(d.trend.map { .object(["day": .string(DateRange.dayFormatter(range.timeZone).string(from: $0.start)), "visitors": .int($0.visitors), "sessions": .int($0.sessions)]) }),
                "heatmap": .array(d.heatmap.map { .array($0.map { .int($0) }) }),
                "top_sources": rowsJSON(d.sources), "top_browsers": rowsJSON(d.browsers),
            ])
        })
        let paging = [ActionParam("page", .integer(min: 1, max: 100_000), "Page number (default 1)."),
                      ActionParam("per_page", .integer(min: 1, max: 500), "Rows per page (default 50).")]
        r.register(ActionDefinition(name: "analytics.visitors", summary: "The Visitor log: one row per page view (IP, country, city, page, referrer, source, device, browser, time, identity), newest first.",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: rangeParams + paging + [
                                        ActionParam("search", .string(maxLength: 200), "IP address, page URL, referrer, country code or customer email (part of it)."),
                                        ActionParam("source", .string(maxLength: 16, enumValues: SourceKind.allCases.map(\.rawValue)), "Traffic source."),
                                        ActionParam("device", .string(maxLength: 16, enumValues: ["desktop", "mobile", "tablet"]), "Device type."),
                                        ActionParam("new_only", .boolean, "Only visitors first seen in the range."),
                                        ActionParam("ip", .string(maxLength: 64), "Only this IP address."),
                                    ]) { inv in
            let range = try await range(inv, analytics)
            let (page, per) = (Int(inv.int("page") ?? 1), Int(inv.int("per_page") ?? 50))
            let f = VisitFilter(search: inv.string("search") ?? "", source: inv.string("source") ?? "", device: inv.string("device") ?? "",
                                newOnly: inv.bool("new_only") ?? false, ip: inv.string("ip") ?? "")
            let (rows, total) = try await lists.visits(inv.workspace!.id, from: range.start, to: range.end, filter: f, limit: per, offset: (page - 1) * per)
            // With a search, total counts at most 10,000 matches; total_at_least: true means there are more.
            let capped = !f.search.trimmingCharacters(in: .whitespaces).isEmpty && total > f.searchCountLimit
            return .object(["range": rangeJSON(range), "total": .int(Int64(capped ? f.searchCountLimit : total)), "total_at_least": .bool(capped),
                            "page": .int(Int64(page)), "per_page": .int(Int64(per)), "visits": .array(rows.map { v in
                .object(["id": .int(v.id), "session_id": v.sessionID.map { JSONValue.int($0) } ?? .null, "visitor": .string(v.visitorKey), "at": iso(v.at), "ip": .string(v.ip),
                         "country": .string(v.country), "city": .string(v.city), "url": .string(v.url), "path": .string(v.path), "referrer": .string(v.referrer),
                         "source": .string(v.source), "device": .string(v.device), "browser": .string(v.browser), "bot": .bool(v.isBot),
                         "email": v.email.map { JSONValue.string($0) } ?? .null, "name": v.name.map { JSONValue.string($0) } ?? .null])
            })])
        })
        r.register(ActionDefinition(name: "analytics.sessions", summary: "Sessions started in the range: first and last page, page count, duration, source, country, bounce and conversion, newest first.",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: rangeParams + paging + [
                                        ActionParam("search", .string(maxLength: 200), "IP address, email, page URL or referrer (part of it)."),
                                        ActionParam("source", .string(maxLength: 16, enumValues: SourceKind.allCases.map(\.rawValue)), "Traffic source."),
                                        ActionParam("type", .string(maxLength: 16, enumValues: ["new", "returning"]), "New visitors (first session ever) or returning ones."),
                                        ActionParam("country", .string(maxLength: 8), "Country code, e.g. DE."),
                                        ActionParam("flag", .string(maxLength: 16, enumValues: ["bounced", "threats"]), "Only bounced sessions, or only sessions judged to be bots."),
                                    ]) { inv in
            let range = try await range(inv, analytics)
            let (page, per) = (Int(inv.int("page") ?? 1), Int(inv.int("per_page") ?? 50))
            let f = SessionFilter(search: inv.string("search") ?? "", kind: SessionFilter.Kind(rawValue: inv.string("type") ?? "") ?? .all, source: inv.string("source") ?? "",
                                  country: inv.string("country") ?? "", flag: SessionFilter.Flag(rawValue: inv.string("flag") ?? "") ?? .none)
            let (rows, total) = try await lists.sessions(inv.workspace!.id, from: range.start, to: range.end, filter: f, limit: per, offset: (page - 1) * per)
            return .object(["range": rangeJSON(range), "total": .int(Int64(total)), "page": .int(Int64(page)), "per_page": .int(Int64(per)), "sessions": .array(rows.map(sessionJSON))])
        })
        r.register(ActionDefinition(name: "analytics.top_pages", summary: "Top pages of the range: views, unique visitors, bounce rate, average time, chat starts (0 until the live chat sends them) and support tickets opened from the widget on the page, trend against the previous period. Pages matching the site's analytics.page_groups patterns come as one row per pattern (grouped_pages: how many pages it holds).",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: rangeParams + [
                                        ActionParam("sort", .string(maxLength: 16, enumValues: AnalyticsService.pageSorts), "Column to sort by (default views)."),
                                        ActionParam("order", .string(maxLength: 4, enumValues: ["asc", "desc"]), "Sort order (default desc)."),
                                        ActionParam("limit", .integer(min: 1, max: 500), "How many pages (default 100)."),
                                    ]) { inv in
            let range = try await range(inv, analytics)
            let rows = try await analytics.topPages(inv.workspace!.id, range: range, sort: inv.string("sort") ?? "views", ascending: inv.string("order") == "asc",
                                                    limit: Int(inv.int("limit") ?? 100))
            return .object(["range": rangeJSON(range), "pages": .array(rows.map { p in
                .object(["path": .string(p.path), "views": .int(p.views), "unique_visitors": .int(p.visitors), "bounce_rate": rounded(p.bounceRate),
                         "average_time_seconds": rounded(p.averageTime), "chat_starts": .int(p.chatStarts), "support_tickets": .int(p.tickets), "previous_views": .int(p.previousViews),
                         "trend": .string(p.views > p.previousViews ? "up" : p.views < p.previousViews ? "down" : "flat"),
                         "grouped_pages": .int(Int64(p.groupedPages))])
            })])
        })
        r.register(ActionDefinition(name: "analytics.geo", summary: "Visitors, sessions, bounce and conversion rates by country for the range, or by city within one country.",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: rangeParams + [ActionParam("country", .string(maxLength: 8), "A country code (e.g. ES): its cities instead of the countries.")]) { inv in
            let range = try await range(inv, analytics)
            let country = inv.string("country").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.flatMap { $0.isEmpty ? nil : $0 }
            let rows = try await analytics.reports.geo(inv.workspace!.id, from: range.start, to: range.end, country: country)
            return .object(["range": rangeJSON(range), "country": country.map { JSONValue.string($0) } ?? .null, "rows": .array(rows.map { g in
                .object(["value": .string(g.value), "visitors": .int(g.visitors), "sessions": .int(g.sessions), "bounce_rate": rounded(g.bounceRate),
                         "conversion_rate": rounded(g.conversionRate)])
            })])
        })
        r.register(ActionDefinition(name: "analytics.intent", summary: "The Intent funnel: sessions of the range classified as browsing, researching, comparing, buying, support-seeking or bouncing (page patterns in the analytics.intent_* settings), with counts, drop-off, an optional comparison range and each session's class with the rule that decided it.",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: rangeParams + paging + [
                                        ActionParam("compare_range", .string(maxLength: 20, enumValues: DateRange.Preset.allCases.map(\.rawValue)), "A second range to compare with (custom needs compare_from and compare_to)."),
                                        ActionParam("compare_from", .string(maxLength: 10, format: "date"), "First day of a custom comparison range."),
                                        ActionParam("compare_to", .string(maxLength: 10, format: "date"), "Last day of a custom comparison range, inclusive."),
                                        ActionParam("intent", .string(maxLength: 16, enumValues: Intent.allCases.map(\.rawValue)), "List only the sessions of this class."),
                                    ]) { inv in
            let range = try await range(inv, analytics)
            let ws = inv.workspace!.id
            let funnel = try await analytics.intentFunnel(ws, range: range, lists: lists)
            var out: [String: JSONValue] = ["range": rangeJSON(range), "funnel": intentJSON(funnel)]
            if inv.string("compare_range") != nil || inv.string("compare_from") != nil {
                let other = try await analytics.range(ws, preset: inv.string("compare_range") ?? "custom", from: inv.string("compare_from"), to: inv.string("compare_to"))
                let cmp = try await analytics.intentFunnel(ws, range: other, lists: lists)
                out["compare_range"] = rangeJSON(other)
                out["compare_funnel"] = intentJSON(cmp)
            }
            let (page, per) = (Int(inv.int("page") ?? 1), Int(inv.int("per_page") ?? 50))
            let wanted = inv.string("intent").flatMap(Intent.init(rawValue:))
            let (list, total) = try await analytics.intentSessions(ws, funnel: funnel, intent: wanted, limit: per, offset: (page - 1) * per, lists: lists)
            out["total"] = .int(Int64(total)); out["page"] = .int(Int64(page)); out["per_page"] = .int(Int64(per))
            out["sessions"] = .array(list.map { c in
                var o = sessionJSON(c.session)
                if case .object(var d) = o { d["intent"] = .string(c.intent.rawValue); d["reason"] = .string(c.reason); o = .object(d) }
                return o
            })
            return .object(out)
        })
        r.register(ActionDefinition(name: "analytics.leads", summary: "Leads of the range: visitors and customers with buying, comparing or support intent, scored 0-100 (recency, frequency, pricing and checkout visits, session duration, chat, return visits) with the breakdown, a High Value flag above 80, a sales tip and the CRM status; highest score first.",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin], risk: .read, workspaceScoped: true,
                                    params: rangeParams + paging + [
                                        ActionParam("min_score", .integer(min: 0, max: 100), "Only leads scoring at least this."),
                                        ActionParam("visitor", .string(maxLength: 128), "Only this visitor, with their sessions and pages."),
                                    ]) { inv in
            let range = try await range(inv, analytics)
            let (page, per) = (Int(inv.int("page") ?? 1), Int(inv.int("per_page") ?? 50))
            let minScore = Int(inv.int("min_score") ?? 0)
            let visitor = inv.string("visitor")
            let all = try await analytics.leads(inv.workspace!.id, range: range, lists: lists).filter { $0.score >= minScore && (visitor == nil || $0.visitorKey == visitor) }
            return .object(["range": rangeJSON(range), "total": .int(Int64(all.count)), "page": .int(Int64(page)), "per_page": .int(Int64(per)),
                            "leads": .array(all.dropFirst((page - 1) * per).prefix(per).map { l in
                var o: [String: JSONValue] = [
                    "visitor": .string(l.visitorKey), "email": l.email.map { JSONValue.string($0) } ?? .null, "name": l.name.map { JSONValue.string($0) } ?? .null,
                    "country": .string(l.country), "city": .string(l.city), "source": .string(l.source), "first_seen": iso(l.firstAt), "last_seen": iso(l.lastAt),
                    "sessions": .int(Int64(l.sessions.count)), "pricing_views": .int(Int64(l.pricingViews)), "checkout_views": .int(Int64(l.checkoutViews)),
                    "engaged_seconds": .int(l.engagedMs / 1000), "converted": .bool(l.converted), "score": .int(Int64(l.score)), "high_value": .bool(l.highValue),
                    "score_breakdown": .array(l.parts.map { .object(["part": .string($0.name), "points": .int(Int64($0.points)), "max": .int(Int64($0.max)), "detail": .string($0.detail)]) }),
                    "tip": .string(l.tip), "crm_status": .string("not_yet"),
                ]
                if visitor != nil {
                    o["session_list"] = .array(l.sessions.map { c in
                        var j = sessionJSON(c.session)
                        if case .object(var d) = j { d["intent"] = .string(c.intent.rawValue); d["reason"] = .string(c.reason); j = .object(d) }
                        return j
                    })
                }
                return .object(o)
            })])
        })
        r.register(ActionDefinition(name: "analytics.events", summary: "The Events log: every tracked event with its metadata, newest first, filtered by type or custom event name and a keyword (URL, email, property values).",
                                    scope: "analytics.read", roles: [.owner, .fullAdmin, .agent], risk: .read, workspaceScoped: true,
                                    params: rangeParams + paging + [
                                        ActionParam("type", .string(maxLength: 120), "Event type (pageview, engagement, custom, identify, form, outbound, scroll) or a custom event name (e.g. order.completed)."),
                                        ActionParam("search", .string(maxLength: 200), "Keyword in the URL, event name, properties or the customer's email."),
                                    ]) { inv in
            let range = try await range(inv, analytics)
            let (page, per) = (Int(inv.int("page") ?? 1), Int(inv.int("per_page") ?? 50))
            let (rows, total) = try await lists.events(inv.workspace!.id, from: range.start, to: range.end, type: inv.string("type") ?? "", search: inv.string("search") ?? "",
                                                       limit: per, offset: (page - 1) * per)
            return .object(["range": rangeJSON(range), "total": .int(Int64(total)), "page": .int(Int64(page)), "per_page": .int(Int64(per)), "events": .array(rows.map { e, email in
                .object(["id": .string(e.eventUID), "type": .string(e.type), "name": .string(e.name), "at": iso(e.ts), "url": .string(e.url), "visitor": .string(e.visitorKey),
                         "email": email.map { JSONValue.string($0) } ?? .null, "props": (try? JSONValue.parse(e.props)) ?? .object([:])])
            })])
        })
    }
}
