import Foundation
import Ports

/// One typed setting with its installation-wide default; a workspace may override it.
public struct SettingDefinition: Sendable {
    public enum Kind: Sendable, Equatable {
        case text(maxLength: Int)
        case integer(ClosedRange<Int64>)
        case boolean
        case choice([String])
        case timeZone
        case currency
        case color
        /// IP addresses and CIDR ranges, separated by commas or line breaks.
        case networkList
        /// Page path patterns (`*` wildcard), separated by commas or line breaks.
        case pagePatterns
        /// A path to serve the tracking script at (see `ScriptPath`); "" for none.
        case scriptPath
        /// Days and hours the team works (see `BusinessHours`), e.g. Mon-Fri 09:00-17:00.
        case supportHours
        /// An `https://` address (links and images shown to customers); "" for none.
        case httpsURL
    }
    public var name: String
    public var group: String
    public var label: String
    public var help: String
    public var kind: Kind
    public var defaultValue: JSONValue
    /// Installation-wide only (security and API limits): workspaces cannot override it.
    public var globalOnly: Bool

    public init(_ name: String, group: String, label: String, help: String, kind: Kind, default defaultValue: JSONValue, globalOnly: Bool = false) {
        self.name = name; self.group = group; self.label = label; self.help = help; self.kind = kind; self.defaultValue = defaultValue; self.globalOnly = globalOnly
    }

    /// Checks and normalises a value, naming the setting when it is wrong.
    public func validate(_ v: JSONValue) throws -> JSONValue {
        func bad(_ m: String) -> DomainError { .validation(field: name, message: m) }
        switch kind {
        case .text(let max):
            guard case .string(let s) = v else { throw bad("must be text") }
            guard s.count <= max else { throw bad("must be at most \(max) characters") }
            return .string(s.trimmingCharacters(in: .whitespacesAndNewlines))
        case .integer(let range):
            guard let i = v.intValue ?? v.stringValue.flatMap({ Int64($0) }) else { throw bad("must be a whole number") }
            guard range.contains(i) else { throw bad("must be from \(range.lowerBound) to \(range.upperBound)") }
            return .int(i)
        case .boolean:
            if case .bool = v { return v }
            if let s = v.stringValue, ["true", "1", "on", "yes"].contains(s.lowercased()) { return .bool(true) }
            if let s = v.stringValue, ["false", "0", "off", "no", ""].contains(s.lowercased()) { return .bool(false) }
            throw bad("must be true or false")
        case .choice(let options):
            guard let s = v.stringValue, options.contains(s) else { throw bad("must be one of \(options.joined(separator: ", "))") }
            return .string(s)
        case .timeZone:
            guard let s = v.stringValue, TimeZone(identifier: s) != nil else { throw bad("must be a time zone name such as Europe/Berlin or America/New_York") }
            return .string(s)
        case .currency:
            guard let s = v.stringValue?.uppercased(), s.count == 3, s.allSatisfy({ $0.isLetter && $0.isASCII }) else { throw bad("must be a 3-letter ISO 4217 code such as USD or EUR") }
            return .string(s)
        case .color:
            guard let s = v.stringValue?.lowercased(), s.count == 7, s.hasPrefix("#"), s.dropFirst().allSatisfy(\.isHexDigit) else { throw bad("must be a colour like #3558e6") }
            return .string(s)
        case .networkList:
            guard let s = v.stringValue, s.count <= 20_000 else { throw bad("must be text of at most 20000 characters") }
            return .string(try TrackingExclusions.normalizeNetworks(s, field: name))
        case .pagePatterns:
            guard let s = v.stringValue, s.count <= 20_000 else { throw bad("must be text of at most 20000 characters") }
            return .string(try TrackingExclusions.normalizePatterns(s, field: name))
        case .scriptPath:
            guard let s = v.stringValue else { throw bad("must be text") }
            return .string(try ScriptPath.validate(s, field: name))
        case .supportHours:
            guard let s = v.stringValue, s.count <= 190 else { throw bad("must be text of at most 190 characters") }
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try BusinessHours.parse(t, timeZone: TimeZone(identifier: "UTC")!, field: name)
            return .string(t)
        case .httpsURL:
            guard let s = v.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) else { throw bad("must be text") }
            if s.isEmpty { return .string("") }
            // https only, and nothing that could break out of an attribute or a URL in CSS or HTML.
            guard s.count <= 2000, s.lowercased().hasPrefix("https://"), s.count > "https://".count,
                  s.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 && !"\"'<>\\`(){}".unicodeScalars.contains($0) }) else {
                throw bad("must be an https:// address like https://example.com/support (no spaces or quotes)")
            }
            return .string(s)
        }
    }
}

