import Composition
import Domain
import Foundation
import Hummingbird
import Ports

/// Visitor log, Sessions (with the session detail) and the Live feed. Filters are GET parameters; `format=csv`
/// exports the filtered table (at most `CSV.maxRows` rows); the live feed's `partial=1` returns only its rows
/// for the refresh script.
extension AdminRoutes {
    static let listPageSize = 50

    func registerAnalytics(on admin: RouterGroup<AppContext>) {
        admin.get("visitor-log") { request, ctx -> Response in try await visitorLogPage(request, ctx) }
        admin.get("sessions") { request, ctx -> Response in try await sessionsPage(request, ctx) }
        admin.get("sessions/:id") { request, ctx -> Response in try await sessionDetailPage(request, ctx) }
        admin.get("live-feed") { request, ctx -> Response in try await liveFeedPage(request, ctx) }
        admin.get("top-pages") { request, ctx -> Response in try await topPagesPage(request, ctx) }
        admin.get("geo") { request, ctx -> Response in try await geoPage(request, ctx) }
        admin.get("events") { request, ctx -> Response in try await eventsPage(request, ctx) }
    }

    static func param(_ request: Request, _ name: String) -> String {
        String((request.uri.queryParameters.get(name) ?? "").trimmingCharacters(in: .whitespaces).prefix(200))
    }

    /// `path?k=v&…` with the non-empty values, percent-encoded.
    static func link(_ path: String, _ params: [(String, String)]) -> String {
        let q = params.filter { !$0.1.isEmpty }.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        return q.isEmpty ? path : path + "?" + q.joined(separator: "&")
    }

    static func rangeParams(_ r: DateRange) -> [(String, String)] {
        r.preset == .custom ? [("range", "custom"), ("from", r.firstDay), ("to", r.lastDay)] : [("range", r.preset.rawValue)]
    }

    /// Paging links and counts into the model.
    static func paging(_ m: inout [String: Any], path: String, params: [(String, String)], page: Int, total: Int) {
        let pages = max(1, (total + listPageSize - 1) / listPageSize)
        m["total"] = total
        m["page"] = page
        m["pages"] = pages
        if page > 1 { m["prev"] = link(path, params + [("page", String(page - 1))]) }
        if page < pages { m["next"] = link(path, params + [("page", String(page + 1))]) }
        m["csvLink"] = link(path, params + [("format", "csv")])
    }

    static func sourceOptions(_ selected: String) -> [[String: Any]] {
        options([("", "Any source")] + SourceKind.allCases.map { ($0.rawValue, $0.rawValue) }, selected: selected)
    }

    // MARK: - Visitor log

