import Foundation
import Ports

/// Everything the Dashboard shows for one site and date range.
public struct DashboardReport: Sendable {
    public var range: DateRange
    public var summary: TrafficSummary
    public var live: Int
    public var liveThreshold: Int
    public var threats: Int
    /// Unique visitors and sessions per local day of the range.
    public var trend: [TrafficBucket]
    /// Sessions started by local day of week (0 = Monday) and hour of day.
    public var heatmap: [[Int64]]
    public var sources: [RollupRow]
    public var browsers: [RollupRow]
    public var recent: [SessionRow]
    /// Sales today, this week and this month; nil until a sales source is connected (the sales feature).
    public var sales: (today: Double, week: Double, month: Double)?
}

/// Reads the analytics reports for the admin pages and the `analytics.*` actions, in the site's time zone.
public struct AnalyticsService: Sendable {
    public let reports: any AnalyticsReports
    public let settings: SettingsService
    public let blocked: any BlockedNetworkStore
    public let clock: any TimeSource

    public init(reports: any AnalyticsReports, settings: SettingsService, blocked: any BlockedNetworkStore, clock: any TimeSource) {
        self.reports = reports; self.settings = settings; self.blocked = blocked; self.clock = clock
    }

    /// The site's time zone (UTC when unset).
    public func timeZone(_ workspace: WorkspaceID) async throws -> TimeZone {
        try await settings.value("timezone", workspace: workspace)?.stringValue.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
    }

    public func range(_ workspace: WorkspaceID, preset: String?, from: String? = nil, to: String? = nil, days: Int? = nil,
                      fallback: DateRange.Preset = .last7) async throws -> DateRange {
        try DateRange.resolve(preset: preset, from: from, to: to, days: days, now: clock.now(), timeZone: try await timeZone(workspace), fallback: fallback)
    }

    /// The live window and refresh interval from the site's settings.
    public func liveSettings(_ workspace: WorkspaceID) async throws -> (threshold: Int, refresh: Int) {
        let all = try await settings.resolved(workspace: workspace)
        let t = all.first { $0.name == "analytics.live_threshold_seconds" }?.value.intValue ?? 90
        let r = all.first { $0.name == "analytics.live_refresh_seconds" }?.value.intValue ?? 15
        return (Int(t), Int(r))
    }

    /// Blocked addresses and ranges in force for this site (its own and the installation's).
    public func threats(_ workspace: WorkspaceID) async throws -> Int {
        let now = clock.now()
        return try await blocked.all().filter { ($0.workspaceID == nil || $0.workspaceID == workspace) && ($0.expiresAt.map { $0 > now } ?? true) }.count
    }

    /// Sessions by (local weekday Monday-first, local hour) from the hourly rollups. In a zone with a
    /// half-hour offset each UTC hour lands in the local hour it starts in.
    public static func heatmap(_ hours: [(hour: Date, sessions: Int64)], timeZone: TimeZone) -> [[Int64]] {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        var grid = Array(repeating: Array(repeating: Int64(0), count: 24), count: 7)
        for (h, n) in hours {
            let c = cal.dateComponents([.weekday, .hour], from: h)
            let day = ((c.weekday ?? 2) + 5) % 7  // Sunday = 1 → 6, Monday = 2 → 0
            grid[day][c.hour ?? 0] += n
        }
        return grid
    }

    public func dashboard(_ workspace: WorkspaceID, range: DateRange) async throws -> DashboardReport {
        async let summary = reports.summary(workspace, from: range.start, to: range.end)
        async let trend = reports.buckets(workspace, boundaries: range.dayBoundaries)
        async let hours = reports.sessionsByHour(workspace, from: range.start, to: range.end)
        async let sources = reports.breakdown(workspace, .source, from: range.start, to: range.end, limit: 8)
        async let browsers = reports.breakdown(workspace, .browser, from: range.start, to: range.end, limit: 8)
        let live = try await liveSettings(workspace)
        let now = clock.now()
        async let active = reports.recentSessions(workspace, since: now.addingTimeInterval(-Double(live.threshold)), limit: 1000)
        async let recent = reports.recentSessions(workspace, since: nil, limit: 10)
        let threats = try await threats(workspace)
        return DashboardReport(range: range, summary: try await summary, live: Set(try await active.map(\.visitorKey)).count, liveThreshold: live.threshold,
                               threats: threats, trend: try await trend, heatmap: Self.heatmap(try await hours, timeZone: range.timeZone),
                               sources: try await sources, browsers: try await browsers, recent: try await recent, sales: nil)
    }

    /// The Live feed's filters from request values: a two-letter country code, a device type,
    /// part of a referring domain (at most 255 characters). Bad values throw a validation error naming the field.
    public static func liveFilter(country: String, device: String, referrer: String) throws -> LiveFilter {
        let c = country.trimmingCharacters(in: .whitespaces).uppercased(), d = device.trimmingCharacters(in: .whitespaces).lowercased()
        let r = referrer.trimmingCharacters(in: .whitespaces)
        guard c.isEmpty || (c.count == 2 && c.allSatisfy { $0.isASCII && $0.isLetter }) else {
            throw DomainError.validation(field: "country", message: "must be a two-letter country code such as ES")
        }
        guard d.isEmpty || DeviceType(rawValue: d) != nil else {
            throw DomainError.validation(field: "device", message: "must be one of \(DeviceType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard r.count <= 255 else { throw DomainError.validation(field: "referrer", message: "must be at most 255 characters") }
        return LiveFilter(country: c, device: d, referrer: r)
    }

    public static let pageGroupsSetting = "analytics.page_groups"

    /// The site's Top pages groups (setting `analytics.page_groups`), in order.
    public func pageGroups(_ workspace: WorkspaceID) async throws -> [String] {
        TrackingExclusions.entries(try await settings.value(Self.pageGroupsSetting, workspace: workspace)?.stringValue ?? "")
    }

    /// Maps a page to the first of `patterns` it matches (its group on Top pages), or nil.
    public static func pageGrouper(_ patterns: [String]) -> @Sendable (String) -> String? {
        { path in patterns.first { PagePattern.matches($0, path: path) } }
    }

    /// Top pages sort keys: the columns of the page.
    public static let pageSorts = ["path", "views", "visitors", "bounce", "time", "chats", "tickets", "trend"]

    /// Top pages, sorted by `sort` (one of `pageSorts`, default views) descending unless `ascending`.
    public func topPages(_ workspace: WorkspaceID, range: DateRange, sort: String, ascending: Bool, limit: Int = 200) async throws -> [PageRow] {
        guard Self.pageSorts.contains(sort) else { throw DomainError.validation(field: "sort", message: "must be one of \(Self.pageSorts.joined(separator: ", "))") }
        let rows = try await reports.topPages(workspace, from: range.start, to: range.end, limit: limit, group: Self.pageGrouper(try await pageGroups(workspace)))
        func key(_ r: PageRow) -> Double {
            switch sort {
            case "visitors": return Double(r.visitors)
            case "bounce": return r.bounceRate
            case "time": return r.averageTime
            case "trend": return Double(r.views - r.previousViews)
            case "chats": return Double(r.chatStarts)
            case "tickets": return Double(r.tickets)
            default: return Double(r.views)
            }
        }
        return rows.sorted { a, b in
            if sort == "path" { return ascending ? a.path < b.path : a.path > b.path }
            let (x, y) = (key(a), key(b))
            if x != y { return ascending ? x < y : x > y }
            return a.path < b.path
        }
    }
}