/// A counter that caches compare with the value they loaded at.
public final class ChangeCounter: Sendable {
    private let n = Mutex_<Int>(0)
    public init() {}
    public var value: Int { n.get() }
    public func bump() { n.withLock { $0 += 1 } }
}

/// The settings cascade: a workspace's value if it set one, else the installation default, else the built-in default.
public struct SettingsService: Sendable {
    public let definitions: [SettingDefinition]
    public let store: any SettingsStore
    public let db: any SQLDatabase
    public let clock: any TimeSource
    /// Bumped by every `set` in this process, so caches of resolved settings know to reload.
    public let changes = ChangeCounter()

    public init(definitions: [SettingDefinition] = SettingsService.builtIn, store: any SettingsStore, db: any SQLDatabase, clock: any TimeSource) {
        self.definitions = definitions; self.store = store; self.db = db; self.clock = clock
    }

    public struct Resolved: Sendable, Equatable {
        public var name: String
        public var value: JSONValue
        /// Where the value comes from: "workspace", "global" or "default".
        public var source: String
    }

    public func definition(_ name: String) -> SettingDefinition? { definitions.first { $0.name == name } }

    public func resolved(workspace: WorkspaceID?) async throws -> [Resolved] {
        let global = try await store.values(workspace: 0)
        var local: [String: String] = [:]
        if let workspace { local = try await store.values(workspace: workspace.raw) }
        return definitions.map { d in
            if workspace != nil, !d.globalOnly, let raw = local[d.name], let v = try? JSONValue.parse(raw) { return Resolved(name: d.name, value: v, source: "workspace") }
            if let raw = global[d.name], let v = try? JSONValue.parse(raw) { return Resolved(name: d.name, value: v, source: "global") }
            return Resolved(name: d.name, value: d.defaultValue, source: "default")
        }
    }

    /// The session timeout and conversion events in force for a site.
    public func sessionRules(_ workspace: WorkspaceID) async throws -> SessionRules {
        Self.sessionRules(from: try await resolved(workspace: workspace))
    }

