import Foundation
import Ports

/// A realistic, deterministic analytics data set for demos, tests and benchmarks (`opsiq-admin dev seed-analytics`):
/// sessions spread over the days with a weekday business-hours pattern, several pages each (pageview plus an
/// engagement event with time and scroll depth), bounces, sources incl. UTM campaigns (`summer-sale`), countries
/// and cities, devices, browsers, returning and identified visitors, conversions, and one scraper hitting one page
/// about 500 times an hour. Events come out in batches in time order, ready for `TrackingStore.insert`.
public struct AnalyticsSeed: Sendable {
    public struct Options: Sendable {
        public var workspace: WorkspaceID
        public var domain: String
        /// Roughly how many events to make (page views are a little under half of them).
        public var events: Int
        public var days: Int
        /// The data ends here (exclusive).
        public var end: Date
        public var seed: UInt64
        /// The business-hours pattern follows this zone.
        public var timeZone: TimeZone
        public init(workspace: WorkspaceID, domain: String = "shop.example.com", events: Int, days: Int = 90, end: Date, seed: UInt64 = 1,
                    timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
            self.workspace = workspace; self.domain = domain; self.events = events; self.days = days; self.end = end; self.seed = seed; self.timeZone = timeZone
        }
    }

    /// The conversion event the seed emits on a completed checkout (add it to `tracking.conversion_events`).
    public static let conversionEvent = "order.completed"
    /// The scraper's address, page and browser.
    public static let scraperIP = "203.0.113.66"
    public static let scraperPath = "/products/widget-pro"

    let options: Options
    var rng: SplitMix
    var hour = 0
    let hours: Int
    let sessionsPerWeight: Double
    var visitorCount = 0
    var eventCount = 0
    var scraperHours: Set<Int> = []
    var pending: [TrackedEvent] = []
    let start: Date
    let uidPrefix: String
    /// Source classification of the few (referrer, URL) pairs the seed uses, worked out once each.
    var classified: [String: SourceClassifier.Result] = [:]

    public init(_ options: Options) {
        self.options = options
        rng = SplitMix(options.seed)
        uidPrefix = "seed-" + String(options.seed, radix: 16) + "-"
        hours = max(1, options.days) * 24
        start = options.end.addingTimeInterval(-Double(hours) * 3600)
        // About 4.6 events a session (2.3 pages × pageview + engagement on average, plus the odd identify or conversion); 1% of events are the scraper's.
        let scraperEvents = options.events / 100
        var total = 0.0
        for h in 0..<hours { total += Self.weight(start.addingTimeInterval(Double(h) * 3600), options.timeZone) }
        sessionsPerWeight = Double(max(0, options.events - scraperEvents)) / 4.6 / max(total, 1)
        let bursts = scraperEvents / 500
        var r = SplitMix(options.seed ^ 0x5c4a_9e11)
        while scraperHours.count < min(bursts, hours) { scraperHours.insert(Int(r.next() % UInt64(hours))) }
    }

    /// Weekdays 9-17 busy, evenings moderate, nights and weekends quiet (the B2B pattern of the heatmap example).
    static func weight(_ t: Date, _ tz: TimeZone) -> Double {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = tz
        let c = cal.dateComponents([.hour, .weekday], from: t)
        let weekend = c.weekday == 1 || c.weekday == 7
        let h = c.hour ?? 0
        let base: Double = (9...17).contains(h) ? 3 : (7...21).contains(h) ? 1.2 : 0.3
        return weekend ? base * 0.35 : base
    }

    /// The next batch (at most about `size` events, in time order), or nil when the data set is complete.
    public mutating func next(size: Int = 2000) -> [TrackedEvent]? {
        while pending.count < size && hour < hours {
            makeHour(hour)
            hour += 1
        }
        if pending.isEmpty { return nil }
        // Sessions of this hour run into the next; emit only what is safely before the next hour's start when more hours follow.
        pending.sort { $0.ts < $1.ts }
        if hour < hours {
            let cut = start.addingTimeInterval(Double(hour) * 3600)
            let ready = pending.prefix { $0.ts < cut }
            if !ready.isEmpty {
                let out = Array(ready)
                pending.removeFirst(out.count)
                return out
            }
        }
        let out = pending
        pending = []
        return out
    }

