import Domain
import Foundation
import Ports
import Testing

/// Date range presets in the site's time zone, DST days, and bad input naming its field.
@Suite struct DateRangeTests {
    let ny = TimeZone(identifier: "America/New_York")!
    func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test func presetsAreWholeLocalDays() throws {
        // Tue 3 Nov 2026 10:00 EST (15:00 UTC); DST ended on Sunday 1 Nov.
        let now = at("2026-11-03T15:00:00Z")
        let today = try DateRange.resolve(preset: "today", now: now, timeZone: ny)
        #expect(today.start == at("2026-11-03T05:00:00Z") && today.end == at("2026-11-04T05:00:00Z"))
        let yesterday = try DateRange.resolve(preset: "yesterday", now: now, timeZone: ny)
        #expect(yesterday.firstDay == "2026-11-02" && yesterday.lastDay == "2026-11-02")
        let week = try DateRange.resolve(preset: "last_7_days", now: now, timeZone: ny)
        #expect(week.start == at("2026-10-28T04:00:00Z"), "six days back, at midnight EDT")
        #expect(week.end == today.end)
        #expect(week.dayBoundaries.count == 8)
        let month = try DateRange.resolve(preset: "this_month", now: now, timeZone: ny)
        #expect(month.start == at("2026-11-01T04:00:00Z") && month.firstDay == "2026-11-01")
        let last = try DateRange.resolve(preset: "last_month", now: now, timeZone: ny)
        #expect(last.firstDay == "2026-10-01" && last.lastDay == "2026-10-31" && last.end == month.start)
        let thirty = try DateRange.resolve(preset: "last_30_days", now: now, timeZone: ny)
        #expect(thirty.firstDay == "2026-10-05" && thirty.dayBoundaries.count == 31)
        #expect(try DateRange.resolve(preset: nil, now: now, timeZone: ny) == week, "last 7 days by default")
        #expect(try DateRange.resolve(preset: nil, days: 7, now: now, timeZone: ny).start == week.start)
    }

    @Test func theDSTDayHas25Hours() throws {
        let now = at("2026-11-03T15:00:00Z")
        let day = try DateRange.resolve(preset: "custom", from: "2026-11-01", to: "2026-11-01", now: now, timeZone: ny)
        #expect(day.end.timeIntervalSince(day.start) == 25 * 3600)
        #expect(day.dayBoundaries == [day.start, day.end])
        let spring = try DateRange.resolve(preset: "custom", from: "2026-03-08", to: "2026-03-08", now: now, timeZone: ny)
        #expect(spring.end.timeIntervalSince(spring.start) == 23 * 3600)
        let kolkata = try DateRange.resolve(preset: "today", now: now, timeZone: TimeZone(identifier: "Asia/Kolkata")!)
        #expect(kolkata.start == at("2026-11-02T18:30:00Z"))
    }

    @Test func badInputNamesTheField() {
        let now = at("2026-11-03T15:00:00Z")
        func field(_ body: () throws -> DateRange) -> String? {
            do { _ = try body(); return nil } catch DomainError.validation(let f, _) { return f } catch { return "other" }
        }
        #expect(field { try DateRange.resolve(preset: "fortnight", now: now, timeZone: ny) } == "range")
        #expect(field { try DateRange.resolve(preset: "custom", from: "2026-13-01", to: "2026-11-01", now: now, timeZone: ny) } == "from")
        #expect(field { try DateRange.resolve(preset: "custom", from: "2026-11-01", to: nil, now: now, timeZone: ny) } == "to")
        #expect(field { try DateRange.resolve(preset: "custom", from: "2026-11-02", to: "2026-11-01", now: now, timeZone: ny) } == "to")
        #expect(field { try DateRange.resolve(preset: "custom", from: "2020-01-01", to: "2026-11-01", now: now, timeZone: ny) } == "to")
        #expect(field { try DateRange.resolve(preset: nil, days: 0, now: now, timeZone: ny) } == "days")
    }

    @Test func seedIsDeterministicAndTimeOrdered() {
        let opts = AnalyticsSeed.Options(workspace: WorkspaceID(1), events: 3000, days: 3, end: at("2026-11-03T15:00:00Z"), seed: 42)
        var a = AnalyticsSeed(opts), b = AnalyticsSeed(opts)
        var all: [TrackedEvent] = []
        while let part = a.next(size: 500) {
            if let last = all.last, let first = part.first { #expect(first.ts >= last.ts, "batches follow each other in time") }
            all += part
            #expect(part == b.next(size: 500))
        }
        #expect(all.count > 2400 && all.count < 3600, "about the number asked for: \(all.count)")
        #expect(Set(all.map(\.eventUID)).count == all.count)
        #expect(all.allSatisfy { $0.ts >= opts.end.addingTimeInterval(-3 * 86400) && $0.ts < opts.end.addingTimeInterval(3600) })
        #expect(all.contains { $0.type == "identify" })
    }
}
