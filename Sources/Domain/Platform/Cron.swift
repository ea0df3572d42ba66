import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week) with lists, ranges, steps,
/// month and weekday names and the `@hourly`-style shorthands. Day-of-month and day-of-week follow Vixie
/// cron: when both are restricted, a day matches if either does.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let source: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public var description: String { source }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(_ text: String) throws {
        source = text
        var expr = text.trimmingCharacters(in: .whitespaces).lowercased()
        let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
                      "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
        if expr.hasPrefix("@") {
            guard let m = macros[expr] else { throw ParseError(message: "unknown cron shorthand \(text)") }
            expr = m
        }
        let fields = expr.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else { throw ParseError(message: "cron expression '\(text)' must have 5 fields (minute hour day month weekday), has \(fields.count)") }
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [:])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [:])
        days = try Self.field(fields[2], name: "day of month", range: 1...31, names: [:])
        months = try Self.field(fields[3], name: "month", range: 1...12,
                                names: Dictionary(uniqueKeysWithValues: monthNames.enumerated().map { ($1, $0 + 1) }))
        // 7 is accepted as Sunday, as in most crons.
        weekdays = Set(try Self.field(fields[4], name: "weekday", range: 0...7,
                                      names: Dictionary(uniqueKeysWithValues: dayNames.enumerated().map { ($1, $0) })).map { $0 % 7 })
        daysRestricted = fields[2] != "*" && fields[2] != "?"
        weekdaysRestricted = fields[4] != "*" && fields[4] != "?"
    }

    static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String: Int]) throws -> Set<Int> {
        var out = Set<Int>()
        func value(_ s: String) throws -> Int {
            if let v = Int(s), range.contains(v) { return v }
            if let v = names[s] { return v }
            throw ParseError(message: "\(name) value '\(s)' is not in \(range.lowerBound)-\(range.upperBound)")
        }
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !part.isEmpty else { throw ParseError(message: "empty item in \(name) field '\(text)'") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { throw ParseError(message: "bad step in \(name) field '\(part)'") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw ParseError(message: "step in \(name) field '\(part)' must be a positive number") }
                step = s
            }
            var lo: Int, hi: Int
            if pieces[0] == "*" || pieces[0] == "?" {
                lo = range.lowerBound; hi = range.upperBound
            } else if pieces[0].contains("-") {
                let ends = pieces[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard ends.count == 2 else { throw ParseError(message: "bad range in \(name) field '\(part)'") }
                lo = try value(ends[0]); hi = try value(ends[1])
                guard lo <= hi else { throw ParseError(message: "range \(part) in \(name) field runs backwards") }
            } else {
                lo = try value(pieces[0])
                hi = pieces.count == 2 ? range.upperBound : lo
            }
            var v = lo
            while v <= hi { out.insert(v); v += step }
        }
        return out
    }

    /// Whether the minute containing `date` is a tick, read in `calendar`'s time zone.
    public func matches(_ date: Date, calendar: Calendar) -> Bool {
        let c = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
        guard let mi = c.minute, let h = c.hour, let d = c.day, let mo = c.month, let wd = c.weekday else { return false }
        guard minutes.contains(mi), hours.contains(h), months.contains(mo) else { return false }
        let dayOK = days.contains(d)
        let wdOK = weekdays.contains(wd - 1)
        if daysRestricted && weekdaysRestricted { return dayOK || wdOK }
        if daysRestricted { return dayOK }
        if weekdaysRestricted { return wdOK }
        return true
    }

    /// The first tick strictly after `date` (searching at most ~4 years ahead).
    public func next(after date: Date, calendar: Calendar) -> Date? {
        var t = Self.floorToMinute(date).addingTimeInterval(60)
        let limit = date.addingTimeInterval(4 * 366 * 86400)
        while t < limit {
            if matches(t, calendar: calendar) { return t }
            let c = calendar.dateComponents([.month, .day, .hour], from: t)
            // Skip whole days or hours that cannot match, so the search stays fast.
            if let mo = c.month, !months.contains(mo) || !dayMatches(t, calendar: calendar) {
                guard let nextDay = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: t)) else { return nil }
                t = nextDay
                continue
            }
            if let h = c.hour, !hours.contains(h) {
                t = Self.floorToHour(t).addingTimeInterval(3600)
                continue
            }
            t = t.addingTimeInterval(60)
        }
        return nil
    }

    private func dayMatches(_ t: Date, calendar: Calendar) -> Bool {
        let c = calendar.dateComponents([.day, .weekday], from: t)
        let dayOK = days.contains(c.day ?? 0)
        let wdOK = weekdays.contains((c.weekday ?? 1) - 1)
        if daysRestricted && weekdaysRestricted { return dayOK || wdOK }
        if daysRestricted { return dayOK }
        if weekdaysRestricted { return wdOK }
        return true
    }

    public static func floorToMinute(_ d: Date) -> Date {
        Date(timeIntervalSince1970: (d.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }

    static func floorToHour(_ d: Date) -> Date {
        Date(timeIntervalSince1970: (d.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }
}