    // MARK: - Making one hour

    static let countries: [(String, [String], Double)] = [
        ("US", ["New York", "San Francisco", "Chicago", "Austin"], 30), ("GB", ["London", "Manchester"], 10), ("DE", ["Berlin", "Munich", "Hamburg"], 9),
        ("ES", ["Madrid", "Barcelona"], 6), ("MX", ["Mexico City", "Guadalajara"], 5), ("CO", ["Bogotá", "Medellín"], 2), ("AR", ["Buenos Aires"], 2),
        ("FR", ["Paris", "Lyon"], 6), ("IN", ["Bengaluru", "Mumbai"], 8), ("NG", ["Lagos", "Abuja"], 4), ("BR", ["São Paulo"], 4), ("CA", ["Toronto"], 5),
        ("AU", ["Sydney"], 3), ("JP", ["Tokyo"], 2), ("NL", ["Amsterdam"], 2), ("", [""], 2),
    ]
    static let devices: [(String, Double)] = [("desktop", 55), ("mobile", 38), ("tablet", 7)]
    static let browsers: [(String, String, String, Double)] = [("Chrome", "131.0", "Windows", 48), ("Safari", "18.1", "iOS", 24), ("Firefox", "133.0", "Linux", 9),
                                                              ("Edge", "131.0", "Windows", 11), ("Samsung Internet", "26.0", "Android", 5), ("Opera", "114.0", "macOS", 3)]
    /// referrer, landing URL query, weight
    static let sources: [(String, String, Double)] = [
        ("", "", 30), ("https://www.google.com/", "", 28), ("https://www.bing.com/", "", 3), ("https://www.facebook.com/", "", 6), ("https://t.co/abc", "", 3),
        ("https://news.ycombinator.com/item?id=4242", "", 3), ("https://www.reddit.com/r/smallbusiness/", "", 3), ("https://blog.example.org/best-tools", "", 4),
        ("https://www.google.com/", "?utm_source=google&utm_medium=cpc&utm_campaign=summer-sale", 10),
        ("", "?utm_source=newsletter&utm_medium=email&utm_campaign=november-news", 6), ("https://www.facebook.com/", "?utm_source=facebook&utm_medium=paid_social&utm_campaign=summer-sale", 4),
    ]
    static let landings: [(String, Double)] = [("/", 35), ("/pricing", 12), ("/features", 10), ("/blog/choosing-a-helpdesk", 10), ("/blog/analytics-without-cookies", 6),
                                               ("/docs/getting-started", 7), ("/products/widget-pro", 8), ("/help/shipping", 5), ("/contact", 3), ("/signup", 4)]
    static let next: [String: [(String, Double)]] = [
        "/": [("/features", 4), ("/pricing", 4), ("/products/widget-pro", 3), ("/blog/choosing-a-helpdesk", 2), ("/help/shipping", 1)],
        "/features": [("/pricing", 5), ("/docs/getting-started", 2), ("/signup", 2), ("/", 1)],
        "/pricing": [("/checkout", 3), ("/signup", 3), ("/features", 2), ("/contact", 1)],
        "/products/widget-pro": [("/cart", 4), ("/pricing", 2), ("/help/shipping", 2)],
        "/cart": [("/checkout", 6), ("/products/widget-pro", 2)],
        "/checkout": [("/checkout/thank-you", 5), ("/help/shipping", 1)],
        "/signup": [("/docs/getting-started", 3), ("/pricing", 1)],
    ]
    static let titles: [String: String] = ["/": "Home", "/pricing": "Pricing", "/features": "Features", "/checkout": "Checkout", "/cart": "Cart",
                                           "/checkout/thank-you": "Thank you", "/signup": "Sign up", "/contact": "Contact us", "/help/shipping": "Shipping help"]

