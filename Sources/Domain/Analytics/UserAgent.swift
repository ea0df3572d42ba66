import Foundation

/// The kind of device a page view came from, as shown in the Device filter.
public enum DeviceType: String, Sendable, Codable, CaseIterable {
    case desktop, mobile, tablet, bot, unknown
}

/// What a User-Agent header says about the visitor: device, browser and OS with versions, and
/// whether it is a bot.
///
/// Names are deliberately coarse so reports group well: Chrome is "Chrome" on every platform
/// (CriOS, Android and desktop alike) and the device type tells them apart.
public struct UserAgentInfo: Sendable, Equatable {
    /// Shown when the browser or OS cannot be recognised.
    public static let unknownName = "Unknown"

    public var deviceType: DeviceType
    /// "Chrome", "Firefox", "Safari", "Edge", "Opera", "Samsung Internet", "Internet Explorer",
    /// "Yandex Browser", "Vivaldi", "UC Browser", "Amazon Silk", "Chromium" or "Unknown".
    public var browser: String
    /// Major.minor, e.g. "120.0"; empty when unknown.
    public var browserVersion: String
    /// "Windows", "macOS", "iOS", "iPadOS", "Android", "Linux", "ChromeOS", "Windows Phone" or "Unknown".
    public var os: String
    /// As the platform reports it, e.g. "10", "10.15.7", "17.1.2"; empty when unknown.
    public var osVersion: String
    public var isBot: Bool
    /// The bot's product name ("Googlebot", "curl", ...) when `isBot`.
    public var botName: String?

    public init(deviceType: DeviceType, browser: String, browserVersion: String, os: String,
                osVersion: String, isBot: Bool = false, botName: String? = nil) {
        self.deviceType = deviceType
        self.browser = browser
        self.browserVersion = browserVersion
        self.os = os
        self.osVersion = osVersion
        self.isBot = isBot
        self.botName = botName
    }
}

/// Parses User-Agent strings with ordered token tables: the first matching row wins, so more
/// specific products (Edge, Opera, Samsung Internet) sit above the Chrome they all claim to be.
public enum UserAgentParser {
    /// Parses one User-Agent header value. Never fails: unrecognised parts come back as "Unknown".
    /// Parsed user agents, by header. Real traffic repeats a few thousand distinct strings, and parsing one
    /// costs far more than the rest of a beacon; the cache is emptied when it reaches `cacheLimit` entries.
    static let cache = Mutex_<[String: UserAgentInfo]>([:])
    static let cacheLimit = 5_000

    /// `parse(_:)` through the cache.
    public static func cachedParse(_ ua: String) -> UserAgentInfo {
        if let hit = cache.withLock({ $0[ua] }) { return hit }
        let info = parse(ua)
        cache.withLock { c in
            if c.count >= cacheLimit { c.removeAll(keepingCapacity: true) }
            c[ua] = info
        }
        return info
    }

    public static func parse(_ ua: String) -> UserAgentInfo {
        let text = ua.trimmingCharacters(in: .whitespacesAndNewlines)
        let (browser, browserVersion) = detectBrowser(text)
        let (os, osVersion, device) = detectOS(text)
        if let bot = detectBot(text) {
            return UserAgentInfo(deviceType: .bot, browser: browser, browserVersion: browserVersion,
                                 os: os, osVersion: osVersion, isBot: true, botName: bot)
        }
        return UserAgentInfo(deviceType: device, browser: browser, browserVersion: browserVersion,
                             os: os, osVersion: osVersion)
    }

    // MARK: Bots

