import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week) with lists,
/// ranges, steps (`*/5`, `1-10/2`), month and weekday names (`JAN`-`DEC`, `SUN`-`SAT`; `7` is
/// Sunday too) and the `@hourly`… shorthands, evaluated in a time zone.
///
/// Days follow cron's rule: when both day-of-month and day-of-week are restricted, a day
/// matching either fires; a field written with a leading `*` (`*`, `*/2`) does not restrict.
///
/// Daylight-saving changes follow Vixie cron. An expression whose minute or hour field starts
/// with `*` follows real time: local times skipped in spring do not fire, and the repeated
/// hour in autumn fires in both passes. Any other expression names fixed times: one that falls
/// in the spring gap fires at the first instant after it (02:30 → 03:00), and one in the
/// repeated hour fires once, at its first occurrence.
struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// A parse failure, phrased for a 422 on the `cron` field.
    struct ParseError: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    let description: String
    private let minutes: UInt64
    private let hours: UInt64
    private let daysOfMonth: UInt64
    private let months: UInt64
    /// Bit 0 is Sunday.
    private let daysOfWeek: UInt64
    private let daysOfMonthRestricted: Bool
    private let daysOfWeekRestricted: Bool
    private let followsRealTime: Bool

    private static let shorthands = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    /// Further than any `next` looks: a 29 February on a given weekday recurs within 28 years.
    private static let horizonYears = 30

    init(_ text: String) throws(ParseError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded = Self.shorthands[trimmed.lowercased()] ?? trimmed
        if expanded.hasPrefix("@") {
            throw ParseError(description: "unknown shorthand '\(trimmed)'; use one of \(Self.shorthands.keys.sorted().joined(separator: ", "))")
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(description: "needs five fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        description = trimmed
        minutes = try Self.field(fields[0], name: "minute", range: 0...59)
        hours = try Self.field(fields[1], name: "hour", range: 0...23)
        daysOfMonth = try Self.field(fields[2], name: "day-of-month", range: 1...31)
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, firstNamed: 1)
        let weekdays = try Self.field(fields[4], name: "day-of-week", range: 0...7, names: Self.dayNames, firstNamed: 0)
        // 7 is Sunday as well as 0.
        daysOfWeek = (weekdays & 0x7F) | (weekdays >> 7 & 1)
        daysOfMonthRestricted = !fields[2].hasPrefix("*")
        daysOfWeekRestricted = !fields[4].hasPrefix("*")
        followsRealTime = fields[0].hasPrefix("*") || fields[1].hasPrefix("*")
        if daysOfMonthRestricted, !daysOfWeekRestricted, !Self.anyDayExists(daysOfMonth, in: months) {
            throw ParseError(description: "day-of-month '\(fields[2])' never occurs in month '\(fields[3])'")
        }
    }

    /// The first fire time strictly after `date`, or nil when there is none within decades.
    func next(after date: Date, in zone: TimeZone) -> Date? {
        let after = Int64((date.timeIntervalSince1970).rounded(.down))
        let zone = ZoneClock(zone: zone)
        let afterWall = zone.wall(after)
        // Near an offset change, local times do not run in the order of instants: look from a
        // few hours back and keep the earliest instant. Elsewhere the first match is the answer.
        let window: Int64 = 3 * 3600
        let nearChange = zone.offset(after - window) != zone.offset(after + window)
        var wall = firstMatch(atOrAfter: Self.nextMinute(nearChange ? afterWall - window : afterWall))
        var best: Int64?
        while let current = wall {
            if best != nil, current > afterWall + window { break }
            if let instant = instant(of: current, after: after, zone: zone), instant < best ?? .max {
                best = instant
                if !nearChange { break }
            }
            wall = firstMatch(atOrAfter: current + 60)
        }
        return best.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// The next `count` fire times after `date`.
    func next(_ count: Int, after date: Date, in zone: TimeZone) -> [Date] {
        var times: [Date] = []
        var from = date
        while times.count < count, let time = next(after: from, in: zone) {
            times.append(time)
            from = time
        }
        return times
    }

    /// When the local time `wall` (seconds of a clock that knows no offsets) fires, if after `after`.
    private func instant(of wall: Int64, after: Int64, zone: ZoneClock) -> Int64? {
        let instants = zone.instants(of: wall)
        guard let first = instants.first else {
            // Skipped by a spring change.
            if followsRealTime { return nil }
            let end = zone.endOfGap(containing: wall)
            return end > after ? end : nil
        }
        if followsRealTime { return instants.first { $0 > after } }
        return first > after ? first : nil
    }

    /// The first local minute at or after `wall` that the fields match.
    private func firstMatch(atOrAfter wall: Int64) -> Int64? {
        var (year, month, day) = CivilDate.from(days: wall.floorDivided(by: 86_400))
        var minuteOfDay = Int(wall.floorModulo(86_400) / 60)
        let lastYear = year + Self.horizonYears
        while year <= lastYear {
            if months & (1 << UInt64(month)) == 0 || day > CivilDate.days(inMonth: month, of: year) {
                (year, month, day, minuteOfDay) = month == 12 ? (year + 1, 1, 1, 0) : (year, month + 1, 1, 0)
                continue
            }
            let days = CivilDate.days(year: year, month: month, day: day)
            if !matches(day: day, weekday: Int((days + 4).floorModulo(7))) || minuteOfDay >= 1440 {
                (day, minuteOfDay) = (day + 1, 0)
                continue
            }
            let (hour, minute) = (minuteOfDay / 60, minuteOfDay % 60)
            if hours & (1 << UInt64(hour)) == 0 {
                minuteOfDay = (hour + 1) * 60
            } else if minutes & (1 << UInt64(minute)) == 0 {
                minuteOfDay += 1
            } else {
                return days * 86_400 + Int64(minuteOfDay) * 60
            }
        }
        return nil
    }

    private func matches(day: Int, weekday: Int) -> Bool {
        let dayOfMonth = daysOfMonth & (1 << UInt64(day)) != 0
        let dayOfWeek = daysOfWeek & (1 << UInt64(weekday)) != 0
        return switch (daysOfMonthRestricted, daysOfWeekRestricted) {
        case (true, true): dayOfMonth || dayOfWeek
        case (true, false): dayOfMonth
        case (false, true): dayOfWeek
        case (false, false): true
        }
    }

    private static func nextMinute(_ wall: Int64) -> Int64 {
        (wall.floorDivided(by: 60) + 1) * 60
    }

    private static func anyDayExists(_ days: UInt64, in months: UInt64) -> Bool {
        (1...12).contains { month in
            // The longest the month gets: February's 29 days in a leap year.
            months & (1 << UInt64(month)) != 0 && (1...CivilDate.days(inMonth: month, of: 2000)).contains { days & (1 << UInt64($0)) != 0 }
        }
    }

    /// One field as a bit set: `*`, or a comma list of `n`, `a-b`, each optionally `/step`.
    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String] = [], firstNamed: Int = 0) throws(ParseError)
        -> UInt64
    {
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw ParseError(description: "\(name) field: '\(item)' has more than one '/'") }
            var step = 1
            if parts.count == 2 {
                guard let value = Int(parts[1]), value >= 1, value <= range.upperBound else {
                    throw ParseError(description: "\(name) field: the step in '\(item)' must be a number from 1 to \(range.upperBound)")
                }
                step = value
            }
            let span = parts[0]
            var bounds: ClosedRange<Int>
            if span == "*" {
                bounds = range
            } else {
                let ends = span.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2 else { throw ParseError(description: "\(name) field: '\(item)' is not a value or a range") }
                let low = try value(ends[0], field: name, range: range, names: names, firstNamed: firstNamed)
                let high = ends.count == 2 ? try value(ends[1], field: name, range: range, names: names, firstNamed: firstNamed) : low
                guard low <= high else { throw ParseError(description: "\(name) field: the range '\(span)' runs backwards") }
                // `5/15` means from 5 to the end, every 15.
                bounds = low...(ends.count == 1 && parts.count == 2 ? range.upperBound : high)
            }
            for value in stride(from: bounds.lowerBound, through: bounds.upperBound, by: step) { bits |= 1 << UInt64(value) }
        }
        return bits
    }

    private static func value(_ text: Substring, field: String, range: ClosedRange<Int>, names: [String], firstNamed: Int) throws(ParseError) -> Int {
        if let index = names.firstIndex(of: text.uppercased()) { return index + firstNamed }
        guard let number = Int(text), range.contains(number) else {
            let named = names.isEmpty ? "" : " or one of \(names.joined(separator: ", "))"
            let shown = text.isEmpty ? "an empty value" : "'\(text)'"
            throw ParseError(description: "\(field) field: \(shown) is not a number from \(range.lowerBound) to \(range.upperBound)\(named)")
        }
        return number
    }
}

