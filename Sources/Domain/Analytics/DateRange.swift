import Foundation
import Ports

/// The date range every analytics page and action reports on: a preset or a custom span of whole days in the
/// site's time zone, turned into two instants [start, end). Days come from the calendar in that zone, so a day
/// across a DST change is 23 or 25 hours long and still starts at local midnight.
public struct DateRange: Sendable, Equatable {
    public enum Preset: String, Sendable, CaseIterable {
        case today, yesterday, last7 = "last_7_days", last30 = "last_30_days", thisMonth = "this_month", lastMonth = "last_month", custom
        public var label: String {
            switch self {
            case .today: return "Today"
            case .yesterday: return "Yesterday"
            case .last7: return "Last 7 days"
            case .last30: return "Last 30 days"
            case .thisMonth: return "This month"
            case .lastMonth: return "Last month"
            case .custom: return "Custom range"
            }
        }
    }

    public let preset: Preset
    public let start: Date
    public let end: Date
    public let timeZone: TimeZone
    /// The first and last local day, as yyyy-MM-dd (the last one inclusive).
    public let firstDay: String
    public let lastDay: String

    /// The longest custom range (a year and a day, so a full leap year fits).
    public static let maxDays = 367

    static func calendar(_ tz: TimeZone) -> Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = tz
        return c
    }

    static func dayFormatter(_ tz: TimeZone) -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.calendar = calendar(tz)
        f.timeZone = tz
        f.dateFormat = "yyyy-MM-dd"
        return f
    }

    /// A range of whole local days, `first` to `last` inclusive (both local midnights of their day).
    init(preset: Preset, firstDayStart: Date, lastDayStart: Date, timeZone: TimeZone) {
        let cal = Self.calendar(timeZone)
        self.preset = preset
        self.timeZone = timeZone
        start = firstDayStart
        end = cal.date(byAdding: .day, value: 1, to: lastDayStart)!
        let f = Self.dayFormatter(timeZone)
        firstDay = f.string(from: firstDayStart)
        lastDay = f.string(from: lastDayStart)
    }

    /// Resolves the request's range. `preset` is one of the preset names (default `fallback`); `custom` needs
    /// `from` and `to` (yyyy-MM-dd, inclusive). `days` (1-367), when given and no preset is, means the last N days
    /// including today. Bad input throws a validation error naming the field.
    public static func resolve(preset raw: String?, from: String? = nil, to: String? = nil, days: Int? = nil, now: Date, timeZone: TimeZone,
                               fallback: Preset = .last7) throws -> DateRange {
        let cal = calendar(timeZone)
        let today = cal.startOfDay(for: now)
        func day(_ offset: Int) -> Date { cal.date(byAdding: .day, value: offset, to: today)! }
        let name = (raw ?? "").trimmingCharacters(in: .whitespaces)
        if name.isEmpty, let days {
            guard (1...maxDays).contains(days) else { throw DomainError.validation(field: "days", message: "must be between 1 and \(maxDays)") }
            return DateRange(preset: days == 7 ? .last7 : days == 30 ? .last30 : days == 1 ? .today : .custom, firstDayStart: day(1 - days), lastDayStart: today, timeZone: timeZone)
        }
        guard let preset = name.isEmpty ? fallback : Preset(rawValue: name) else {
            throw DomainError.validation(field: "range", message: "must be one of \(Preset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch preset {
        case .today: return DateRange(preset: preset, firstDayStart: today, lastDayStart: today, timeZone: timeZone)
        case .yesterday: return DateRange(preset: preset, firstDayStart: day(-1), lastDayStart: day(-1), timeZone: timeZone)
        case .last7: return DateRange(preset: preset, firstDayStart: day(-6), lastDayStart: today, timeZone: timeZone)
        case .last30: return DateRange(preset: preset, firstDayStart: day(-29), lastDayStart: today, timeZone: timeZone)
        case .thisMonth:
            let first = cal.date(from: cal.dateComponents([.year, .month], from: today))!
            return DateRange(preset: preset, firstDayStart: first, lastDayStart: today, timeZone: timeZone)
        case .lastMonth:
            let firstThis = cal.date(from: cal.dateComponents([.year, .month], from: today))!
            let first = cal.date(byAdding: .month, value: -1, to: firstThis)!
            return DateRange(preset: preset, firstDayStart: first, lastDayStart: cal.date(byAdding: .day, value: -1, to: firstThis)!, timeZone: timeZone)
        case .custom:
            let f = dayFormatter(timeZone)
            func parse(_ s: String?, _ field: String) throws -> Date {
                let t = (s ?? "").trimmingCharacters(in: .whitespaces)
                guard t.count == 10, let d = f.date(from: t) else { throw DomainError.validation(field: field, message: "must be a date like 2026-11-25") }
                return cal.startOfDay(for: d)
            }
            let a = try parse(from, "from"), b = try parse(to, "to")
            guard a <= b else { throw DomainError.validation(field: "to", message: "must not be before from") }
            let span = cal.dateComponents([.day], from: a, to: b).day ?? 0
            guard span < maxDays else { throw DomainError.validation(field: "to", message: "the range may cover at most \(maxDays) days") }
            return DateRange(preset: preset, firstDayStart: a, lastDayStart: b, timeZone: timeZone)
        }
    }

    /// The local midnights from `start` to `end`, both included (one more than the number of days).
    public var dayBoundaries: [Date] {
        let cal = Self.calendar(timeZone)
        var out = [start]
        while let last = out.last, last < end { out.append(cal.date(byAdding: .day, value: 1, to: last)!) }
        return out
    }

    /// "Nov 1 – Nov 30, 2026" or one day.
    public var label: String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = timeZone
        f.dateFormat = "MMM d, yyyy"
        let last = Self.calendar(timeZone).date(byAdding: .day, value: -1, to: end)!
        return firstDay == lastDay ? f.string(from: start) : "\(f.string(from: start)) – \(f.string(from: last))"
    }
}
