import Foundation

/// Where a session came from, with the names used by the Source filter in the analytics spec.
public enum SourceKind: String, Sendable, Codable, CaseIterable {
    case direct = "Direct", organic = "Organic", social = "Social", referral = "Referral", paid = "Paid", email = "Email"
}

/// The five campaign parameters, each kept as sent (decoded, trimmed, at most 190 characters).
public struct UTM: Sendable, Equatable, Codable {
    /// Longest value kept, so a hostile URL cannot bloat a stored row (fits an indexed utf8mb4 column).
    public static let maxLength = 190

    public var source: String?
    public var medium: String?
    public var campaign: String?
    public var term: String?
    public var content: String?

    public init(source: String? = nil, medium: String? = nil, campaign: String? = nil,
                term: String? = nil, content: String? = nil) {
        self.source = source
        self.medium = medium
        self.campaign = campaign
        self.term = term
        self.content = content
    }

    /// Reads utm_source, utm_medium, utm_campaign, utm_term and utm_content from a page URL.
    /// The first occurrence of each wins; empty values are treated as absent.
    public static func parse(url: String) -> UTM { parse(items: UTM.Query.items(of: url)) }

    /// The same, from a query already split.
    static func parse(items: [(String, String)]) -> UTM {
        var utm = UTM()
        for (key, value) in items where key.utf8.count >= 7 && key.utf8.count <= 12 {
            let cleaned = String(value.trimmingCharacters(in: .whitespacesAndNewlines).prefix(maxLength))
            guard !cleaned.isEmpty else { continue }
            switch key.lowercased() {
            case "utm_source" where utm.source == nil: utm.source = cleaned
            case "utm_medium" where utm.medium == nil: utm.medium = cleaned
            case "utm_campaign" where utm.campaign == nil: utm.campaign = cleaned
            case "utm_term" where utm.term == nil: utm.term = cleaned
            case "utm_content" where utm.content == nil: utm.content = cleaned
            default: break
            }
        }
        return utm
    }

    public var isEmpty: Bool { self == UTM() }
}

/// Decides a session's source. Rules apply in this order, first match wins:
/// 1. an ad click id (gclid, msclkid, ...) or a paid utm_medium → Paid;
/// 2. utm_medium naming email, social, organic or referral traffic;
/// 3. utm_source naming a known search engine, social network or newsletter;
/// 4. the referrer: none or the site itself → Direct, else the domain tables, else Referral.
/// Campaign tags beat the referrer because the marketer set them on purpose.
public enum SourceClassifier {
    /// Query parameters that ad networks add to clicked ads. fbclid is not here: Facebook adds it
    /// to every outbound link, paid or not, so a Facebook ad is recognised by its utm_medium instead.
    static let paidClickIDs: Set<String> = ["gclid", "gbraid", "wbraid", "dclid", "msclkid", "ttclid", "twclid", "li_fat_id"]

    /// utm_medium values (lower-cased) and what they mean. Anything starting with "paid" is Paid as well.
    static let mediumKinds: [String: SourceKind] = [
        "cpc": .paid, "ppc": .paid, "paid": .paid, "paidsearch": .paid, "display": .paid, "cpm": .paid,
        "cpv": .paid, "cpa": .paid, "banner": .paid, "retargeting": .paid, "paid_social": .paid, "paid-social": .paid,
        "email": .email, "e-mail": .email, "e_mail": .email, "mail": .email, "newsletter": .email,
        "social": .social, "social-network": .social, "social_network": .social, "social-media": .social,
        "social_media": .social, "sm": .social,
        "organic": .organic, "seo": .organic,
        "referral": .referral, "affiliate": .referral, "partner": .referral,
    ]

    /// utm_source values (lower-cased) that identify the channel when utm_medium does not.
    static let sourceKinds: [String: SourceKind] = [
        "google": .organic, "bing": .organic, "duckduckgo": .organic, "yahoo": .organic, "baidu": .organic,
        "yandex": .organic, "ecosia": .organic, "brave": .organic, "startpage": .organic,
        "facebook": .social, "fb": .social, "instagram": .social, "ig": .social, "twitter": .social, "x": .social,
        "linkedin": .social, "pinterest": .social, "reddit": .social, "youtube": .social, "tiktok": .social,
        "mastodon": .social, "hackernews": .social, "threads": .social, "bluesky": .social,
        "newsletter": .email, "email": .email, "mailchimp": .email, "sendgrid": .email, "brevo": .email,
    ]