    func visitorLogPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Visitor log", active: "visitor-log"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("visitor_log", m) }
        let (range, rangeError) = try await requestRange(request, site)
        if let rangeError { m["error"] = rangeError }
        m.merge(Self.rangeModel(range, action: "/admin/visitor-log")) { $1 }
        let p = { Self.param(request, $0) }
        var source = p("source"), device = p("device")
        if !source.isEmpty && SourceKind(rawValue: source) == nil { m["error"] = "source: must be one of \(SourceKind.allCases.map(\.rawValue).joined(separator: ", "))"; source = "" }
        if !device.isEmpty && !["desktop", "mobile", "tablet"].contains(device) { m["error"] = "device: must be desktop, mobile or tablet"; device = "" }
        let filter = VisitFilter(search: p("search"), source: source, device: device, newOnly: p("new_only") == "1", ip: p("ip"))
        let page = max(1, Int(p("page")) ?? 1)
        let csv = p("format") == "csv"
        let (limit, offset) = csv ? (CSV.maxRows, 0) : (Self.listPageSize, (page - 1) * Self.listPageSize)
        let (rows, total) = try await services.analyticsLists.visits(site.id, from: range.start, to: range.end, filter: filter, limit: limit, offset: offset)
        let times = try await timeFormatter(site)
        if csv {
            return CSV.response(filename: "visitor-log-\(range.firstDay)-\(range.lastDay).csv",
                                header: ["time", "ip", "country", "city", "url", "referrer", "source", "device", "browser", "email", "name", "bot"],
                                rows: rows.map { [times.string(from: $0.at), $0.ip, $0.country, $0.city, $0.url, $0.referrer, $0.source, $0.device, $0.browser,
                                                  $0.email ?? "", $0.name ?? "", $0.isBot ? "yes" : "no"] })
        }
        let params = Self.rangeParams(range) + [("search", filter.search), ("source", source), ("device", device), ("new_only", filter.newOnly ? "1" : ""), ("ip", filter.ip)]
        Self.paging(&m, path: "/admin/visitor-log", params: params, page: page, total: total)
        if !filter.search.isEmpty && total > filter.searchCountLimit { m["total"] = "More than \(filter.searchCountLimit.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))))" }
        m["rows"] = rows.map { v -> [String: Any] in
            var row: [String: Any] = ["when": times.string(from: v.at), "ip": v.ip, "ipLink": Self.link("/admin/visitor-log", Self.rangeParams(range) + [("ip", v.ip)]),
             "country": v.country.isEmpty ? "Unknown" : v.country, "path": String(v.path.prefix(80)), "url": v.url,
             "referrer": v.referrer.isEmpty ? "Direct" : String(v.referrer.prefix(60)), "fullReferrer": v.referrer, "source": v.source, "device": v.device,
             "browser": v.browser, "who": v.email ?? v.name ?? "anonymous", "bot": v.isBot]
            if !v.city.isEmpty { row["city"] = v.city }
            if let id = v.sessionID { row["session"] = "/admin/sessions/\(id)" }
            return row
        }
        m["search"] = filter.search
        if !filter.ip.isEmpty { m["ip"] = filter.ip }
        m["newOnly"] = filter.newOnly
        m["sourceOptions"] = Self.sourceOptions(source)
        m["deviceOptions"] = Self.options([("", "Any device"), ("desktop", "Desktop"), ("mobile", "Mobile"), ("tablet", "Tablet")], selected: device)
        m["siteKey"] = site.siteKey
        m["filtered"] = !filter.search.isEmpty || !source.isEmpty || !device.isEmpty || filter.newOnly || !filter.ip.isEmpty
        return renderer.html("visitor_log", m)
    }

    // MARK: - Sessions

    func sessionsPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Sessions", active: "sessions"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("sessions_list", m) }
        let (range, rangeError) = try await requestRange(request, site)
        if let rangeError { m["error"] = rangeError }
        m.merge(Self.rangeModel(range, action: "/admin/sessions")) { $1 }
        let p = { Self.param(request, $0) }
        var source = p("source")
        if !source.isEmpty && SourceKind(rawValue: source) == nil { m["error"] = "source: must be one of \(SourceKind.allCases.map(\.rawValue).joined(separator: ", "))"; source = "" }
        let kind = SessionFilter.Kind(rawValue: p("type")) ?? .all
        let flag = SessionFilter.Flag(rawValue: p("flag")) ?? .none
        let filter = SessionFilter(search: p("search"), kind: kind, source: source, country: String(p("country").prefix(8)), flag: flag)
        let page = max(1, Int(p("page")) ?? 1)
        let csv = p("format") == "csv"
        let (limit, offset) = csv ? (CSV.maxRows, 0) : (Self.listPageSize, (page - 1) * Self.listPageSize)
        let (rows, total) = try await services.analyticsLists.sessions(site.id, from: range.start, to: range.end, filter: filter, limit: limit, offset: offset)
        let times = try await timeFormatter(site)
        if csv {
            return CSV.response(filename: "sessions-\(range.firstDay)-\(range.lastDay).csv",
                                header: ["started", "last_activity", "visitor", "email", "first_page", "last_page", "pages", "duration_seconds", "source", "referrer", "country",
                                         "city", "device", "browser", "bounced", "converted", "bot"],
                                rows: rows.map { [times.string(from: $0.startedAt), times.string(from: $0.lastAt), $0.visitorKey, $0.email ?? "", $0.entryPath, $0.exitPath,
                                                  String($0.pageviews), String(Int($0.duration)), $0.source, $0.referrerDomain, $0.country, $0.city, $0.device, $0.browser,
                                                  $0.bounced ? "yes" : "no", $0.converted ? "yes" : "no", $0.isBot ? "yes" : "no"] })
        }
        let params = Self.rangeParams(range) + [("search", filter.search), ("type", kind.rawValue), ("source", source), ("country", filter.country), ("flag", flag.rawValue)]
        Self.paging(&m, path: "/admin/sessions", params: params, page: page, total: total)
        m["rows"] = rows.map { s -> [String: Any] in
            ["id": s.id, "started": times.string(from: s.startedAt), "who": s.email ?? s.name ?? "anonymous", "entry": String(s.entryPath.prefix(60)),
             "exit": String(s.exitPath.prefix(60)), "pages": s.pageviews, "duration": Self.duration(s.duration), "source": s.source,
             "country": s.country.isEmpty ? "Unknown" : s.country, "bounced": s.bounced, "converted": s.converted, "bot": s.isBot]
        }
        m["search"] = filter.search
        m["country"] = filter.country
        m["typeOptions"] = Self.options([("", "New and returning"), ("new", "New visitors"), ("returning", "Returning visitors")], selected: kind.rawValue)
        m["flagOptions"] = Self.options([("", "All sessions"), ("bounced", "Bounced only"), ("threats", "Threats (bots) only")], selected: flag.rawValue)
        m["sourceOptions"] = Self.sourceOptions(source)
        m["siteKey"] = site.siteKey
        m["filtered"] = !filter.search.isEmpty || !source.isEmpty || kind != .all || flag != .none || !filter.country.isEmpty
        return renderer.html("sessions_list", m)
    }

    func sessionDetailPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = try await base(ctx, title: "Session", active: "sessions")
        guard let site = try await sites(ctx).current, let id = Int64(ctx.parameters.get("id") ?? ""),
              let s = try await services.analyticsLists.session(site.id, id: id) else {
            m["missing"] = "This session does not exist in the current site (it may be older than the retention period)."
            return renderer.html("session_detail", m, status: .notFound)
        }
        let times = try await timeFormatter(site)
        let events = try await services.analyticsLists.sessionEvents(site.id, session: id, limit: 2000)
        // Page flow: each page view with the engaged time and deepest scroll reported for it before the next page view.
        var flow: [[String: Any]] = []
        var current: (e: TrackedEvent, engaged: Int64, scroll: Int64)?
        func close() {
            guard let c = current else { return }
            flow.append(["when": times.string(from: c.e.ts), "path": c.e.path, "title": c.e.title, "time": Self.duration(Double(c.engaged) / 1000),
                         "scroll": "\(c.scroll)%", "step": flow.count + 1])
        }
        for e in events {
            if e.type == "pageview" { close(); current = (e, e.engagedMs, e.scrollPct) }
            else if current != nil { current!.engaged += e.engagedMs; current!.scroll = max(current!.scroll, e.scrollPct) }
        }
        close()
        let seconds = DateFormatter()
        seconds.locale = Locale(identifier: "en_US_POSIX")
        seconds.timeZone = times.timeZone
        seconds.dateFormat = "yyyy-MM-dd HH:mm:ss"
        m["s"] = ["id": s.id, "who": s.email ?? s.name ?? "anonymous", "visitor": s.visitorKey, "started": times.string(from: s.startedAt),
                  "last": times.string(from: s.lastAt), "duration": Self.duration(s.duration), "pages": s.pageviews, "source": s.source,
                  "referrer": s.referrerDomain.isEmpty ? "Direct" : s.referrerDomain, "country": s.country.isEmpty ? "Unknown" : s.country, "city": s.city,
                  "device": s.device, "browser": s.browser, "bounced": s.bounced, "converted": s.converted, "bot": s.isBot, "ip": events.first?.ip ?? ""]
        m["flow"] = flow
        m["events"] = events.map { e -> [String: Any] in
            ["when": seconds.string(from: e.ts), "type": e.type, "name": e.name, "path": e.path, "detail": e.type == "engagement" ? "\(e.engagedMs / 1000) s, scrolled \(e.scrollPct)%" : (e.props == "{}" ? "" : String(e.props.prefix(300)))]
        }
        return renderer.html("session_detail", m)
    }

    // MARK: - Live feed

    func liveFeedPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = try await base(ctx, title: "Live feed", active: "live-feed")
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("live_feed", m) }
        let live = try await services.analytics.liveSettings(site.id)
        let now = services.clock.now()
        let filter = try AnalyticsService.liveFilter(country: Self.param(request, "country"), device: Self.param(request, "device"), referrer: Self.param(request, "referrer"))
        let rows = try await services.analytics.reports.liveSessions(site.id, since: now.addingTimeInterval(-Double(live.threshold)), filter: filter, limit: 500)
        m["country"] = filter.country
        m["referrer"] = filter.referrer
        m["filtered"] = !filter.isEmpty
        m["devices"] = Self.options([("", "Any device")] + DeviceType.allCases.filter { $0 != .bot }.map { ($0.rawValue, $0.rawValue) }, selected: filter.device)
        let times = try await timeFormatter(site)
        let clock = DateFormatter()
        clock.locale = Locale(identifier: "en_US_POSIX")
        clock.timeZone = times.timeZone
        clock.dateFormat = "HH:mm:ss"
        m["threshold"] = live.threshold
        m["refresh"] = live.refresh
        m["count"] = Set(rows.map(\.visitorKey)).count
        m["updated"] = clock.string(from: now)
        m["siteKey"] = site.siteKey
        let intents = try await services.analytics.currentIntents(site.id, sessions: rows, lists: services.analyticsLists)
        m["rows"] = rows.map { s -> [String: Any] in
            ["id": s.id, "stamp": "\(s.id)-\(s.lastAt.epochMillis)", "last": clock.string(from: s.lastAt), "page": s.exitPath.isEmpty ? s.entryPath : s.exitPath,
             "who": s.email ?? s.name ?? "anonymous", "country": s.country.isEmpty ? "Unknown" : s.country, "device": s.device, "browser": s.browser,
             "source": s.source, "duration": Self.duration(s.duration), "pages": s.pageviews,
             "intent": intents[s.id]?.intent.rawValue ?? "", "intentLabel": intents[s.id]?.intent.label ?? "", "reason": intents[s.id]?.reason ?? ""]
        }
        return renderer.html("live_feed", m)
    }

    // MARK: - Top pages

    func topPagesPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Top pages", active: "top-pages"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("top_pages", m) }
        let (range, rangeError) = try await requestRange(request, site)
        if let rangeError { m["error"] = rangeError }
        m.merge(Self.rangeModel(range, action: "/admin/top-pages")) { $1 }
        var sort = Self.param(request, "sort")
        if !AnalyticsService.pageSorts.contains(sort) { sort = "views" }
        let ascending = Self.param(request, "order") == "asc"
        let rows = try await services.analytics.topPages(site.id, range: range, sort: sort, ascending: ascending)
        if Self.param(request, "format") == "csv" {
            return CSV.response(filename: "top-pages-\(range.firstDay)-\(range.lastDay).csv",
                                header: ["page", "views", "unique_visitors", "bounce_rate", "average_time_seconds", "chat_starts", "support_tickets", "previous_views", "grouped_pages"],
                                rows: rows.map { [$0.path, String($0.views), String($0.visitors), String(format: "%.1f", $0.bounceRate), String(format: "%.1f", $0.averageTime),
                                                  String($0.chatStarts), String($0.tickets), String($0.previousViews), String($0.groupedPages)] })
        }
        let base = Self.rangeParams(range)
        // Each header links to sorting by its column; the current column's link flips the order.
        m["columns"] = [("path", "Page"), ("views", "Views"), ("visitors", "Unique visitors"), ("bounce", "Bounce rate"), ("time", "Average time"),
                        ("chats", "Chat starts"), ("tickets", "Support tickets"), ("trend", "Trend")].map { key, label -> [String: Any] in
            let next = key == sort ? (ascending ? "desc" : "asc") : (key == "path" ? "asc" : "desc")
            return ["label": label, "href": Self.link("/admin/top-pages", base + [("sort", key), ("order", next)]), "current": key == sort,
                    "arrow": key == sort ? (ascending ? " ▲" : " ▼") : "", "id": "sort-\(key)"]
        }
        m["rows"] = rows.map { p -> [String: Any] in
            let trend = p.views > p.previousViews ? "up" : p.views < p.previousViews ? "down" : "flat"
            return ["path": p.path, "views": p.views, "visitors": p.visitors, "bounce": String(format: "%.1f%%", p.bounceRate), "time": Self.duration(p.averageTime),
                    "chats": p.chatStarts, "tickets": p.tickets, "trend": trend, "trendLabel": trend == "up" ? "▲ up from \(p.previousViews)" : trend == "down" ? "▼ down from \(p.previousViews)" : "● flat",
                    "grouped": p.isGroup ? p.groupedPages : false,
                    // A group links to the Visitor log searching for the pattern's fixed start (e.g. /products/ for /products/*).
                    "visitLink": Self.link("/admin/visitor-log", base + [("search", p.isGroup ? String(p.path.prefix { $0 != "*" }) : p.path)])]
        }
        let groups = try await services.analytics.pageGroups(site.id)
        m["groupsOn"] = !groups.isEmpty
        m["groups"] = groups.joined(separator: ", ")
        m["csvLink"] = Self.link("/admin/top-pages", base + [("sort", sort), ("order", ascending ? "asc" : "desc"), ("format", "csv")])
        m["siteKey"] = site.siteKey
        return renderer.html("top_pages", m)
    }

    // MARK: - Geo intelligence

    static func geoRows(_ rows: [GeoRow], link: (String) -> String?) -> [[String: Any]] {
        rows.map { g -> [String: Any] in
            var row: [String: Any] = ["value": g.value.isEmpty ? "Unknown" : g.value, "visitors": g.visitors, "sessions": g.sessions,
                                      "bounce": String(format: "%.1f%%", g.bounceRate), "conversion": String(format: "%.1f%%", g.conversionRate)]
            if let l = link(g.value) { row["link"] = l }
            return row
        }
    }

    func geoPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Geo intelligence", active: "geo"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("geo", m) }
        let (range, rangeError) = try await requestRange(request, site)
        if let rangeError { m["error"] = rangeError }
        m.merge(Self.rangeModel(range, action: "/admin/geo")) { $1 }
        let base = Self.rangeParams(range)
        let reports = services.analytics.reports
        let countries = try await reports.geo(site.id, from: range.start, to: range.end, country: nil)
        let groups = try await services.analytics.countryGroups(site.id, range: range)
        if Self.param(request, "format") == "csv" {
            // The country table, then the country groups (visitors counted once per group).
            let row = { (name: String, kind: String, g: GeoRow) in
                [name, kind, String(g.visitors), String(g.sessions), String(format: "%.1f", g.bounceRate), String(format: "%.1f", g.conversionRate)]
            }
            return CSV.response(filename: "geo-\(range.firstDay)-\(range.lastDay).csv",
                                header: ["name", "kind", "visitors", "sessions", "bounce_rate", "conversion_rate"],
                                rows: countries.map { row($0.value.isEmpty ? "Unknown" : $0.value, "country", $0) } + groups.map { row($0.group.name, "group", $0.figures) })
        }
        m["groups"] = groups.map { g -> [String: Any] in
            ["name": g.group.name, "key": g.group.key, "countries": g.group.countries.joined(separator: ", "), "visitors": g.figures.visitors, "sessions": g.figures.sessions,
             "share": String(format: "%.1f%%", g.share), "bounce": String(format: "%.1f%%", g.figures.bounceRate), "conversion": String(format: "%.1f%%", g.figures.conversionRate)]
        }
        m["csvLink"] = Self.link("/admin/geo", base + [("format", "csv")])
        let total = countries.reduce(Int64(0)) { $0 + $1.visitors }
        m["countries"] = Self.geoRows(countries) { $0.isEmpty ? nil : Self.link("/admin/geo", base + [("country", $0)]) }
        m["empty"] = countries.isEmpty
        let top = countries.prefix(10).map { ($0.value.isEmpty ? "Unknown" : $0.value, $0.visitors) }
        m["barsSVG"] = SVGChart.bars(id: "country-bars", title: "Top countries by visitors, \(range.label)", rows: Array(top), unit: "visitors")
        let rest = total - top.reduce(Int64(0)) { $0 + $1.1 }
        m["doughnutSVG"] = SVGChart.doughnut(id: "country-share", title: "Share of visitors by country", slices: Array(top) + (rest > 0 ? [("Other", rest)] : []))
        let country = String(Self.param(request, "country").prefix(8)).uppercased()
        if !country.isEmpty {
            m["country"] = country
            m["cities"] = Self.geoRows(try await reports.geo(site.id, from: range.start, to: range.end, country: country)) { _ in nil }
            m["backLink"] = Self.link("/admin/geo", base)
        }
        for (key, dim) in [("devices", RollupDimension.device), ("browsers", .browser), ("sources", .source)] {
            m[key] = Self.tableRows(try await reports.breakdown(site.id, dim, from: range.start, to: range.end, limit: 10))
        }
        return renderer.html("geo", m)
    }

    // MARK: - Events log

    func eventsPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Events log", active: "events"), request)
        guard let site = try await sites(ctx).current else { m["noSite"] = true; return renderer.html("events_log", m) }
        let (range, rangeError) = try await requestRange(request, site)
        if let rangeError { m["error"] = rangeError }
        m.merge(Self.rangeModel(range, action: "/admin/events")) { $1 }
        let (type, search) = (String(Self.param(request, "type").prefix(120)), Self.param(request, "search"))
        let page = max(1, Int(Self.param(request, "page")) ?? 1)
        let csv = Self.param(request, "format") == "csv"
        let (limit, offset) = csv ? (CSV.maxRows, 0) : (Self.listPageSize, (page - 1) * Self.listPageSize)
        let (rows, total) = try await services.analyticsLists.events(site.id, from: range.start, to: range.end, type: type, search: search, limit: limit, offset: offset)
        let times = DateFormatter()
        times.locale = Locale(identifier: "en_US_POSIX")
        times.timeZone = range.timeZone
        times.dateFormat = "yyyy-MM-dd HH:mm:ss"
        if csv {
            return CSV.response(filename: "events-\(range.firstDay)-\(range.lastDay).csv", header: ["time", "type", "name", "url", "visitor", "email", "properties"],
                                rows: rows.map { [times.string(from: $0.event.ts), $0.event.type, $0.event.name, $0.event.url, $0.event.visitorKey, $0.email ?? "", $0.event.props] })
        }
        Self.paging(&m, path: "/admin/events", params: Self.rangeParams(range) + [("type", type), ("search", search)], page: page, total: total)
        m["rows"] = rows.map { e, email -> [String: Any] in
            var row: [String: Any] = ["when": times.string(from: e.ts), "type": e.type, "name": e.name, "path": String(e.path.prefix(80)), "url": e.url,
                                      "who": email ?? "anonymous", "props": e.type == "engagement" ? "engaged \(e.engagedMs / 1000) s, scrolled \(e.scrollPct)%" : (e.props == "{}" ? "" : String(e.props.prefix(400)))]
            if e.isBot { row["bot"] = true }
            return row
        }
        m["type"] = type
        m["search"] = search
        m["typeOptions"] = Self.options([("", "Any type")] + ["pageview", "engagement", "scroll", "custom", "identify", "form", "outbound"].map { ($0, $0) }, selected: type)
        m["siteKey"] = site.siteKey
        m["filtered"] = !type.isEmpty || !search.isEmpty
        return renderer.html("events_log", m)
    }
}
