import Foundation
import Testing
@testable import AIAgentBackend

/// An instant written in UTC: `utc("2026-03-29T01:00")`.
func utc(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    return formatter.date(from: text.count == 16 ? text + ":00Z" : text)!
}

@Suite struct CronExpressionTests {
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    let newYork = TimeZone(identifier: "America/New_York")!
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    let gmt = TimeZone(identifier: "UTC")!

    func times(_ cron: String, after: String, _ count: Int = 1, in zone: TimeZone) throws -> [Date] {
        try CronExpression(cron).next(count, after: utc(after), in: zone)
    }

    @Test(arguments: [
        ("*/5 * * * *", "2026-06-01T10:02", ["2026-06-01T10:05", "2026-06-01T10:10"]),
        ("1-10/4 * * * *", "2026-06-01T10:02", ["2026-06-01T10:05", "2026-06-01T10:09", "2026-06-01T11:01"]),
        ("5/20 8 * * *", "2026-06-01T08:00", ["2026-06-01T08:05", "2026-06-01T08:25", "2026-06-01T08:45", "2026-06-02T08:05"]),
        ("0 9,17 * * MON-FRI", "2026-06-05T12:00", ["2026-06-05T17:00", "2026-06-08T09:00"]),  // Friday, then Monday
        ("0 0 1 jan,Jul *", "2026-06-01T00:00", ["2026-07-01T00:00", "2027-01-01T00:00"]),
        ("0 12 * * 7", "2026-06-01T00:00", ["2026-06-07T12:00"]),  // 7 is Sunday
        ("0 12 * * sun", "2026-06-01T00:00", ["2026-06-07T12:00"]),
        ("0 0 29 2 *", "2026-03-01T00:00", ["2028-02-29T00:00"]),
        ("0 0 31 * *", "2026-04-01T00:00", ["2026-05-31T00:00", "2026-07-31T00:00"]),
        ("@hourly", "2026-06-01T10:00", ["2026-06-01T11:00"]),
        ("@weekly", "2026-06-01T10:00", ["2026-06-07T00:00"]),
        ("  @DAILY ", "2026-06-01T10:00", ["2026-06-02T00:00"]),
        ("59 23 31 12 *", "2026-12-31T23:59", ["2027-12-31T23:59"]),
    ])
    func fireTimesInUTC(_ cron: String, after: String, expected: [String]) throws {
        #expect(try times(cron, after: after, expected.count, in: gmt) == expected.map(utc))
    }