    /// Known automated clients, matched case-insensitively anywhere in the header. Specific names
    /// come first so "Googlebot" is reported rather than the generic "bot".
    static let knownBots: [(needle: String, name: String)] = [
        ("googlebot", "Googlebot"), ("adsbot-google", "AdsBot-Google"),
        ("mediapartners-google", "Mediapartners-Google"), ("google-inspectiontool", "Google-InspectionTool"),
        ("storebot-google", "Storebot-Google"), ("googleother", "GoogleOther"),
        ("bingbot", "Bingbot"), ("bingpreview", "BingPreview"), ("adidxbot", "AdIdxBot"),
        ("duckduckbot", "DuckDuckBot"), ("baiduspider", "Baiduspider"), ("yandexbot", "YandexBot"),
        ("yandex.com/bots", "YandexBot"), ("applebot", "Applebot"), ("petalbot", "PetalBot"),
        ("ahrefsbot", "AhrefsBot"), ("semrushbot", "SemrushBot"), ("mj12bot", "MJ12bot"),
        ("dotbot", "DotBot"), ("bytespider", "Bytespider"), ("gptbot", "GPTBot"),
        ("claudebot", "ClaudeBot"), ("ccbot", "CCBot"), ("amazonbot", "Amazonbot"),
        ("perplexitybot", "PerplexityBot"), ("yahoo! slurp", "Yahoo! Slurp"),
        ("facebookexternalhit", "facebookexternalhit"), ("facebookcatalog", "facebookcatalog"),
        ("twitterbot", "Twitterbot"), ("linkedinbot", "LinkedInBot"), ("slackbot", "Slackbot"),
        ("discordbot", "Discordbot"), ("telegrambot", "TelegramBot"), ("whatsapp", "WhatsApp"),
        ("headlesschrome", "HeadlessChrome"), ("phantomjs", "PhantomJS"), ("lighthouse", "Lighthouse"),
        ("puppeteer", "Puppeteer"), ("playwright", "Playwright"), ("selenium", "Selenium"),
        ("curl/", "curl"), ("wget/", "Wget"), ("python-requests", "python-requests"),
        ("python-urllib", "Python-urllib"), ("python-httpx", "python-httpx"), ("aiohttp", "aiohttp"),
        ("go-http-client", "Go-http-client"), ("java/", "Java"), ("apache-httpclient", "Apache-HttpClient"),
        ("okhttp", "okhttp"), ("node-fetch", "node-fetch"), ("axios/", "axios"),
        ("libwww-perl", "libwww-perl"), ("scrapy", "Scrapy"), ("postmanruntime", "PostmanRuntime"),
    ]

    /// Words that mark a self-declared robot. The bot's name is then the product token holding the word.
    static let genericBotWords = ["bot", "crawler", "spider", "crawl", "slurp", "scraper"]

    /// Substrings that contain a generic word but are real devices (CUBOT is an Android phone brand).
    static let genericBotExceptions = ["cubot"]

    static func detectBot(_ ua: String) -> String? {
        // A missing header ("-" in access logs) is never a real browser.
        if ua.isEmpty || ua == "-" { return "Empty user agent" }
        let lower = ua.lowercased()
        if let hit = knownBots.first(where: { lower.contains($0.needle) }) { return hit.name }
        var scrubbed = lower
        for exception in genericBotExceptions { scrubbed = scrubbed.replacingOccurrences(of: exception, with: "") }
        guard let word = genericBotWords.first(where: { scrubbed.contains($0) }) else { return nil }
        let tokens = ua.split(whereSeparator: { " ;(),".contains($0) })
        let token = tokens.first { t in
            let l = t.lowercased()
            return l.contains(word) && !l.contains("http") && !l.hasPrefix("+")
        }
        guard let token else { return word }
        return String(token.split(separator: "/", maxSplits: 1).first ?? token)
    }

    // MARK: Browsers

    /// Product tokens in priority order (the token must start a word and be followed by "/").
    static let browserTokens: [(token: String, name: String)] = [
        ("EdgiOS", "Edge"), ("EdgA", "Edge"), ("Edg", "Edge"), ("Edge", "Edge"),
        ("OPR", "Opera"), ("OPiOS", "Opera"), ("OPT", "Opera"), ("Opera", "Opera"),
        ("SamsungBrowser", "Samsung Internet"), ("YaBrowser", "Yandex Browser"), ("Vivaldi", "Vivaldi"),
        ("UCBrowser", "UC Browser"), ("Silk", "Amazon Silk"),
        ("CriOS", "Chrome"), ("FxiOS", "Firefox"), ("Firefox", "Firefox"),
        ("HeadlessChrome", "Chrome"), ("Chrome", "Chrome"), ("Chromium", "Chromium"),
    ]

    static func detectBrowser(_ ua: String) -> (String, String) {
        for row in browserTokens {
            if let v = productVersion(ua, row.token) { return (row.name, majorMinor(v)) }
        }
        // Safari carries its real version in "Version/"; "Safari/605.1.15" is the WebKit build.
        if ua.contains("Safari/"), let v = productVersion(ua, "Version") { return ("Safari", majorMinor(v)) }
        if let v = versionAfter("MSIE ", in: ua) { return ("Internet Explorer", majorMinor(v)) }
        if ua.contains("Trident/"), let v = versionAfter("rv:", in: ua) { return ("Internet Explorer", majorMinor(v)) }
        return (UserAgentInfo.unknownName, "")
    }

