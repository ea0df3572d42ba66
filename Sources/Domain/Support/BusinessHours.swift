import Foundation
import Ports

/// The team's working hours in one time zone, and business-time arithmetic over them (SLA clocks).
///
/// Text format (the `support.hours` setting): day groups followed by one or more time ranges, e.g.
/// `Mon-Fri 09:00-17:00`, `Mon-Fri 09:00-12:00 13:00-17:00, Sat 10:00-14:00`, `24/7`.
/// Local wall-clock times are converted per calendar day, so DST changes are handled by the calendar.
public struct BusinessHours: Sendable, Equatable {
    /// Minutes since local midnight, `start < end <= 1440`.
    public struct Window: Sendable, Equatable {
        public var start: Int
        public var end: Int
        public init(start: Int, end: Int) { self.start = start; self.end = end }
    }
    /// Indexed by `Calendar` weekday (1 = Sunday … 7 = Saturday); index 0 unused.
    public private(set) var days: [[Window]]
    public let timeZone: TimeZone

    public static let `default` = try! BusinessHours.parse("Mon-Fri 09:00-17:00", timeZone: TimeZone(identifier: "UTC")!)

    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses the setting text; errors name `field` and say what is wrong.
    public static func parse(_ text: String, timeZone: TimeZone, field: String = "support.hours") throws -> BusinessHours {
        func bad(_ m: String) -> DomainError { .validation(field: field, message: m) }
        var days = Array(repeating: [Window](), count: 8)
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" || $0 == "\n" || $0 == "\t" || $0 == "\r" }).map { $0.lowercased() }
        guard !tokens.isEmpty else { throw bad("is empty; write the days and hours, e.g. Mon-Fri 09:00-17:00") }
        var pending: [Int] = [], last: [Int] = []
        func day(_ s: Substring) -> Int? {
            let p = s.prefix(3)
            guard s.count >= 3, let i = dayNames.firstIndex(of: String(p)) else { return nil }
            return i + 1
        }
        func minutes(_ s: Substring) -> Int? {
            let parts = s.split(separator: ":")
            guard parts.count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m) else { return nil }
            let v = h * 60 + m
            return v <= 1440 ? v : nil
        }
        for t in tokens {
            if t == "24/7" {
                for d in 1...7 { days[d].append(Window(start: 0, end: 1440)) }
                continue
            }
            if t.first?.isNumber == true {
                let ends = t.split(separator: "-")
                guard ends.count == 2, let a = minutes(ends[0]), let b = minutes(ends[1]) else { throw bad("'\(t)' is not a time range like 09:00-17:00") }
                guard a < b else { throw bad("in '\(t)' the end must be after the start (split hours past midnight across two days)") }
                let target = pending.isEmpty ? last : pending
                guard !target.isEmpty else { throw bad("'\(t)' has no days before it, e.g. Mon-Fri \(t)") }
                for d in target { days[d].append(Window(start: a, end: b)) }
                last = target; pending = []
                continue
            }
            let ends = t.split(separator: "-")
            if ends.count == 1, let d = day(ends[0]) {
                pending.append(d)
            } else if ends.count == 2, let a = day(ends[0]), let b = day(ends[1]) {
                var d = a
                while true { pending.append(d); if d == b { break }; d = d % 7 + 1 }
            } else {
                throw bad("'\(t)' is not a day or day range like Mon-Fri")
            }
        }
        guard pending.isEmpty else { throw bad("days at the end have no hours; add a time range like 09:00-17:00") }
        for d in 1...7 {
            let sorted = days[d].sorted { $0.start < $1.start }
            var merged: [Window] = []
            for w in sorted {
                if let l = merged.last, w.start <= l.end { merged[merged.count - 1].end = max(l.end, w.end) } else { merged.append(w) }
            }
            days[d] = merged
        }
        return BusinessHours(days: days, timeZone: timeZone)
    }

    var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    var isEmpty: Bool { days.allSatisfy(\.isEmpty) }

    /// The absolute intervals of the local day starting at `dayStart`.
    func intervals(dayStart: Date, _ cal: Calendar) -> [(Date, Date)] {
        let c = cal.dateComponents([.year, .month, .day, .weekday], from: dayStart)
        guard let wd = c.weekday else { return [] }
        func at(_ minute: Int) -> Date {
            if minute == 1440 { return cal.date(byAdding: .day, value: 1, to: dayStart)! }
            var dc = DateComponents()
            dc.timeZone = timeZone
            dc.year = c.year; dc.month = c.month; dc.day = c.day; dc.hour = minute / 60; dc.minute = minute % 60
            return cal.date(from: dc)!
        }
        return days[wd].map { (at($0.start), at($0.end)) }
    }

    /// `start` plus `seconds` of business time. With no hours at all, plain time is used.
    public func add(seconds: TimeInterval, to start: Date) -> Date {
        guard !isEmpty else { return start.addingTimeInterval(seconds) }
        let cal = calendar
        var remaining = seconds
        var day = cal.startOfDay(for: start)
        while true {
            for (ws, we) in intervals(dayStart: day, cal) {
                let s = max(ws, start)
                guard s < we else { continue }
                let avail = we.timeIntervalSince(s)
                if remaining <= avail { return s.addingTimeInterval(remaining) }
                remaining -= avail
            }
            day = cal.date(byAdding: .day, value: 1, to: day)!
        }
    }

    public func add(minutes: Int, to start: Date) -> Date { add(seconds: TimeInterval(minutes * 60), to: start) }

    /// Business time between two instants (0 when `to` is not after `from`).
    public func businessSeconds(from: Date, to: Date) -> TimeInterval {
        guard to > from else { return 0 }
        guard !isEmpty else { return to.timeIntervalSince(from) }
        let cal = calendar
        var total: TimeInterval = 0
        var day = cal.startOfDay(for: from)
        while day < to {
            for (ws, we) in intervals(dayStart: day, cal) {
                let s = max(ws, from), e = min(we, to)
                if s < e { total += e.timeIntervalSince(s) }
            }
            day = cal.date(byAdding: .day, value: 1, to: day)!
        }
        return total
    }
}

