import Foundation
import Ports

/// A compact binary form of a beacon's events and its site's session rules, for the on-disk spool:
/// far cheaper to write and read than JSON on the beacon path. Layout (all integers little-endian):
/// version byte (2; 1 had no time zone), rules (timeout ms: i64, conversion event names: u32 count + strings,
/// time zone: a string, empty for none),
/// u32 event count, then per event its fields in declaration order; strings are u32 length + UTF-8,
/// dates i64 epoch milliseconds, booleans one byte, the UTM map a u32 count + key/value strings.
public enum TrackedEventCodec {
    public struct Malformed: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "malformed spool record: \(reason)" }
    }

    static let version: UInt8 = 2

    public static func encode(_ events: [TrackedEvent], rules: SessionRules) -> [UInt8] {
        var w = Writer()
        w.out.reserveCapacity(events.count * 512 + 64)
        w.u8(version)
        w.i64(Int64(rules.timeout * 1000))
        w.u32(UInt32(rules.conversionEvents.count))
        for name in rules.conversionEvents.sorted() { w.str(name) }
        w.str(rules.timeZone ?? "")
        w.u32(UInt32(events.count))
        for e in events {
            w.i64(e.workspaceID.raw)
            w.str(e.eventUID); w.str(e.visitorKey); w.str(e.sessionHint); w.str(e.type); w.str(e.name)
            w.i64(e.ts.epochMillis); w.i64(e.receivedAt.epochMillis)
            w.str(e.url); w.str(e.path); w.str(e.title); w.str(e.referrer); w.str(e.referrerDomain); w.str(e.source)
            w.u32(UInt32(e.utm.count))
            if e.utm.count == 1, let kv = e.utm.first { w.str(kv.key); w.str(kv.value) } else {
                for (k, v) in e.utm.sorted(by: { $0.key < $1.key }) { w.str(k); w.str(v) }
            }
            w.str(e.country); w.str(e.device); w.str(e.browser); w.str(e.browserVersion); w.str(e.os); w.str(e.osVersion)
            w.str(e.ip); w.str(e.screen); w.str(e.lang)
            w.i64(e.engagedMs); w.i64(e.scrollPct)
            w.str(e.props)
            w.u8(e.isBot ? 1 : 0)
            w.str(e.city)
        }
        return w.out
    }

    public static func decode(_ bytes: [UInt8]) throws -> (events: [TrackedEvent], rules: SessionRules) {
        var r = Reader(bytes: bytes)
        // Version 1 records (written before the time zone was added) still drain from an upgraded spool.
        let v = try r.u8()
        guard v == 1 || v == version else { throw Malformed(reason: "unknown version") }
        let timeout = TimeInterval(try r.i64()) / 1000
        var conversions = Set<String>()
        for _ in 0..<(try r.count()) { conversions.insert(try r.str()) }
        let zone = v >= 2 ? try r.str() : ""
        let n = try r.count()
        var events: [TrackedEvent] = []
        events.reserveCapacity(n)
        for _ in 0..<n {
            let ws = WorkspaceID(try r.i64())
            let uid = try r.str(), visitor = try r.str(), hint = try r.str(), type = try r.str(), name = try r.str()
            let ts = Date(epochMillis: try r.i64()), received = Date(epochMillis: try r.i64())
            let url = try r.str(), path = try r.str(), title = try r.str(), referrer = try r.str(), refDomain = try r.str(), source = try r.str()
            var utm: [String: String] = [:]
            for _ in 0..<(try r.count()) { let k = try r.str(); utm[k] = try r.str() }
            let country = try r.str(), device = try r.str(), browser = try r.str(), browserVersion = try r.str(), os = try r.str(), osVersion = try r.str()
            let ip = try r.str(), screen = try r.str(), lang = try r.str()
            let engaged = try r.i64(), scroll = try r.i64()
            let props = try r.str()
            let bot = try r.u8() == 1
            let city = try r.str()
            events.append(TrackedEvent(workspaceID: ws, eventUID: uid, visitorKey: visitor, sessionHint: hint, type: type, name: name, ts: ts, receivedAt: received,
                                       url: url, path: path, title: title, referrer: referrer, referrerDomain: refDomain, source: source, utm: utm, country: country,
                                       device: device, browser: browser, browserVersion: browserVersion, os: os, osVersion: osVersion, ip: ip, screen: screen,
                                       lang: lang, engagedMs: engaged, scrollPct: scroll, props: props, isBot: bot, city: city))
        }
        guard r.at == bytes.count else { throw Malformed(reason: "trailing bytes") }
        return (events, SessionRules(timeout: timeout, conversionEvents: conversions, timeZone: zone.isEmpty ? nil : zone))
    }

    struct Writer {
        var out: [UInt8] = []
        mutating func u8(_ v: UInt8) { out.append(v) }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        mutating func str(_ s: String) {
            var s = s
            s.withUTF8 { u in u32(UInt32(u.count)); out.append(contentsOf: u) }
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var at = 0
        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, at + n <= bytes.count else { throw Malformed(reason: "truncated") }
            defer { at += n }
            return bytes[at..<at + n]
        }
        mutating func u8() throws -> UInt8 {
            guard at < bytes.count else { throw Malformed(reason: "truncated") }
            defer { at += 1 }
            return bytes[at]
        }
        mutating func u32() throws -> UInt32 {
            guard at + 4 <= bytes.count else { throw Malformed(reason: "truncated") }
            defer { at += 4 }
            return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        mutating func i64() throws -> Int64 {
            let lo = UInt64(try u32()), hi = UInt64(try u32())
            return Int64(bitPattern: hi << 32 | lo)
        }
        /// A count that cannot exceed what is left (so a corrupt length cannot make us allocate gigabytes).
        mutating func count() throws -> Int {
            let n = Int(try u32())
            guard n <= bytes.count - at else { throw Malformed(reason: "count \(n) past the end") }
            return n
        }
        mutating func str() throws -> String {
            let n = Int(try u32())
            if n == 0 { return "" }
            guard n <= bytes.count - at else { throw Malformed(reason: "truncated") }
            defer { at += n }
            let s: String? = bytes.withUnsafeBufferPointer { String(validating: UnsafeBufferPointer(rebasing: $0[at..<at + n]), as: UTF8.self) }
            guard let s else { throw Malformed(reason: "invalid UTF-8") }
            return s
        }
    }
}
