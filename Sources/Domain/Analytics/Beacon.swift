import Foundation
import Ports

/// What the beacon endpoint knows about the request, besides its body.
public struct BeaconRequest: Sendable {
    public var body: String
    public var ip: String
    public var userAgent: String
    public var country: String
    public var city: String
    public var now: Date
    public init(body: String, ip: String, userAgent: String, country: String, city: String = "", now: Date) {
        self.body = body; self.ip = ip; self.userAgent = userAgent; self.country = country; self.city = city; self.now = now
    }
}

/// The outcome of one beacon: how many events were taken, and each refused event with its reason.
public struct BeaconResult: Sendable, Equatable {
    public var accepted: Int
    public var stored: Int
    public var rejected: [(index: Int, reason: String)]
    public static func == (a: BeaconResult, b: BeaconResult) -> Bool {
        a.accepted == b.accepted && a.stored == b.stored && a.rejected.map { "\($0.index):\($0.reason)" } == b.rejected.map { "\($0.index):\($0.reason)" }
    }
}

/// Validates and enriches a widget beacon (`{site_key, visitor_id, session_hint, sent_at, events:[…]}`) into
/// rows. A bad event is refused with its reason; the good ones in the same batch are kept.
public struct BeaconParser: Sendable {
    public static let types: Set<String> = ["pageview", "engagement", "scroll", "outbound", "form", "custom", "identify"]
    public static let maxEvents = 100

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case badJSON(String)
        case field(String, String)
        public var description: String {
            switch self {
            case .badJSON(let m): return m
            case .field(let f, let m): return "\(f): \(m)"
            }
        }
    }

    /// The envelope: site key and events, before the site is looked up.
    public static func envelope(_ body: String) throws -> (siteKey: String, root: [String: JSONValue], events: [JSONValue]) {
        guard case .object(let o)? = try? JSONValue.parse(body) else { throw Failure.badJSON("the body is not a JSON object") }
        guard case .string(let sk)? = o["site_key"], sk.hasPrefix("site_"), sk.count <= 64 else { throw Failure.field("site_key", "must be the site key, site_…") }
        guard case .array(let events)? = o["events"] else { throw Failure.field("events", "must be an array of events") }
        guard !events.isEmpty else { throw Failure.field("events", "is empty") }
        guard events.count <= maxEvents else { throw Failure.field("events", "at most \(maxEvents) events a request") }
        return (sk, o, events)
    }

    static func text(_ v: JSONValue?, _ field: String, max: Int, required: Bool = false) throws -> String {
        switch v {
        case .string(let s)?:
            // Fewer bytes than `max` means fewer characters too: no copy needed.
            return s.utf8.count <= max ? s : String(s.prefix(max))
        case nil, .null?:
            if required { throw Failure.field(field, "is required") }
            return ""
        default:
            throw Failure.field(field, "must be a string")
        }
    }

    static func number(_ v: JSONValue?, _ field: String) throws -> Int64? {
        switch v {
        case nil, .null?: return nil
        case .int(let i)?: return i
        case .double(let d)?: guard d.isFinite, abs(d) < 9e15 else { throw Failure.field(field, "is out of range") }; return Int64(d)
        default: throw Failure.field(field, "must be a number")
        }
    }

    public static func isToken(_ s: String) -> Bool {
        let u = s.utf8
        return !u.isEmpty && u.count <= 64 && u.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        }
    }

    /// Turns the envelope into rows for `workspace`. `visitorFallback` is the salted hash used when the widget sends no visitor id.
    public static func rows(root: [String: JSONValue], events: [JSONValue], workspace: Workspace, request r: BeaconRequest,
                            anonymizeIP: Bool, visitorFallback: String) -> (rows: [TrackedEvent], rejected: [(Int, String)]) {
        var visitor = visitorFallback
        if case .string(let v)? = root["visitor_id"], isToken(v) { visitor = v }
        var session = ""
        if case .string(let s)? = root["session_hint"], isToken(s) { session = s }
        let ua = UserAgentParser.cachedParse(r.userAgent)
        let ip = anonymizeIP ? IPAnonymizer.anonymize(r.ip) : r.ip
        var rows: [TrackedEvent] = []
        var rejected: [(Int, String)] = []
        for (i, raw) in events.enumerated() {
            do {
                guard case .object(let e) = raw else { throw Failure.field("events[\(i)]", "must be an object") }
                let id = try text(e["id"], "events[\(i)].id", max: 64, required: true)
                guard isToken(id) else { throw Failure.field("events[\(i)].id", "must be 1 to 64 letters, digits, - or _") }
                let type = try text(e["type"], "events[\(i)].type", max: 16, required: true)
                guard types.contains(type) else { throw Failure.field("events[\(i)].type", "must be one of \(types.sorted().joined(separator: ", "))") }
                guard let ms = try number(e["ts"], "events[\(i)].ts") else { throw Failure.field("events[\(i)].ts", "is required (milliseconds since 1970)") }
                let ts = Date(epochMillis: ms)
                guard ts > r.now.addingTimeInterval(-7 * 86400), ts < r.now.addingTimeInterval(3600) else {
                    throw Failure.field("events[\(i)].ts", "is more than 7 days old or in the future")
                }
                let url = try text(e["url"], "events[\(i)].url", max: 4096)
                var path = try text(e["path"], "events[\(i)].path", max: 768)
                if path.isEmpty, let u = URL(string: url) { path = u.path.isEmpty ? "/" : u.path }
                var name = ""
                var props = "{}"
                switch type {
                case "custom":
                    name = try text(e["name"], "events[\(i)].name", max: 120, required: true)
                    guard !name.isEmpty else { throw Failure.field("events[\(i)].name", "is required for custom events") }
                    if let p = e["props"] {
                        guard case .object = p else { throw Failure.field("events[\(i)].props", "must be an object") }
                        props = p.encoded()
                    }
                case "identify":
                    guard case .object(let ident)? = e["identity"] else { throw Failure.field("events[\(i)].identity", "must be an object") }
                    props = JSONValue.object(ident).encoded()
                case "outbound":
                    name = try text(e["href"], "events[\(i)].href", max: 120)
                case "form":
                    name = try text(e["form"], "events[\(i)].form", max: 120)
                default: break
                }
                guard props.utf8.count <= 16_384 else { throw Failure.field("events[\(i)].props", "is larger than 16 KB") }
                let referrer = try text(e["referrer"], "events[\(i)].referrer", max: 4096)
                let src = SourceClassifier.cachedClassify(referrer: referrer.isEmpty ? nil : referrer, pageURL: url, siteDomain: workspace.domain)
                var utm: [String: String] = [:]
                if let v = src.utm.source { utm["source"] = v }
                if let v = src.utm.medium { utm["medium"] = v }
                if let v = src.utm.campaign { utm["campaign"] = v }
                if let v = src.utm.term { utm["term"] = v }
                if let v = src.utm.content { utm["content"] = v }
                rows.append(TrackedEvent(
                    workspaceID: workspace.id, eventUID: id, visitorKey: visitor, sessionHint: session, type: type, name: name, ts: ts, receivedAt: r.now,
                    url: url, path: path, title: try text(e["title"], "events[\(i)].title", max: 255), referrer: referrer,
                    referrerDomain: src.referrerDomain ?? "", source: src.kind.rawValue, utm: utm, country: r.country,
                    device: ua.deviceType.rawValue, browser: ua.browser, browserVersion: ua.browserVersion, os: ua.os, osVersion: ua.osVersion, ip: ip,
                    screen: try text(e["screen"], "events[\(i)].screen", max: 32), lang: try text(e["lang"], "events[\(i)].lang", max: 32),
                    engagedMs: max(0, min(try number(e["engaged_ms"], "events[\(i)].engaged_ms") ?? 0, 86_400_000)),
                    scrollPct: max(0, min(try number(e["scroll_pct"], "events[\(i)].scroll_pct") ?? 0, 100)),
                    props: props, isBot: ua.isBot, city: r.city))
            } catch let f as Failure {
                rejected.append((i, f.description))
            } catch {
                rejected.append((i, "\(error)"))
            }
        }
        return (rows, rejected)
    }
}