/// The default SLA targets (business minutes): first response from the spec (Urgent 1 h, High 4 h,
/// Normal 8 h, Low 24 h), the same for each next response, and resolution Urgent 8 h, High 24 h,
/// Normal 40 h (a working week), Low 80 h. Departments may set their own (`departments.set_sla`).
extension SLATargets {
    public static let standard = SLATargets(minutes: [
        SLAMetric.firstResponse.rawValue: ["urgent": 60, "high": 4 * 60, "normal": 8 * 60, "low": 24 * 60],
        SLAMetric.nextResponse.rawValue: ["urgent": 60, "high": 4 * 60, "normal": 8 * 60, "low": 24 * 60],
        SLAMetric.resolution.rawValue: ["urgent": 8 * 60, "high": 24 * 60, "normal": 40 * 60, "low": 80 * 60],
    ])

    /// Business minutes for one clock and priority; nil when this department switched that target off (0).
    /// A metric or priority missing from a department's targets takes the default.
    public func target(_ metric: SLAMetric, _ p: TicketPriority) -> Int? {
        let m = minutes[metric.rawValue]?[p.rawValue] ?? Self.standard.minutes[metric.rawValue]?[p.rawValue] ?? 0
        return m > 0 ? m : nil
    }

    /// Due time of `metric`: its target plus `pausedSeconds` of business time after `start`.
    public func due(_ metric: SLAMetric, priority: TicketPriority, from start: Date, pausedSeconds: Int64, hours: BusinessHours) -> Date? {
        guard let m = target(metric, priority) else { return nil }
        return hours.add(seconds: TimeInterval(m * 60) + TimeInterval(pausedSeconds), to: start)
    }

    /// Targets from the JSON an admin sends: `{"first_response": {"urgent": 30, ...}, "next_response": {...},
    /// "resolution": {...}, "escalate": true}` (minutes; 0 switches a target off; missing ones keep the default).
    public static func parse(_ v: JSONValue, field: String = "sla") throws -> SLATargets {
        guard case .object(let o) = v else { throw DomainError.validation(field: field, message: "must be an object like {\"first_response\": {\"urgent\": 60}}") }
        var out = SLATargets(minutes: [:], escalate: false)
        for (k, value) in o {
            if k == "escalate" {
                switch value {
                case .bool(let b): out.escalate = b
                case .string(let t) where ["true", "1", "on"].contains(t.lowercased()): out.escalate = true
                case .string(let t) where ["false", "0", "off", ""].contains(t.lowercased()): out.escalate = false
                default: throw DomainError.validation(field: "\(field).escalate", message: "must be true or false")
                }
                continue
            }
            guard SLAMetric(rawValue: k) != nil else {
                throw DomainError.validation(field: "\(field).\(k)", message: "unknown clock; use " + SLAMetric.allCases.map(\.rawValue).joined(separator: ", ") + " or escalate")
            }
            guard case .object(let per) = value else { throw DomainError.validation(field: "\(field).\(k)", message: "must be an object of priority: minutes") }
            var row: [String: Int] = [:]
            for (p, mv) in per {
                guard TicketPriority(rawValue: p) != nil else {
                    throw DomainError.validation(field: "\(field).\(k).\(p)", message: "unknown priority; use " + TicketPriority.allCases.map(\.rawValue).joined(separator: ", "))
                }
                guard let n = mv.intValue.map({ Int($0) }) ?? mv.stringValue.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), n >= 0, n <= 60 * 24 * 365 else {
                    throw DomainError.validation(field: "\(field).\(k).\(p)", message: "must be whole minutes from 0 (no target) to 525600")
                }
                row[p] = n
            }
            out.minutes[k] = row
        }
        return out
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["escalate": .bool(escalate)]
        for m in SLAMetric.allCases {
            var row: [String: JSONValue] = [:]
            for p in TicketPriority.allCases { row[p.rawValue] = .int(Int64(target(m, p) ?? 0)) }
            o[m.rawValue] = .object(row)
        }
        return .object(o)
    }
}

/// First-response targets by priority, in business minutes (the defaults).
public enum SLAPolicy {
    public static func firstResponseMinutes(_ p: TicketPriority) -> Int {
        SLATargets.standard.target(.firstResponse, p) ?? 0
    }

    /// When the first response is due under the default targets: the target plus any paused business time, counted from creation.
    public static func firstResponseDue(createdAt: Date, priority: TicketPriority, pausedSeconds: Int64, hours: BusinessHours) -> Date {
        hours.add(seconds: TimeInterval(firstResponseMinutes(priority) * 60) + TimeInterval(pausedSeconds), to: createdAt)
    }
}
