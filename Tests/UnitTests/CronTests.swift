import Foundation
import Testing
@testable import Domain

@Suite struct CronTests {
    var utc: Calendar { var c = Calendar(identifier: .gregorian); c.timeZone = TimeZone(identifier: "UTC")!; return c }
    func date(_ s: String) -> Date { ISO8601DateFormatter().date(from: s)! }

    @Test func everyFifteenMinutes() throws {
        let c = try CronExpression("*/15 * * * *")
        #expect(c.matches(date("2026-11-25T10:15:00Z"), calendar: utc))
        #expect(!c.matches(date("2026-11-25T10:16:00Z"), calendar: utc))
        #expect(c.next(after: date("2026-11-25T10:16:30Z"), calendar: utc) == date("2026-11-25T10:30:00Z"))
    }

    @Test func listsRangesStepsAndNames() throws {
        let c = try CronExpression("5,35 9-17/4 * jan-mar mon-fri")
        #expect(c.matches(date("2026-02-02T09:05:00Z"), calendar: utc))   // Monday
        #expect(c.matches(date("2026-02-02T13:35:00Z"), calendar: utc))
        #expect(!c.matches(date("2026-02-02T11:05:00Z"), calendar: utc))  // 11 is not in 9-17/4
        #expect(!c.matches(date("2026-02-01T09:05:00Z"), calendar: utc))  // Sunday
        #expect(!c.matches(date("2026-04-06T09:05:00Z"), calendar: utc))  // April
    }

    @Test func shorthandsAndSundayAsSeven() throws {
        let hourly = try CronExpression("@hourly")
        #expect(hourly.matches(date("2026-11-25T07:00:00Z"), calendar: utc))
        #expect(!hourly.matches(date("2026-11-25T07:01:00Z"), calendar: utc))
        let weekly = try CronExpression("@weekly")
        #expect(weekly.next(after: date("2026-11-25T10:00:00Z"), calendar: utc) == date("2026-11-29T00:00:00Z"))
        let seven = try CronExpression("0 3 * * 7")
        #expect(seven.matches(date("2026-11-29T03:00:00Z"), calendar: utc))
    }

    @Test func dayOfMonthOrWeekdayWhenBothRestricted() throws {
        let c = try CronExpression("0 0 1 * mon")
        #expect(c.matches(date("2026-12-01T00:00:00Z"), calendar: utc))   // the 1st (a Tuesday)
        #expect(c.matches(date("2026-11-30T00:00:00Z"), calendar: utc))   // a Monday
        #expect(!c.matches(date("2026-12-02T00:00:00Z"), calendar: utc))
    }

    @Test func nextFindsRareTicks() throws {
        let c = try CronExpression("30 4 29 2 *")
        #expect(c.next(after: date("2026-11-25T00:00:00Z"), calendar: utc) == date("2028-02-29T04:30:00Z"))
    }

    @Test func timeZonesShiftTheMatch() throws {
        var ny = Calendar(identifier: .gregorian)
        ny.timeZone = TimeZone(identifier: "America/New_York")!
        let c = try CronExpression("0 9 * * *")
        #expect(c.matches(date("2026-11-25T14:00:00Z"), calendar: ny))
        #expect(!c.matches(date("2026-11-25T09:00:00Z"), calendar: ny))
    }

    @Test(arguments: ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "* * * foo *", "@never", "1,,2 * * * *"])
    func rejectsBadExpressionsWithAReason(_ text: String) {
        do {
            _ = try CronExpression(text)
            Issue.record("accepted \(text)")
        } catch let e as CronExpression.ParseError {
            #expect(!e.message.isEmpty)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