    mutating func pick<T>(_ list: [(T, Double)]) -> T {
        let total = list.reduce(0) { $0 + $1.1 }
        var x = rng.unit() * total
        for (v, w) in list { if x < w { return v }; x -= w }
        return list[list.count - 1].0
    }

    mutating func makeHour(_ h: Int) {
        let t0 = start.addingTimeInterval(Double(h) * 3600)
        let expected = Self.weight(t0, options.timeZone) * sessionsPerWeight
        var n = Int(expected)
        if rng.unit() < expected - Double(n) { n += 1 }
        for _ in 0..<n { makeSession(at: t0.addingTimeInterval(rng.unit() * 3600)) }
        if scraperHours.contains(h) { makeScraper(t0) }
    }

    struct Visitor { var key: String; var country: String; var city: String; var device: String; var browser: (String, String, String); var ip: String; var lang: String
        var email: String?; var name: String? }

    /// A visitor's fixed traits, worked out from its number (no table of millions kept in memory).
    func visitor(_ n: Int) -> Visitor {
        var r = SplitMix(options.seed &+ UInt64(n) &* 0x9E37_79B9_7F4A_7C15)
        var s = AnalyticsSeed(rngOnly: r.next())
        let (country, cities) = s.pickTuple(Self.countries)
        let city = cities[Int(r.next() % UInt64(cities.count))]
        let device = s.pick(Self.devices)
        let b = s.pickBrowser()
        let ip = "\(11 + n % 180).\(n / 65536 % 256).\(n / 256 % 256).\(n % 250 + 1)"
        let lang = ["ES": "es-ES", "MX": "es-MX", "CO": "es-CO", "AR": "es-AR", "DE": "de-DE", "FR": "fr-FR", "BR": "pt-BR", "JP": "ja-JP"][country] ?? "en-US"
        // One visitor in 12 is a signed-in customer.
        let identified = n % 12 == 5
        return Visitor(key: "seed-v" + String(n, radix: 16), country: country, city: city, device: device, browser: b, ip: ip, lang: lang,
                       email: identified ? "customer\(n)@example.com" : nil, name: identified ? "Customer \(n)" : nil)
    }

    init(rngOnly seed: UInt64) {
        options = Options(workspace: WorkspaceID(0), events: 0, days: 0, end: Date(timeIntervalSince1970: 0))
        rng = SplitMix(seed); hours = 0; sessionsPerWeight = 0; start = Date(timeIntervalSince1970: 0); uidPrefix = ""
    }
    mutating func pickTuple(_ list: [(String, [String], Double)]) -> (String, [String]) {
        let i = pick(list.indices.map { ($0, list[$0].2) })
        return (list[i].0, list[i].1)
    }
    mutating func pickBrowser() -> (String, String, String) {
        let i = pick(Self.browsers.indices.map { ($0, Self.browsers[$0].3) })
        return (Self.browsers[i].0, Self.browsers[i].1, Self.browsers[i].2)
    }

    mutating func event(_ v: Visitor, type: String, name: String = "", at t: Date, url: String, path: String, referrer: String, source: SourceClassifier.Result,
                        engaged: Int64 = 0, scroll: Int64 = 0, props: String = "{}", hint: String) -> TrackedEvent {
        eventCount += 1
        var utm: [String: String] = [:]
        if let x = source.utm.source { utm["source"] = x }
        if let x = source.utm.medium { utm["medium"] = x }
        if let x = source.utm.campaign { utm["campaign"] = x }
        return TrackedEvent(workspaceID: options.workspace, eventUID: uidPrefix + String(eventCount, radix: 16), visitorKey: v.key, sessionHint: hint,
                            type: type, name: name, ts: t, receivedAt: t, url: url, path: path, title: Self.titles[path] ?? path, referrer: referrer,
                            referrerDomain: source.referrerDomain ?? "", source: source.kind.rawValue, utm: utm, country: v.country, device: v.device,
                            browser: v.browser.0, browserVersion: v.browser.1, os: v.browser.2, osVersion: "", ip: v.ip, screen: v.device == "desktop" ? "1920x1080" : "390x844",
                            lang: v.lang, engagedMs: engaged, scrollPct: scroll, props: props, isBot: false, city: v.city)
    }