    /// The same, from settings already resolved (the beacon resolves them once per request).
    public static func sessionRules(from all: [Resolved]) -> SessionRules {
        let minutes = all.first { $0.name == "tracking.session_timeout_minutes" }?.value.intValue ?? 30
        let names = (all.first { $0.name == "tracking.conversion_events" }?.value.stringValue ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let zone = all.first { $0.name == "timezone" }?.value.stringValue.flatMap { TimeZone(identifier: $0)?.identifier }
        return SessionRules(timeout: TimeInterval(minutes * 60), conversionEvents: Set(names), timeZone: zone)
    }

    public func value(_ name: String, workspace: WorkspaceID?) async throws -> JSONValue? {
        try await resolved(workspace: workspace).first { $0.name == name }?.value
    }

    /// Sets (or with nil, clears back to the inherited value) one setting.
    public func set(_ name: String, to value: JSONValue?, workspace: WorkspaceID?, by: UserID?, in tx: any SQLConnection) async throws -> JSONValue? {
        guard let d = definition(name) else { throw DomainError.validation(field: "name", message: "unknown setting '\(name)'") }
        if workspace != nil && d.globalOnly { throw DomainError.validation(field: name, message: "is installation-wide and cannot be set per site") }
        let checked = try value.map { try d.validate($0) }
        try await store.set(workspace: workspace?.raw ?? 0, name: name, value: checked?.encoded(), by: by, now: clock.now(), in: tx)
        changes.bump()
        return checked
    }

    public static let builtIn: [SettingDefinition] = [
        SettingDefinition("business.name", group: "Business identity", label: "Business name", help: "Shown to customers in the widget, emails and the ticket portal.", kind: .text(maxLength: 190), default: .string("")),
        SettingDefinition("business.email", group: "Business identity", label: "Support email", help: "The From address of customer emails.", kind: .text(maxLength: 190), default: .string("")),
        SettingDefinition("timezone", group: "Regional", label: "Time zone", help: "Reports, date ranges and support hours use it.", kind: .timeZone, default: .string("UTC")),
        SettingDefinition("currency", group: "Regional", label: "Currency", help: "For sales and deal values.", kind: .currency, default: .string("USD")),
        SettingDefinition("support.hours", group: "Support hours", label: "Support hours", help: "Days and hours the team answers, e.g. Mon-Fri 09:00-17:00. SLA clocks count only these hours.", kind: .supportHours, default: .string("Mon-Fri 09:00-17:00")),
        SettingDefinition("tickets.attachment_max_mb", group: "Tickets", label: "Largest attachment (MB)", help: "Files larger than this are refused on tickets (1 to 50 MB).", kind: .integer(1...50), default: .int(10)),
        SettingDefinition("tickets.portal_require_identity", group: "Tickets", label: "Ticket portal requires identity", help: "Only customers with a signed identity token (data-identity-token) can use the ticket portal embed; anonymous visitors cannot open tickets there.", kind: .boolean, default: .bool(false)),
        SettingDefinition("tickets.portal_url", group: "Tickets", label: "Ticket portal page", help: "The page of your site with the ticket portal embed (https). Acknowledgement and resolution emails link customers to their ticket there; empty: no link.", kind: .httpsURL, default: .string("")),
        SettingDefinition("tickets.portal_requests_per_minute", group: "Tickets", label: "Portal requests per minute per address", help: "Requests one visitor address may make to the ticket portal each minute (polling every 12 seconds uses 5).", kind: .integer(10...10_000), default: .int(120)),
        SettingDefinition("tickets.portal_creates_per_hour", group: "Tickets", label: "Portal new tickets per hour per address", help: "New tickets one visitor address may open through the portal each hour (spam guard).", kind: .integer(1...1000), default: .int(10)),
        SettingDefinition("tickets.portal_title", group: "Branding", label: "Ticket portal title", help: "The heading of the ticket portal embed. Empty: \"Support tickets\".", kind: .text(maxLength: 120), default: .string("")),
        SettingDefinition("branding.logo_url", group: "Branding", label: "Logo URL", help: "An https:// image shown at the top of the ticket portal. Empty: no logo.", kind: .httpsURL, default: .string("")),
        SettingDefinition("tracking.respect_dnt", group: "Tracking", label: "Honour Do Not Track", help: "Visitors whose browser sends Do Not Track are not tracked.", kind: .boolean, default: .bool(false)),
        SettingDefinition("tracking.anonymize_ip", group: "Tracking", label: "Anonymise IP addresses", help: "Store IPv4 addresses with the last octet set to 0 and IPv6 as /48.", kind: .boolean, default: .bool(false)),
        SettingDefinition("tracking.track_forms", group: "Tracking", label: "Track form submissions", help: "Record form submissions as events.", kind: .boolean, default: .bool(true)),
        SettingDefinition("tracking.session_timeout_minutes", group: "Tracking", label: "Session timeout (minutes)", help: "A visit ends after this long without activity.", kind: .integer(5...240), default: .int(30)),
        SettingDefinition("tracking.conversion_events", group: "Tracking", label: "Conversion events", help: "Custom event names that mark a session as converted, separated by commas (e.g. order.completed, signup.completed).", kind: .text(maxLength: 2000), default: .string("")),
        SettingDefinition("analytics.live_threshold_seconds", group: "Tracking", label: "Live feed: active threshold (seconds)", help: "A visitor counts as live this long after their last page load or activity.", kind: .integer(15...1800), default: .int(90)),
        SettingDefinition("analytics.live_refresh_seconds", group: "Tracking", label: "Live feed: refresh interval (seconds)", help: "How often the live feed and the live visitors card update. Lower values cost more server time.", kind: .integer(5...300), default: .int(15)),
        SettingDefinition("analytics.page_groups", group: "Tracking", label: "Top pages: page groups", help: "Page patterns whose pages Top pages shows as one row, separated by commas; * matches any characters (e.g. /products/*, /blog/*). A page is counted in the first pattern it matches, each visitor once per group. Empty: every page is its own row.", kind: .pagePatterns, default: .string("")),
        SettingDefinition("analytics.intent_buying_pages", group: "Intent funnel", label: "Buying pages", help: "Page patterns that mark a session as buying (checkout, cart, signup), separated by commas; * matches any characters.", kind: .pagePatterns, default: .string(IntentRules.defaultBuying)),
        SettingDefinition("analytics.intent_comparing_pages", group: "Intent funnel", label: "Comparison pages", help: "Page patterns that mark a session as comparing (pricing, plans, comparison tables).", kind: .pagePatterns, default: .string(IntentRules.defaultComparing)),
        SettingDefinition("analytics.intent_support_pages", group: "Intent funnel", label: "Support pages", help: "Page patterns that mark a session as support-seeking (help, contact, FAQ).", kind: .pagePatterns, default: .string(IntentRules.defaultSupport)),
        SettingDefinition("analytics.intent_research_pages", group: "Intent funnel", label: "Content pages", help: "Page patterns of content (docs, blog, features, products): two of them, or one read for a minute, mark a session as researching.", kind: .pagePatterns, default: .string(IntentRules.defaultResearch)),
        SettingDefinition("tracking.excluded_ips", group: "Tracking", label: "Excluded IPs", help: "Visitor addresses or ranges that are not tracked, separated by commas: your team's IPs (e.g. 203.0.113.7, 198.51.100.0/24).", kind: .networkList, default: .string("")),
        SettingDefinition("tracking.excluded_paths", group: "Tracking", label: "Excluded pages", help: "Page patterns that are not tracked, separated by commas; * matches any characters (e.g. /admin/*, /checkout/*/debug).", kind: .pagePatterns, default: .string("")),
        SettingDefinition("tracking.script_path", group: "Tracking", label: "Tracking script path", help: "Also serve the tracking script at this path on OpsIQ (e.g. /js/site.js); the snippet then uses it. Empty: /widget.php.", kind: .scriptPath, default: .string("")),
        SettingDefinition("branding.color", group: "Branding", label: "Brand colour", help: "Accent colour of the widget and portal.", kind: .color, default: .string("#3558e6")),
        SettingDefinition("retention.days", group: "Data retention", label: "Keep analytics data for (days)", help: "Older raw events are deleted by the daily retention task.", kind: .integer(30...3650), default: .int(395)),
        SettingDefinition("security.max_failed_logins", group: "Security", label: "Failed sign-ins before lockout", help: "Per account and per IP address, within the lockout window.", kind: .integer(3...50), default: .int(5), globalOnly: true),
        SettingDefinition("security.lockout_minutes", group: "Security", label: "Lockout window (minutes)", help: "Failed attempts in this window count towards a lockout.", kind: .integer(1...1440), default: .int(15), globalOnly: true),
        SettingDefinition("security.require_2fa", group: "Security", label: "Require two-factor authentication for", help: "Members of these roles must set up an authenticator app.", kind: .choice(["nobody", "owner", "admins", "everyone"]), default: .string("nobody"), globalOnly: true),
        SettingDefinition("api.rate_limit_per_minute", group: "API", label: "API requests per minute per key", help: "The next request in the same minute gets HTTP 429.", kind: .integer(1...100_000), default: .int(60), globalOnly: true),
    ]
}
