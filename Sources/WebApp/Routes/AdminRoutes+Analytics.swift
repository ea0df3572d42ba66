import Composition
import Domain
import Foundation
import Hummingbird
import Ports

/// The analytics pages. Filters and the date range are GET parameters (`range`, `from`, `to`), so a view
/// can be bookmarked and shared; figures come from `AnalyticsService`, the same as the `analytics.*` actions.
extension AdminRoutes {
    /// The date picker's model: presets, the chosen one, custom from/to.
    static func rangeModel(_ r: DateRange, action: String) -> [String: Any] {
        ["rangeAction": action, "rangeOptions": DateRange.Preset.allCases.map { ["value": $0.rawValue, "label": $0.label, "selected": $0 == r.preset] },
         "rangeFrom": r.firstDay, "rangeTo": r.lastDay, "rangeLabel": r.label, "timeZone": r.timeZone.identifier,
         "rangeQuery": r.preset == .custom ? "range=custom&from=\(r.firstDay)&to=\(r.lastDay)" : "range=\(r.preset.rawValue)"]
    }

    /// The request's date range; a bad one falls back to `fallback` with the error to show.
    func requestRange(_ request: Request, _ site: Workspace, fallback: DateRange.Preset = .last7) async throws -> (DateRange, String?) {
        let q = request.uri.queryParameters
        do {
            return (try await services.analytics.range(site.id, preset: q.get("range"), from: q.get("from"), to: q.get("to"), fallback: fallback), nil)
        } catch let e as DomainError {
            return (try await services.analytics.range(site.id, preset: fallback.rawValue), e.description)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s < 60 ? "\(s)s" : s < 3600 ? "\(s / 60)m \(s % 60)s" : "\(s / 3600)h \(s % 3600 / 60)m"
    }

    static func percent(_ part: Int64, of whole: Int64) -> String {
        whole == 0 ? "0%" : String(format: "%.0f%%", Double(part) * 100 / Double(whole))
    }

    static func tableRows(_ rows: [RollupRow]) -> [[String: Any]] {
        let total = rows.reduce(Int64(0)) { $0 + $1.sessions }
        return rows.map { ["value": $0.value.isEmpty ? "Unknown" : $0.value, "sessions": $0.sessions, "pageviews": $0.pageviews, "share": percent($0.sessions, of: total)] }
    }

    func dashboardPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        var m = withFlash(try await base(ctx, title: "Dashboard", active: ""), request)
        guard let site = try await sites(ctx).current else {
            m["noSite"] = true
            return renderer.html("dashboard", m)
        }
        let (range, rangeError) = try await requestRange(request, site)
        if let rangeError { m["error"] = rangeError }
        m.merge(Self.rangeModel(range, action: "/admin")) { $1 }
        let d = try await services.analytics.dashboard(site.id, range: range)
        let s = d.summary
        let times = try await timeFormatter(site)
        m["siteName"] = site.name
        m["siteKey"] = site.siteKey
        m["live"] = d.live
        m["liveThreshold"] = d.liveThreshold
        m["visitors"] = s.visitors
        m["newVisitors"] = s.newVisitors
        m["returningVisitors"] = s.returningVisitors
        m["newShare"] = Self.percent(s.newVisitors, of: s.visitors)
        m["returningShare"] = Self.percent(s.returningVisitors, of: s.visitors)
        m["sessions"] = s.sessions
        m["pageviews"] = s.pageviews
        m["bounceRate"] = String(format: "%.1f%%", s.bounceRate)
        m["avgTime"] = Self.duration(s.averageTimeOnPage)
        m["threats"] = d.threats
        m["canSeeThreats"] = ctx.identity!.user.role != .agent
        m["sales"] = ["today": "0.00", "week": "0.00", "month": "0.00"]
        m["empty"] = s.sessions == 0 && s.pageviews == 0
        let dayLabel = DateFormatter()
        dayLabel.locale = Locale(identifier: "en_US_POSIX")
        dayLabel.timeZone = range.timeZone
        dayLabel.dateFormat = "MMM d"
        m["trendSVG"] = SVGChart.line(id: "trend-chart", title: "Unique visitors per day, \(range.label)",
                                      points: d.trend.map { (dayLabel.string(from: $0.start), $0.visitors) }, unit: "visitors")
        m["heatmapSVG"] = SVGChart.heatmap(id: "heatmap", title: "Visits by hour of day and day of week (\(range.timeZone.identifier))", grid: d.heatmap,
                                           rowLabels: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                                           columnLabels: (0..<24).map { String(format: "%02d:00", $0) }, unit: "visits")
        m["sources"] = Self.tableRows(d.sources)
        m["browsers"] = Self.tableRows(d.browsers)
        m["recent"] = d.recent.map { r -> [String: Any] in
            var row: [String: Any] = ["id": r.id, "when": times.string(from: r.lastAt), "country": r.country.isEmpty ? "Unknown" : r.country,
             "page": r.exitPath.isEmpty ? r.entryPath : r.exitPath, "device": r.device, "browser": r.browser, "source": r.source,
             "who": r.email ?? r.name ?? "anonymous"]
            // Mustache sections treat "" as present: leave the key out instead.
            if !r.city.isEmpty { row["city"] = r.city }
            return row
        }
        return renderer.html("dashboard", m)
    }
}