/// A time zone's offsets, seen as instants and local wall-clock times, both in whole seconds
/// since 1970 (a wall time counts as if the zone were UTC).
private struct ZoneClock {
    let zone: TimeZone

    func offset(_ instant: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    func wall(_ instant: Int64) -> Int64 { instant + offset(instant) }

    /// The instants showing `wall`: none in a spring gap, two in a repeated hour, in order.
    func instants(of wall: Int64) -> [Int64] {
        // The offsets in force a day either side: at most one change lies between them.
        Set([offset(wall - 86_400), offset(wall + 86_400)]).map { wall - $0 }.filter { self.wall($0) == wall }.sorted()
    }

    /// The change that skipped `wall`: the first instant whose local time is later.
    func endOfGap(containing wall: Int64) -> Int64 {
        let (before, after) = (offset(wall - 86_400), offset(wall + 86_400))
        var (low, high) = (wall - after, wall - before)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if self.wall(middle) >= wall { high = middle } else { low = middle }
        }
        return high
    }
}

/// Proleptic Gregorian dates as days since 1970-01-01, without a `Calendar`.
enum CivilDate {
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func from(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }

    fileprivate func floorModulo(_ divisor: Int64) -> Int64 {
        self - floorDivided(by: divisor) * divisor
    }
}
