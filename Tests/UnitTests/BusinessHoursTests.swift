import Domain
import Foundation
import Ports
import Testing

/// Business-time arithmetic for SLA clocks: weekends, lunch breaks and DST changes in a non-UTC zone.
@Suite struct BusinessHoursTests {
    let ny = TimeZone(identifier: "America/New_York")!

    func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }
    func hours(_ text: String = "Mon-Fri 09:00-17:00") throws -> BusinessHours { try BusinessHours.parse(text, timeZone: ny) }

    @Test func normalTargetCrossesTheWeekendAndTheSpringForwardChange() throws {
        // Fri 6 Mar 2026 16:00 EST; DST starts Sun 8 Mar, so Monday is EDT (UTC-4).
        let created = at("2026-03-06T21:00:00Z")
        let due = SLAPolicy.firstResponseDue(createdAt: created, priority: .normal, pausedSeconds: 0, hours: try hours())
        #expect(due == at("2026-03-09T20:00:00Z"), "1 h on Friday, 7 h on Monday: 16:00 EDT")
    }

    @Test func targetsPerPriority() throws {
        let h = try hours()
        let saturday = at("2026-03-07T17:00:00Z")  // Sat 12:00 EST: the clock starts Monday 09:00 EDT
        #expect(SLAPolicy.firstResponseDue(createdAt: saturday, priority: .urgent, pausedSeconds: 0, hours: h) == at("2026-03-09T14:00:00Z"))
        #expect(SLAPolicy.firstResponseDue(createdAt: saturday, priority: .high, pausedSeconds: 0, hours: h) == at("2026-03-09T17:00:00Z"))
        // Wed 4 Mar 10:00 EST + 24 business hours: 7 + 8 + 8 then 1 h on Monday (EDT).
        #expect(SLAPolicy.firstResponseDue(createdAt: at("2026-03-04T15:00:00Z"), priority: .low, pausedSeconds: 0, hours: h) == at("2026-03-09T14:00:00Z"))
    }

    @Test func fallBackChange() throws {
        // Fri 30 Oct 2026 15:00 EDT; DST ends Sun 1 Nov, Monday is EST (UTC-5). High = 4 h: 2 h Friday, 2 h Monday.
        let due = SLAPolicy.firstResponseDue(createdAt: at("2026-10-30T19:00:00Z"), priority: .high, pausedSeconds: 0, hours: try hours())
        #expect(due == at("2026-11-02T16:00:00Z"))
    }

    @Test func businessTimeBetweenInstants() throws {
        let h = try hours()
        #expect(h.businessSeconds(from: at("2026-03-06T21:00:00Z"), to: at("2026-03-09T14:00:00Z")) == 2 * 3600, "Fri 16-17 EST and Mon 09-10 EDT")
        #expect(h.businessSeconds(from: at("2026-03-07T12:00:00Z"), to: at("2026-03-08T23:00:00Z")) == 0, "a weekend counts nothing")
        #expect(h.businessSeconds(from: at("2026-03-09T20:00:00Z"), to: at("2026-03-09T14:00:00Z")) == 0)
        // Adding what was counted lands where counting stopped.
        let start = at("2026-03-05T19:30:00Z")
        let end = h.add(seconds: 11 * 3600 + 600, to: start)
        #expect(h.businessSeconds(from: start, to: end) == 11 * 3600 + 600)
    }

    @Test func splitDaysAndSaturdays() throws {
        let h = try hours("Mon-Fri 09:00-12:00 13:00-17:00, Sat 10:00-14:00")
        // Fri 6 Mar 11:00 EST + 4 h: 1 h to 12:00, 4 h after lunch is too much (3 left → 16:00 EST).
        #expect(h.add(minutes: 240, to: at("2026-03-06T16:00:00Z")) == at("2026-03-06T21:00:00Z"))
        // Fri 16:00 EST + 3 h: 1 h Friday, 2 h Saturday from 10:00 EST → 12:00 EST.
        #expect(h.add(minutes: 180, to: at("2026-03-06T21:00:00Z")) == at("2026-03-07T17:00:00Z"))
        #expect(try BusinessHours.parse("24/7", timeZone: ny).add(minutes: 90, to: at("2026-03-07T17:00:00Z")) == at("2026-03-07T18:30:00Z"))
        #expect(try BusinessHours.parse("Fri-Mon 10:00-11:00", timeZone: ny).days[1] == [BusinessHours.Window(start: 600, end: 660)], "a range may wrap past Sunday")
    }

    @Test(arguments: ["", "Mon-Fri", "Mon-Fri 9-5", "Mon-Fri 17:00-09:00", "Someday 09:00-17:00", "09:00-17:00", "Mon-Fri 09:00-25:00"])
    func badHoursAreRefusedNamingTheSetting(_ text: String) {
        #expect {
            try BusinessHours.parse(text, timeZone: ny)
        } throws: { e in
            guard case DomainError.validation(let field, _) = e else { return false }
            return field == "support.hours"
        }
    }

    @Test func theSettingValidatesTheFormat() throws {
        let d = try #require(SettingsService.builtIn.first { $0.name == "support.hours" })
        #expect(try d.validate(.string(" Mon-Thu 08:30-16:30 ")) == .string("Mon-Thu 08:30-16:30"))
        #expect(throws: DomainError.self) { try d.validate(.string("weekdays")) }
    }

    @Test func ticketIDsAreAcceptedInBothForms() throws {
        #expect(try TicketService.parseNumber(.string("T-123"), field: "ticket_id") == 123)
        #expect(try TicketService.parseNumber(.string("t-7"), field: "ticket_id") == 7)
        #expect(try TicketService.parseNumber(.int(123), field: "ticket_id") == 123)
        #expect(try TicketService.parseNumber(.string("123"), field: "ticket_id") == 123)
        #expect(throws: DomainError.validation(field: "into_ticket_id", message: "must be a ticket id like T-123 or 123")) {
            try TicketService.parseNumber(.string("X-1"), field: "into_ticket_id")
        }
    }
}
