import Foundation
import Ports
import Testing
@testable import Domain

/// The spool's record format: what goes in comes out, and a damaged record is refused, never half-read.
@Suite struct TrackedEventCodecTests {
    static func sample(_ i: Int) -> TrackedEvent {
        TrackedEvent(workspaceID: WorkspaceID(Int64(3 + i)), eventUID: "ev\(i)", visitorKey: "v\(i)", sessionHint: i % 2 == 0 ? "" : "s1", type: "custom", name: "order.completed",
                     ts: Date(epochMillis: 1_790_000_000_123 + Int64(i)), receivedAt: Date(epochMillis: 1_790_000_001_000), url: "https://shop.example.com/ü?x=1",
                     path: "/ü", title: "Zürich 中文 😀", referrer: "", referrerDomain: "google.com", source: "Organic",
                     utm: i % 2 == 0 ? [:] : ["source": "news", "campaign": "spring"], country: "DE", device: "mobile", browser: "Safari", browserVersion: "17.1",
                     os: "iOS", osVersion: "17.1", ip: "2001:db8::", screen: "390x844", lang: "de-DE", engagedMs: 12_345, scrollPct: 75,
                     props: #"{"total":42.5}"#, isBot: i == 1, city: i == 0 ? "" : "Berlin")
    }

    @Test func roundTrip() throws {
        let events = (0..<3).map(Self.sample)
        let rules = SessionRules(timeout: 45 * 60, conversionEvents: ["order.completed", "signup.completed"], timeZone: "Asia/Kolkata")
        let (back, backRules) = try TrackedEventCodec.decode(TrackedEventCodec.encode(events, rules: rules))
        #expect(back == events)
        #expect(backRules == rules)
        #expect(try TrackedEventCodec.decode(TrackedEventCodec.encode(events, rules: SessionRules())).rules.timeZone == nil)
        #expect(try TrackedEventCodec.decode(TrackedEventCodec.encode([], rules: SessionRules())).events.isEmpty)
    }

    /// A spool written before the time zone was added (version 1: no zone string after the conversion names) still decodes.
    @Test func versionOneRecordsStillDecode() throws {
        let events = (0..<2).map(Self.sample)
        var v2 = TrackedEventCodec.encode(events, rules: SessionRules(timeout: 60, conversionEvents: ["a"]))
        // Version 2 layout: version, timeout (8), count (4), "a" (4 + 1), then the empty zone (4 zero bytes).
        let zoneAt = 1 + 8 + 4 + 5
        #expect(Array(v2[zoneAt..<(zoneAt + 4)]) == [0, 0, 0, 0])
        v2.removeSubrange(zoneAt..<(zoneAt + 4))
        v2[0] = 1
        let (back, rules) = try TrackedEventCodec.decode(v2)
        #expect(back == events && rules == SessionRules(timeout: 60, conversionEvents: ["a"]))
    }

    @Test func damagedRecordsAreRefused() {
        let bytes = TrackedEventCodec.encode([Self.sample(1)], rules: SessionRules())
        for cut in [0, 1, 9, bytes.count / 2, bytes.count - 1] {
            #expect(throws: TrackedEventCodec.Malformed.self) { _ = try TrackedEventCodec.decode(Array(bytes.prefix(cut))) }
        }
        #expect(throws: TrackedEventCodec.Malformed.self) { _ = try TrackedEventCodec.decode(bytes + [0]) }
        var wrongVersion = bytes; wrongVersion[0] = 99
        #expect(throws: TrackedEventCodec.Malformed.self) { _ = try TrackedEventCodec.decode(wrongVersion) }
        var hugeCount = bytes; hugeCount[9] = 0xFF; hugeCount[10] = 0xFF; hugeCount[11] = 0xFF; hugeCount[12] = 0x7F
        #expect(throws: TrackedEventCodec.Malformed.self) { _ = try TrackedEventCodec.decode(hugeCount) }
    }
}
