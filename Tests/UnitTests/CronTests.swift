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
}