    /// Referrer hosts, checked in order. A pattern "name.*" matches any site whose registrable
    /// domain begins with that label (google.de, google.co.uk, news.google.com); any other pattern
    /// matches that host and its subdomains. Webmail comes first because it lives under search brands.
    static let referrerRules: [(pattern: String, kind: SourceKind)] = [
        // Webmail and mail apps
        ("mail.google.com", .email), ("com.google.android.gm", .email), ("outlook.live.com", .email),
        ("outlook.office.com", .email), ("outlook.office365.com", .email), ("mail.yahoo.com", .email),
        ("mail.aol.com", .email), ("mail.proton.me", .email), ("mail.yandex.ru", .email), ("mail.zoho.com", .email),
        // Search engines
        ("google.*", .organic), ("com.google.android.googlequicksearchbox", .organic), ("bing.com", .organic),
        ("duckduckgo.com", .organic), ("yahoo.*", .organic), ("baidu.com", .organic), ("yandex.*", .organic),
        ("ya.ru", .organic), ("ecosia.org", .organic), ("search.brave.com", .organic), ("startpage.com", .organic),
        ("qwant.com", .organic), ("naver.com", .organic), ("seznam.cz", .organic), ("ask.com", .organic),
        // Social networks and communities
        ("facebook.com", .social), ("fb.me", .social), ("com.facebook.katana", .social), ("t.co", .social),
        ("twitter.com", .social), ("x.com", .social), ("linkedin.com", .social), ("lnkd.in", .social),
        ("com.linkedin.android", .social), ("instagram.com", .social), ("pinterest.*", .social),
        ("reddit.com", .social), ("com.reddit.frontpage", .social), ("youtube.com", .social), ("youtu.be", .social),
        ("tiktok.com", .social), ("news.ycombinator.com", .social), ("mastodon.*", .social),
        ("threads.net", .social), ("bsky.app", .social), ("tumblr.com", .social), ("vk.com", .social),
        ("weibo.com", .social), ("quora.com", .social), ("discord.com", .social), ("telegram.org", .social),
    ]

    /// Classifies one landing: `referrer` is the document.referrer (may be nil or empty), `pageURL`
    /// the landing page with its query, `siteDomain` the tracked site (e.g. "example.com").
    /// The returned referrer domain is lower-cased without "www.", also for internal navigation.
    public static func classify(referrer: String?, pageURL: String, siteDomain: String)
        -> (kind: SourceKind, referrerDomain: String?, utm: UTM)
    {
        let items = UTM.Query.items(of: pageURL)
        let utm = UTM.parse(items: items)
        let refDomain = referrer.flatMap(Host.of)

        if items.contains(where: { paidClickIDs.contains($0.0.lowercased()) }) { return (.paid, refDomain, utm) }
        if let medium = utm.medium?.lowercased() {
            if medium.hasPrefix("paid") { return (.paid, refDomain, utm) }
            if let kind = mediumKinds[medium] { return (kind, refDomain, utm) }
        }
        if let source = utm.source?.lowercased(), let kind = sourceKinds[source] { return (kind, refDomain, utm) }

        guard let host = refDomain else { return (.direct, nil, utm) }
        if let site = Host.of(siteDomain), Host.registrable(host) == Host.registrable(site) {
            return (.direct, host, utm)  // internal navigation between the site's own pages or subdomains
        }
        let brand = Host.registrable(host).split(separator: ".").first.map(String.init)
        let kind = referrerRules.first { Host.matches(host, brand: brand, pattern: $0.pattern) }?.kind ?? .referral
        return (kind, host, utm)
    }
}

extension SourceClassifier {
    /// Classified landings by (referrer, page URL, site). A visit's events repeat the same pair, and popular
    /// pages and referrers repeat across visitors, while classifying (URL, query and host parsing) costs
    /// more than the rest of an event; the cache is emptied when it reaches `cacheLimit` entries.
    struct CacheKey: Hashable, Sendable {
        let referrer: String?
        let pageURL: String
        let siteDomain: String
    }
    struct CacheEntry: Sendable {
        let kind: SourceKind
        let referrerDomain: String?
        let utm: UTM
    }
    static let cache = Mutex_<[CacheKey: CacheEntry]>([:])
    static let cacheLimit = 10_000
    /// Longer URLs are classified every time (they are rarely repeated and would bloat the cache).
    static let cacheableLength = 1_024

