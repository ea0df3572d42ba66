import Foundation
import Testing
@testable import Domain

/// One real-world User-Agent and what the parser must make of it.
struct UACase: Sendable, CustomTestStringConvertible {
    let name: String
    let ua: String
    let device: DeviceType
    let browser: String
    let version: String
    let os: String
    let osVersion: String
    var bot: String? = nil
    var testDescription: String { name }
}

let userAgentCases: [UACase] = [
    UACase(name: "Chrome on Windows 11",
           ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.130 Safari/537.36",
           device: .desktop, browser: "Chrome", version: "120.0", os: "Windows", osVersion: "10"),
    UACase(name: "Edge on Windows",
           ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
           device: .desktop, browser: "Edge", version: "120.0", os: "Windows", osVersion: "10"),
    UACase(name: "Firefox on Windows 7",
           ua: "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
           device: .desktop, browser: "Firefox", version: "115.0", os: "Windows", osVersion: "7"),
    UACase(name: "Firefox on Linux",
           ua: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
           device: .desktop, browser: "Firefox", version: "121.0", os: "Linux", osVersion: ""),
    UACase(name: "Chrome on Linux",
           ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
           device: .desktop, browser: "Chrome", version: "119.0", os: "Linux", osVersion: ""),
    UACase(name: "Safari on macOS",
           ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2.1 Safari/605.1.15",
           device: .desktop, browser: "Safari", version: "17.2", os: "macOS", osVersion: "10.15.7"),
    UACase(name: "Chrome on macOS",
           ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
           device: .desktop, browser: "Chrome", version: "120.0", os: "macOS", osVersion: "10.15.7"),
    UACase(name: "Firefox on macOS (dotted version)",
           ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
           device: .desktop, browser: "Firefox", version: "121.0", os: "macOS", osVersion: "14.2"),
    UACase(name: "Opera on Windows",
           ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
           device: .desktop, browser: "Opera", version: "106.0", os: "Windows", osVersion: "10"),
    UACase(name: "Chrome on ChromeOS",
           ua: "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
           device: .desktop, browser: "Chrome", version: "120.0", os: "ChromeOS", osVersion: "14541.0.0"),
    UACase(name: "Internet Explorer 11",
           ua: "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko",
           device: .desktop, browser: "Internet Explorer", version: "11.0", os: "Windows", osVersion: "8.1"),
    UACase(name: "Safari on iPhone",
           ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
           device: .mobile, browser: "Safari", version: "17.1", os: "iOS", osVersion: "17.1.2"),
    UACase(name: "Chrome on iPhone",
           ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
           device: .mobile, browser: "Chrome", version: "120.0", os: "iOS", osVersion: "17.2"),
    UACase(name: "Firefox on iPhone",
           ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
           device: .mobile, browser: "Firefox", version: "121.0", os: "iOS", osVersion: "17.2"),
    UACase(name: "Edge on iPhone",
           ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 EdgiOS/120.0.2210.116 Mobile/15E148 Safari/605.1.15",
           device: .mobile, browser: "Edge", version: "120.0", os: "iOS", osVersion: "16.6"),
    UACase(name: "Safari on iPad",
           ua: "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
           device: .tablet, browser: "Safari", version: "16.6", os: "iPadOS", osVersion: "16.6"),
    UACase(name: "Chrome on iPad",
           ua: "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
           device: .tablet, browser: "Chrome", version: "120.0", os: "iPadOS", osVersion: "17.1"),
    UACase(name: "iPad in desktop mode reads as a Mac",
           ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
           device: .desktop, browser: "Safari", version: "17.1", os: "macOS", osVersion: "10.15.7"),
    UACase(name: "Chrome on Android phone",
           ua: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
           device: .mobile, browser: "Chrome", version: "120.0", os: "Android", osVersion: "14"),
    UACase(name: "Chrome on Android with reduced UA",
           ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Mobile Safari/537.36",
           device: .mobile, browser: "Chrome", version: "121.0", os: "Android", osVersion: "10"),
    UACase(name: "Chrome on Android tablet",
           ua: "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
           device: .tablet, browser: "Chrome", version: "120.0", os: "Android", osVersion: "13"),
    UACase(name: "Samsung Internet on Galaxy",
           ua: "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
           device: .mobile, browser: "Samsung Internet", version: "23.0", os: "Android", osVersion: "13"),
    UACase(name: "Firefox on Android phone",
           ua: "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
           device: .mobile, browser: "Firefox", version: "121.0", os: "Android", osVersion: "14"),
    UACase(name: "Firefox on Android tablet",
           ua: "Mozilla/5.0 (Android 13; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0",
           device: .tablet, browser: "Firefox", version: "121.0", os: "Android", osVersion: "13"),
    UACase(name: "Opera on Android",
           ua: "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36 OPR/79.6.4221.75400",
           device: .mobile, browser: "Opera", version: "79.6", os: "Android", osVersion: "10"),
    UACase(name: "Edge on Android",
           ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
           device: .mobile, browser: "Edge", version: "120.0", os: "Android", osVersion: "10"),
    UACase(name: "Kindle Fire Silk",
           ua: "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.2 like Chrome/120.0.6099.230 Safari/537.36",
           device: .tablet, browser: "Amazon Silk", version: "120.3", os: "Android", osVersion: "9"),
    UACase(name: "CUBOT phone is not a bot",
           ua: "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
           device: .mobile, browser: "Chrome", version: "120.0", os: "Android", osVersion: "9"),

    // Bots keep whatever browser/OS they imitate, but the device is always .bot.
    UACase(name: "Googlebot",
           ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "Googlebot"),
    UACase(name: "Googlebot smartphone",
           ua: "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
           device: .bot, browser: "Chrome", version: "120.0", os: "Android", osVersion: "6.0.1", bot: "Googlebot"),
    UACase(name: "bingbot",
           ua: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "Bingbot"),
    UACase(name: "AhrefsBot",
           ua: "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "AhrefsBot"),
    UACase(name: "facebookexternalhit",
           ua: "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "facebookexternalhit"),
    UACase(name: "HeadlessChrome",
           ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
           device: .bot, browser: "Chrome", version: "120.0", os: "Linux", osVersion: "", bot: "HeadlessChrome"),
    UACase(name: "Lighthouse",
           ua: "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
           device: .bot, browser: "Chrome", version: "119.0", os: "Android", osVersion: "11", bot: "Lighthouse"),
    UACase(name: "curl",
           ua: "curl/8.4.0",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "curl"),
    UACase(name: "python-requests",
           ua: "python-requests/2.31.0",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "python-requests"),
    UACase(name: "Go-http-client",
           ua: "Go-http-client/1.1",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "Go-http-client"),
    UACase(name: "Generic crawler word",
           ua: "Mozilla/5.0 (compatible; ExampleCrawler/3.1; +https://example.org/crawler)",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "ExampleCrawler"),
    UACase(name: "Empty user agent",
           ua: "",
           device: .bot, browser: "Unknown", version: "", os: "Unknown", osVersion: "", bot: "Empty user agent"),
]

@Suite struct UserAgentTests {
    @Test(arguments: userAgentCases)
    func parsesRealUserAgents(_ c: UACase) {
        let info = UserAgentParser.parse(c.ua)
        #expect(info.deviceType == c.device)
        #expect(info.browser == c.browser)
        #expect(info.browserVersion == c.version)
        #expect(info.os == c.os)
        #expect(info.osVersion == c.osVersion)
        #expect(info.isBot == (c.bot != nil))
        #expect(info.botName == c.bot)
    }

    @Test func unknownNonBrowserClientIsNotABot() {
        let info = UserAgentParser.parse("MyShopApp/4.2 (build 77)")
        #expect(info == UserAgentInfo(deviceType: .unknown, browser: "Unknown", browserVersion: "", os: "Unknown", osVersion: ""))
    }

    @Test func deviceTypeRawValues() {
        #expect(DeviceType.allCases.map(\.rawValue) == ["desktop", "mobile", "tablet", "bot", "unknown"])
    }
}

/// A landing and the source it must be classified as.
struct SourceCase: Sendable, CustomTestStringConvertible {
    let name: String
    let referrer: String?
    let page: String
    let kind: SourceKind
    let domain: String?
    var testDescription: String { name }
}

let sourceCases: [SourceCase] = [
    SourceCase(name: "no referrer", referrer: nil, page: "https://shop.example.com/", kind: .direct, domain: nil),
    SourceCase(name: "empty referrer", referrer: "", page: "https://shop.example.com/", kind: .direct, domain: nil),
    SourceCase(name: "Google", referrer: "https://www.google.com/", page: "https://example.com/", kind: .organic, domain: "google.com"),
    SourceCase(name: "Google UK", referrer: "https://www.google.co.uk/", page: "https://example.com/", kind: .organic, domain: "google.co.uk"),
    SourceCase(name: "Google Germany", referrer: "https://www.google.de/search?q=x", page: "https://example.com/", kind: .organic, domain: "google.de"),
    SourceCase(name: "Bing", referrer: "https://www.bing.com/search?q=opsiq", page: "https://example.com/", kind: .organic, domain: "bing.com"),
    SourceCase(name: "DuckDuckGo", referrer: "https://duckduckgo.com/", page: "https://example.com/", kind: .organic, domain: "duckduckgo.com"),
    SourceCase(name: "Yahoo Japan", referrer: "https://search.yahoo.co.jp/search?p=x", page: "https://example.com/", kind: .organic, domain: "search.yahoo.co.jp"),
    SourceCase(name: "Brave Search", referrer: "https://search.brave.com/", page: "https://example.com/", kind: .organic, domain: "search.brave.com"),
    SourceCase(name: "t.co", referrer: "https://t.co/abc123", page: "https://example.com/", kind: .social, domain: "t.co"),
    SourceCase(name: "Facebook link shim", referrer: "https://l.facebook.com/", page: "https://example.com/?fbclid=IwAR0", kind: .social, domain: "l.facebook.com"),
    SourceCase(name: "LinkedIn", referrer: "https://www.linkedin.com/", page: "https://example.com/", kind: .social, domain: "linkedin.com"),
    SourceCase(name: "Reddit", referrer: "https://old.reddit.com/r/swift/", page: "https://example.com/", kind: .social, domain: "old.reddit.com"),
    SourceCase(name: "Hacker News", referrer: "https://news.ycombinator.com/item?id=1", page: "https://example.com/", kind: .social, domain: "news.ycombinator.com"),
    SourceCase(name: "Mastodon instance", referrer: "https://mastodon.social/@someone", page: "https://example.com/", kind: .social, domain: "mastodon.social"),
    SourceCase(name: "Pinterest country domain", referrer: "https://www.pinterest.co.uk/", page: "https://example.com/", kind: .social, domain: "pinterest.co.uk"),
    SourceCase(name: "Gmail web", referrer: "https://mail.google.com/", page: "https://example.com/", kind: .email, domain: "mail.google.com"),
    SourceCase(name: "Outlook web", referrer: "https://outlook.live.com/", page: "https://example.com/", kind: .email, domain: "outlook.live.com"),
    SourceCase(name: "Gmail Android app", referrer: "android-app://com.google.android.gm/", page: "https://example.com/", kind: .email, domain: "com.google.android.gm"),
    SourceCase(name: "unknown blog", referrer: "https://someblog.dev/posts/1", page: "https://example.com/", kind: .referral, domain: "someblog.dev"),
    SourceCase(name: "lookalike domain is a referral", referrer: "https://notgoogle.com/", page: "https://example.com/", kind: .referral, domain: "notgoogle.com"),
    SourceCase(name: "internal navigation", referrer: "https://www.example.com/pricing", page: "https://example.com/checkout", kind: .direct, domain: "example.com"),
    SourceCase(name: "internal subdomain", referrer: "https://blog.example.com/post", page: "https://shop.example.com/", kind: .direct, domain: "blog.example.com"),
    SourceCase(name: "utm_medium cpc beats Google referrer", referrer: "https://www.google.com/", page: "https://example.com/?utm_source=google&utm_medium=cpc&utm_campaign=summer-sale", kind: .paid, domain: "google.com"),
    SourceCase(name: "gclid without UTM", referrer: "https://www.google.com/", page: "https://example.com/?gclid=Cj0KCQ", kind: .paid, domain: "google.com"),
    SourceCase(name: "msclkid", referrer: nil, page: "https://example.com/?msclkid=abc", kind: .paid, domain: nil),
    SourceCase(name: "paid_social on Facebook", referrer: "https://m.facebook.com/", page: "https://example.com/?utm_source=facebook&utm_medium=paid_social&fbclid=x", kind: .paid, domain: "m.facebook.com"),
    SourceCase(name: "newsletter medium without referrer", referrer: nil, page: "https://example.com/?utm_source=weekly&utm_medium=newsletter", kind: .email, domain: nil),
    SourceCase(name: "email medium beats a social referrer", referrer: "https://t.co/x", page: "https://example.com/?utm_medium=Email", kind: .email, domain: "t.co"),
    SourceCase(name: "social medium beats an unknown referrer", referrer: "https://someblog.dev/", page: "https://example.com/?utm_medium=social", kind: .social, domain: "someblog.dev"),
    SourceCase(name: "organic medium", referrer: nil, page: "https://example.com/?utm_medium=organic", kind: .organic, domain: nil),
    SourceCase(name: "utm_source facebook without medium", referrer: nil, page: "https://example.com/?utm_source=facebook", kind: .social, domain: nil),
    SourceCase(name: "unknown utm_source falls back to referrer", referrer: "https://partner.io/", page: "https://example.com/?utm_source=partner-site", kind: .referral, domain: "partner.io"),
    SourceCase(name: "referrer with port and upper case", referrer: "HTTPS://WWW.Partner.IO:8443/x", page: "https://example.com/", kind: .referral, domain: "partner.io"),
]

@Suite struct SourceClassifierTests {
    @Test(arguments: sourceCases)
    func classifies(_ c: SourceCase) {
        let result = SourceClassifier.classify(referrer: c.referrer, pageURL: c.page, siteDomain: "example.com")
        #expect(result.kind == c.kind)
        #expect(result.referrerDomain == c.domain)
    }

    @Test func siteDomainMayBeGivenWithWwwOrUnderACountrySuffix() {
        let uk = SourceClassifier.classify(referrer: "https://blog.example.co.uk/", pageURL: "https://example.co.uk/", siteDomain: "www.example.co.uk")
        #expect(uk.kind == .direct)
        let other = SourceClassifier.classify(referrer: "https://other.co.uk/", pageURL: "https://example.co.uk/", siteDomain: "example.co.uk")
        #expect(other.kind == .referral)
    }

    @Test func classificationCarriesTheUTM() {
        let result = SourceClassifier.classify(referrer: nil, pageURL: "https://example.com/?utm_source=google&utm_medium=cpc&utm_campaign=summer-sale", siteDomain: "example.com")
        #expect(result.utm == UTM(source: "google", medium: "cpc", campaign: "summer-sale"))
    }

    @Test func oddInputDoesNotTrap() {
        for referrer in ["://", "[::1", "https://[2001:db8::1]:443/", "@", "https://user@host.example:80", "."] {
            _ = SourceClassifier.classify(referrer: referrer, pageURL: "?&&=&utm_source", siteDomain: "")
        }
        #expect(SourceClassifier.classify(referrer: "   ", pageURL: "/", siteDomain: "example.com").kind == .direct)
        #expect(SourceClassifier.classify(referrer: "https://user@host.example:80/", pageURL: "/", siteDomain: "example.com").referrerDomain == "host.example")
    }

    @Test func sourceKindNamesFollowTheSpec() {
        #expect(SourceKind.allCases.map(\.rawValue) == ["Direct", "Organic", "Social", "Referral", "Paid", "Email"])
    }
}

@Suite struct UTMTests {
    @Test func readsAllFiveFields() {
        let utm = UTM.parse(url: "https://example.com/landing?utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=running+shoes&utm_content=hero-button#top")
        #expect(utm == UTM(source: "news", medium: "email", campaign: "spring", term: "running shoes", content: "hero-button"))
    }

    @Test func decodesPercentEncodingAndTrims() {
        let utm = UTM.parse(url: "/p?utm_campaign=%20Black%20Friday%20%E2%80%93%2050%25%20&utm_source=caf%C3%A9")
        #expect(utm.campaign == "Black Friday – 50%")
        #expect(utm.source == "café")
        #expect(utm.medium == nil)
    }

    @Test func emptyAbsentAndMalformedValues() {
        #expect(UTM.parse(url: "https://example.com/").isEmpty)
        #expect(UTM.parse(url: "https://example.com/?utm_source=&utm_medium=%20").isEmpty)
        #expect(UTM.parse(url: "https://example.com/?utm_source=100%").source == "100%")
        #expect(UTM.parse(url: "https://example.com/?utm_source=a&utm_source=b").source == "a")
        #expect(UTM.parse(url: "https://example.com/#x?utm_source=a").source == nil)
    }

    @Test func capsLength() {
        let long = String(repeating: "x", count: 500)
        #expect(UTM.parse(url: "/?utm_content=\(long)").content?.count == UTM.maxLength)
    }

    @Test func roundTripsAsJSON() throws {
        let utm = UTM(source: "a", medium: "b", campaign: "c", term: "d", content: "e")
        let data = try JSONEncoder().encode(utm)
        #expect(try JSONDecoder().decode(UTM.self, from: data) == utm)
    }
}

@Suite struct PrivacyTests {
    @Test(arguments: [
        ("203.0.113.77", "203.0.113.0"),
        ("10.0.0.255", "10.0.0.0"),
        (" 192.168.1.1 ", "192.168.1.0"),
        ("2001:0db8:85a3:08d3:1319:8a2e:0370:7348", "2001:db8:85a3::"),
        ("2001:db8:85a3::1", "2001:db8:85a3::"),
        ("2001:db8::8a2e:370:7334", "2001:db8::"),
        ("[2a00:1450:4001:82a::200e]", "2a00:1450:4001::"),
        ("fe80::1%eth0", "fe80::"),
        ("::1", "::"),
        ("::ffff:203.0.113.77", "203.0.113.0"),
        ("::ffff:cb00:714d", "203.0.113.0"),
        ("", ""),
        ("not-an-ip", ""),
        ("256.1.1.1", ""),
        ("1.2.3.4:8080", ""),
        ("2001:db8:::1", ""),
    ])
    func anonymizes(_ input: String, _ expected: String) {
        #expect(IPAnonymizer.anonymize(input) == expected)
    }

    @Test func compressesTheLongestZeroRunFirstOnTie() {
        #expect(IPAnonymizer.compressed([0, 0, 1, 0, 0, 0, 0, 0]) == "0:0:1::")
        #expect(IPAnonymizer.compressed([1, 0, 0, 2, 0, 0, 3, 4]) == "1::2:0:0:3:4")
        #expect(IPAnonymizer.compressed([1, 0, 2, 3, 4, 5, 6, 7]) == "1:0:2:3:4:5:6:7")
    }

    @Test(arguments: [
        ("/admin/*", "/admin/users", true),
        ("/admin/*", "/admin/", true),
        ("/admin/*", "/admin", false),
        ("/admin/*", "/administrator/x", false),
        ("*/checkout", "/checkout", true),
        ("*/checkout", "/shop/eu/checkout", true),
        ("*/checkout", "/checkout/done", false),
        ("/blog/*/draft", "/blog/2024/my-post/draft", true),
        ("/blog/*/draft", "/blog/draft", false),
        ("/blog/*/draft", "/blog/x/draft?preview=1", true),
        ("/thank-you", "/thank-you#top", true),
        ("/Admin/*", "/admin/users", false),
        ("*", "/anything/at/all", true),
        ("/a*b*c", "/aXbYbZc", true),
        ("/a*b*c", "/aXbYcZ", false),
        ("", "/", false),
    ])
    func pagePatterns(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(PagePattern.matches(pattern, path: path) == expected)
    }
}