    // MARK: Operating systems

    static func detectOS(_ ua: String) -> (os: String, version: String, device: DeviceType) {
        if let v = versionAfter("Windows Phone ", in: ua) { return ("Windows Phone", v, .mobile) }
        if ua.contains("iPad") { return ("iPadOS", versionAfter("CPU OS ", in: ua) ?? "", .tablet) }
        if ua.contains("iPhone") || ua.contains("iPod") {
            return ("iOS", versionAfter("iPhone OS ", in: ua) ?? versionAfter("CPU OS ", in: ua) ?? "", .mobile)
        }
        if ua.contains("Android") {
            // Android phones say "Mobile"; tablets leave it out (Firefox says "Tablet" explicitly).
            let phone = ua.contains("Mobile") && !ua.contains("Tablet")
            return ("Android", versionAfter("Android ", in: ua) ?? "", phone ? .mobile : .tablet)
        }
        if let range = ua.range(of: "CrOS ") {
            // "CrOS x86_64 14541.0.0": skip the architecture, keep the platform version.
            let rest = ua[range.upperBound...].split(separator: " ", maxSplits: 2)
            let v = rest.count > 1 ? leadingVersion(rest[1]) : ""
            return ("ChromeOS", v, .desktop)
        }
        if let nt = versionAfter("Windows NT ", in: ua) { return ("Windows", windowsName(nt), .desktop) }
        if ua.contains("Windows") { return ("Windows", "", .desktop) }
        // iPadOS 13+ in desktop mode sends a Macintosh header indistinguishable from a Mac: treat as macOS.
        if let v = versionAfter("Mac OS X ", in: ua) { return ("macOS", v, .desktop) }
        if ua.contains("Macintosh") { return ("macOS", "", .desktop) }
        if ua.contains("Linux") || ua.contains("X11") { return ("Linux", "", .desktop) }
        return (UserAgentInfo.unknownName, "", ua.contains("Mobi") ? .mobile : .unknown)
    }

    /// Windows reports kernel versions; Windows 11 still says "NT 10.0", so it reads as "10".
    static func windowsName(_ nt: String) -> String {
        switch nt {
        case "10.0": return "10"
        case "6.3": return "8.1"
        case "6.2": return "8"
        case "6.1": return "7"
        case "6.0": return "Vista"
        case "5.1", "5.2": return "XP"
        default: return nt
        }
    }

    // MARK: Token helpers

    /// The version after `name/` where `name` starts a token, so "Chrome" does not match inside
    /// "HeadlessChrome/" and "Edg" does not match "Edge/".
    static func productVersion(_ ua: String, _ name: String) -> String? {
        let needle = name + "/"
        var searchStart = ua.startIndex
        while let r = ua.range(of: needle, range: searchStart..<ua.endIndex) {
            let atBoundary = r.lowerBound == ua.startIndex || " ;(".contains(ua[ua.index(before: r.lowerBound)])
            if atBoundary {
                let v = leadingVersion(ua[r.upperBound...])
                return v.isEmpty ? nil : v
            }
            searchStart = r.upperBound
        }
        return nil
    }

    /// The dotted version right after `marker`, with iOS/macOS underscores turned into dots.
    static func versionAfter(_ marker: String, in ua: String) -> String? {
        guard let r = ua.range(of: marker) else { return nil }
        let v = leadingVersion(ua[r.upperBound...])
        return v.isEmpty ? nil : v
    }

    static func leadingVersion(_ s: Substring) -> String {
        let raw = s.prefix { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "_") }
        let dotted = raw.replacingOccurrences(of: "_", with: ".")
        return dotted.trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// "120.0.6099.109" → "120.0"; a bare major "121" → "121.0" so versions group consistently.
    static func majorMinor(_ v: String) -> String {
        let parts = v.split(separator: ".", omittingEmptySubsequences: false)
        guard let major = parts.first, !major.isEmpty else { return "" }
        let minor = parts.count > 1 && !parts[1].isEmpty ? parts[1] : "0"
        return "\(major).\(minor)"
    }
}