    /// `classify(referrer:pageURL:siteDomain:)` through the cache.
    public static func cachedClassify(referrer: String?, pageURL: String, siteDomain: String) -> (kind: SourceKind, referrerDomain: String?, utm: UTM) {
        guard pageURL.utf8.count + (referrer?.utf8.count ?? 0) <= cacheableLength else {
            return classify(referrer: referrer, pageURL: pageURL, siteDomain: siteDomain)
        }
        let key = CacheKey(referrer: referrer, pageURL: pageURL, siteDomain: siteDomain)
        if let hit = cache.withLock({ $0[key] }) { return (hit.kind, hit.referrerDomain, hit.utm) }
        let c = classify(referrer: referrer, pageURL: pageURL, siteDomain: siteDomain)
        cache.withLock { m in
            if m.count >= cacheLimit { m.removeAll(keepingCapacity: true) }
            m[key] = CacheEntry(kind: c.kind, referrerDomain: c.referrerDomain, utm: c.utm)
        }
        return c
    }
}

extension SourceClassifier {
    /// Host name helpers for referrers: extraction, a registrable-domain approximation, and rule patterns.
    enum Host {
        /// Second-level labels under which registrations happen one level deeper (example.co.uk).
        /// A short list rather than the full public suffix list: enough to group referrers sensibly.
        static let multiPartSuffixes: Set<String> = [
            "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.au", "net.au", "org.au", "co.nz", "org.nz",
            "co.jp", "ne.jp", "or.jp", "com.br", "com.mx", "co.in", "co.za", "com.tr", "com.cn", "com.sg",
            "com.hk", "co.kr", "com.ar", "co.il", "com.tw", "co.id", "com.my", "com.ph", "com.vn", "com.ua",
            "com.co", "com.pe", "com.eg", "com.sa", "co.th",
        ]

        /// "https://WWW.Google.co.uk:443/search?q=x" → "google.co.uk"; a bare host is accepted too.
        /// Returns nil when no host can be found.
        static func of(_ text: String) -> String? {
            var s = Substring(text)
            if s.first?.isWhitespace == true || s.last?.isWhitespace == true { s = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if let scheme = s.range(of: "://") { s = s[scheme.upperBound...] }
            if let end = s.firstIndex(where: { "/?#".contains($0) }) { s = s[..<end] }
            if let at = s.lastIndex(of: "@") { s = s[s.index(after: at)...] }
            if s.hasPrefix("[") {
                guard let close = s.firstIndex(of: "]") else { return nil }
                s = s[...close]  // IPv6 literal: keep the brackets, drop the port
            } else if let colon = s.firstIndex(of: ":") {
                s = s[..<colon]
            }
            var host = s.lowercased()
            while host.hasSuffix(".") { host.removeLast() }
            if host.hasPrefix("www.") { host.removeFirst(4) }
            return host.isEmpty ? nil : host
        }

        /// The last two labels, or three under a known multi-part suffix ("shop.example.co.uk" → "example.co.uk").
        static func registrable(_ host: String) -> String {
            let labels = host.split(separator: ".")
            guard labels.count > 2 else { return host }
            let lastTwo = labels.suffix(2).joined(separator: ".")
            return labels.suffix(multiPartSuffixes.contains(lastTwo) ? 3 : 2).joined(separator: ".")
        }

        static func matches(_ host: String, pattern: String) -> Bool {
            matches(host, brand: registrable(host).split(separator: ".").first.map(String.init), pattern: pattern)
        }

        /// `brand` is the first label of the host's registrable domain, worked out once per referrer.
        static func matches(_ host: String, brand: String?, pattern: String) -> Bool {
            if pattern.hasSuffix(".*") { return brand.map { pattern.dropLast(2) == $0 } ?? false }
            return host == pattern || (host.hasSuffix(pattern) && host.utf8.count > pattern.utf8.count
                                       && host.utf8[host.utf8.index(host.utf8.endIndex, offsetBy: -pattern.utf8.count - 1)] == UInt8(ascii: "."))
        }
    }
}

extension UTM {
    /// Splits a URL's query into decoded key/value pairs ("+" is a space, as browsers encode forms).
    enum Query {
        static func items(of url: String) -> [(String, String)] {
            // The fragment goes first: a "?" inside it is not the start of a query.
            let beforeFragment = url.firstIndex(of: "#").map { url[..<$0] } ?? url[...]
            guard let q = beforeFragment.firstIndex(of: "?") else { return [] }
            let query = beforeFragment[beforeFragment.index(after: q)...]
            return query.split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
            }
        }

        /// Percent-decodes, keeping the raw text when the encoding is malformed (e.g. a stray "%").
        static func decode(_ s: Substring) -> String {
            if !s.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) { return String(s) }
            let spaced = s.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
    }
}