    @Test func dayOfMonthAndDayOfWeekFollowCronsOrRule() throws {
        // Both restricted: the 13th, or any Friday. 2026-11-13 is a Friday, 2026-11-06 too.
        #expect(
            try times("0 0 13 * FRI", after: "2026-11-01T00:00", 4, in: gmt)
                == ["2026-11-06T00:00", "2026-11-13T00:00", "2026-11-20T00:00", "2026-11-27T00:00"].map(utc))
        #expect(try times("0 0 15 * FRI", after: "2026-11-13T00:00", 2, in: gmt) == ["2026-11-15T00:00", "2026-11-20T00:00"].map(utc))
        // A day-of-month written with `*` does not restrict: Mondays only, as Vixie cron does.
        #expect(try times("0 0 */2 * MON", after: "2026-11-01T00:00", 2, in: gmt) == ["2026-11-02T00:00", "2026-11-09T00:00"].map(utc))
        // Day-of-week `*`: the day-of-month alone.
        #expect(try times("0 0 10 * *", after: "2026-11-01T00:00", in: gmt) == [utc("2026-11-10T00:00")])
    }

    @Test(arguments: [
        ("* * * *", "five fields"),
        ("* * * * * *", "five fields"),
        ("60 * * * *", "minute field: '60' is not a number from 0 to 59"),
        ("* 24 * * *", "hour field"),
        ("* * 0 * *", "day-of-month field"),
        ("* * * 13 *", "month field"),
        ("* * * * 8", "day-of-week field"),
        ("* * * FOO *", "JAN"),
        ("* * * * MON-FOO", "SUN"),
        ("10-5 * * * *", "runs backwards"),
        ("*/0 * * * *", "step"),
        ("*/x * * * *", "step"),
        ("1/2/3 * * * *", "more than one '/'"),
        ("1,,2 * * * *", "an empty value"),
        ("1-2-3 * * * *", "not a value or a range"),
        ("-1 * * * *", "minute field"),
        ("0 0 30 2 *", "never occurs"),
        ("0 0 31 4,6 *", "never occurs"),
        ("@every 5m", "unknown shorthand"),
        ("", "five fields"),
    ])
    func badExpressionsAreExplained(_ cron: String, message: String) {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression(cron) }
        do {
            _ = try CronExpression(cron)
        } catch {
            #expect(error.description.contains(message), "\(cron): \(error.description)")
        }
    }

    @Test func aDayThatOnlyAWeekdayReachesIsAccepted() throws {
        // 30 February never comes, but with a day-of-week either matches: Sundays in February.
        #expect(try times("0 0 30 2 SUN", after: "2026-01-01T00:00", in: gmt) == [utc("2026-02-01T00:00")])
    }

    // Berlin: 2026-03-29 02:00 CET → 03:00 CEST (01:00 UTC); 2026-10-25 03:00 CEST → 02:00 CET (01:00 UTC).
    @Test func berlinSpringForward() throws {
        // A fixed time in the gap fires at its end, once; the next day as usual.
        #expect(
            try times("30 2 * * *", after: "2026-03-28T12:00", 3, in: berlin)
                == ["2026-03-29T01:00", "2026-03-30T00:30", "2026-03-31T00:30"].map(utc))
        #expect(try times("0,30 2 * * *", after: "2026-03-28T12:00", 2, in: berlin) == ["2026-03-29T01:00", "2026-03-30T00:00"].map(utc))
        // Wildcard hours follow real time: the local times that do not exist do not fire.
        #expect(
            try times("30 * * * *", after: "2026-03-29T00:00", 3, in: berlin)
                == ["2026-03-29T00:30", "2026-03-29T01:30", "2026-03-29T02:30"].map(utc))
        #expect(
            try times("*/30 * * * *", after: "2026-03-28T23:45", 4, in: berlin)
                == ["2026-03-29T00:00", "2026-03-29T00:30", "2026-03-29T01:00", "2026-03-29T01:30"].map(utc))
    }

    @Test func berlinFallBack() throws {
        // The repeated 02:30 fires once, at its first occurrence (CEST).
        #expect(try times("30 2 * * *", after: "2026-10-24T12:00", 2, in: berlin) == ["2026-10-25T00:30", "2026-10-26T01:30"].map(utc))
        // Also when asked from within the second pass.
        #expect(try times("30 2 * * *", after: "2026-10-25T01:10", in: berlin) == [utc("2026-10-26T01:30")])
        // Every half hour of real time, through both passes of 02:00-02:59.
        #expect(
            try times("*/30 * * * *", after: "2026-10-24T23:45", 5, in: berlin)
                == ["2026-10-25T00:00", "2026-10-25T00:30", "2026-10-25T01:00", "2026-10-25T01:30", "2026-10-25T02:00"].map(utc))
    }

    // New York: 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC); 2026-11-01 02:00 EDT → 01:00 EST (06:00 UTC).
    @Test func newYorkDaylightSavingDays() throws {
        #expect(try times("0 2 * * *", after: "2026-03-07T12:00", 2, in: newYork) == ["2026-03-08T07:00", "2026-03-09T06:00"].map(utc))
        #expect(try times("15 2 8 3 *", after: "2026-01-01T00:00", in: newYork) == [utc("2026-03-08T07:00")])
        #expect(try times("30 1 * * *", after: "2026-10-31T12:00", 2, in: newYork) == ["2026-11-01T05:30", "2026-11-02T06:30"].map(utc))
        #expect(
            try times("15 * * * *", after: "2026-11-01T04:30", 3, in: newYork)
                == ["2026-11-01T05:15", "2026-11-01T06:15", "2026-11-01T07:15"].map(utc))
        // The day after a change fires at the new offset.
        #expect(
            try times("0 9 * * *", after: "2026-10-30T14:00", 3, in: newYork)
                == ["2026-10-31T13:00", "2026-11-01T14:00", "2026-11-02T14:00"].map(utc))
    }

    @Test func shanghaiHasNoDaylightSaving() throws {
        #expect(try times("0 8 * * *", after: "2026-05-31T23:59", 2, in: shanghai) == ["2026-06-01T00:00", "2026-06-02T00:00"].map(utc))
        #expect(try times("0 8 * * *", after: "2026-12-31T23:59", in: shanghai) == [utc("2027-01-01T00:00")])
        // Midnight local is the previous day in UTC.
        #expect(try times("0 0 1 * *", after: "2026-06-01T00:00", in: shanghai) == [utc("2026-06-30T16:00")])
    }

    @Test(arguments: ["Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe"])
    func aYearOfFireTimesKeepsItsRules(_ identifier: String) throws {
        let zone = TimeZone(identifier: identifier)!
        // Real-time expressions: every half hour of real time, all year.
        let halfHours = try times("*/30 * * * *", after: "2025-12-31T23:59", 2 * 24 * 365, in: zone)
        #expect(halfHours.count == 2 * 24 * 365)
        #expect(zip(halfHours, halfHours.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 1800 }, "\(identifier)")
        // A fixed time: once a day, 365 days, each at 02:30 local or just after a gap.
        let daily = try times("30 2 * * *", after: "2025-12-31T12:00", 365, in: zone)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let days = Set(daily.map { calendar.dateComponents([.year, .month, .day], from: $0) })
        #expect(days.count == 365, "one a day in \(identifier)")
        let offTime = daily.filter { calendar.component(.hour, from: $0) != 2 || calendar.component(.minute, from: $0) != 30 }
        // Where 02:30 falls in the spring gap, that day alone fires at its end (Lord Howe skips 02:00-02:29 only).
        let movedDays = ["Europe/Berlin": 1, "America/New_York": 1][identifier] ?? 0
        #expect(offTime.count == movedDays, "\(identifier): \(offTime)")
    }

    @Test func nextIsStrictlyLaterAndWholeMinutes() throws {
        let cron = try CronExpression("* * * * *")
        #expect(cron.next(after: utc("2026-06-01T10:00:00Z"), in: gmt) == utc("2026-06-01T10:01"))
        #expect(cron.next(after: utc("2026-06-01T10:00:59Z"), in: gmt) == utc("2026-06-01T10:01"))
        #expect(cron.next(after: utc("2026-06-01T10:00:59Z").addingTimeInterval(0.5), in: gmt) == utc("2026-06-01T10:01"))
    }
}