    mutating func makeSession(at t0: Date) {
        // Three in ten sessions come from someone seen before.
        let n: Int
        if visitorCount > 0 && rng.unit() < 0.3 {
            n = visitorCount - 1 - Int(rng.next() % UInt64(min(visitorCount, 200_000)))
        } else {
            n = visitorCount
            visitorCount += 1
        }
        let v = visitor(n)
        let hint = "s" + String(rng.next(), radix: 16)
        let src = pick(Self.sources.map { (($0.0, $0.1), $0.2) })
        var path = pick(Self.landings)
        var url = "https://\(options.domain)\(path)\(src.1)"
        var referrer = src.0
        let bounce = rng.unit() < 0.38
        let pages = bounce ? 1 : 2 + Int(min(6, -log(max(rng.unit(), 1e-9)) * 1.6))
        var t = t0
        if let email = v.email, rng.unit() < 0.5 {
            pending.append(event(v, type: "identify", at: t, url: url, path: path, referrer: referrer, source: classify(referrer, url),
                                 props: JSONValue.object(["email": .string(email), "name": .string(v.name ?? ""), "customer_id": .string("cus_\(n)")]).encoded(), hint: hint))
        }
        for i in 0..<pages {
            let source = classify(referrer, url)
            pending.append(event(v, type: "pageview", at: t, url: url, path: path, referrer: referrer, source: source, hint: hint))
            let dwell: Int64 = bounce ? Int64(500 + rng.next() % 9000) : Int64(4000 + rng.next() % 120_000)
            let scroll = Int64(bounce ? rng.next() % 40 : 25 + rng.next() % 76)
            t = t.addingTimeInterval(Double(dwell) / 1000)
            pending.append(event(v, type: "engagement", at: t, url: url, path: path, referrer: referrer, source: source, engaged: dwell, scroll: scroll, hint: hint))
            if path == "/checkout/thank-you" {
                pending.append(event(v, type: "custom", name: Self.conversionEvent, at: t, url: url, path: path, referrer: referrer, source: source,
                                     props: JSONValue.object(["value": .int(Int64(19 + rng.next() % 480)), "currency": .string("USD")]).encoded(), hint: hint))
            }
            if i == pages - 1 { break }
            referrer = url
            path = pick(Self.next[path] ?? [("/pricing", 2), ("/features", 2), ("/", 1), ("/checkout", 1)])
            url = "https://\(options.domain)\(path)"
            t = t.addingTimeInterval(1 + rng.unit() * 5)
        }
    }

    mutating func classify(_ referrer: String, _ url: String) -> SourceClassifier.Result {
        let key = referrer + "\u{1}" + url
        if let r = classified[key] { return r }
        let r = SourceClassifier.classify(referrer: referrer.isEmpty ? nil : referrer, pageURL: url, siteDomain: options.domain)
        classified[key] = r
        return r
    }

    /// One scraper hour: one IP, one page, 500 page loads, no engagement.
    mutating func makeScraper(_ t0: Date) {
        let v = Visitor(key: "seed-scraper", country: "US", city: "Ashburn", device: "desktop", browser: ("Chrome", "99.0", "Linux"), ip: Self.scraperIP, lang: "en-US",
                        email: nil, name: nil)
        let url = "https://\(options.domain)\(Self.scraperPath)"
        for i in 0..<500 {
            pending.append(event(v, type: "pageview", at: t0.addingTimeInterval(Double(i) * 7.1), url: url, path: Self.scraperPath, referrer: "",
                                 source: classify("", url), hint: "scraper"))
        }
    }
}

extension SourceClassifier {
    public typealias Result = (kind: SourceKind, referrerDomain: String?, utm: UTM)
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same data set.
struct SplitMix: Sendable {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
