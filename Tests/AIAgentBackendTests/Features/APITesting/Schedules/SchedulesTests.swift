import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Synchronization
import Testing
@testable import AIAgentBackend

/// The time a test's schedulers see, set by the test: no waiting for the wall clock.
final class TestClock: Sendable {
    private let time: Mutex<Date>

    init(_ time: Date) { self.time = Mutex(time) }

    var now: Date { time.withLock { $0 } }
    func set(_ date: Date) { time.withLock { $0 = date } }
}

extension RunProject {
    var schedulesURI: String { "/api/v1/projects/\(projectID)/schedules" }

    /// A monthly schedule (the 1st, 06:00) of `suite` against the project's environment; the app's
    /// own scheduler, on the wall clock, never reaches it while a test runs.
    func schedule(_ suite: String, _ options: [String: Any] = [:]) async throws -> [String: JSONAny] {
        let body = ["suite_id": suite, "environment_id": environmentID, "cron": "0 6 1 * *"].merging(options) { $1 }
        return try await client.call(.post, schedulesURI, token: token, json: jsonText(body)) { response in
            #expect(response.status == .created, "\(String(buffer: response.body))")
            return try response.json()
        }
    }

    /// A scheduler of this app's database and queue, on `clock`: another replica.
    func scheduler(_ clock: TestClock) -> Scheduler {
        Scheduler(
            database: fixture.services.database, jobs: fixture.services.jobs, interval: .seconds(1), now: { clock.now },
            logger: TestDatabases.logger)
    }

    func firings(_ scheduleID: String) async throws -> [JSONAny] {
        try await client.call(.get, "\(schedulesURI)/\(scheduleID)/firings", token: token) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return try response.json()["items"]?.array ?? []
        }
    }

    func count(_ table: String) async throws -> Int {
        let row = try await fixture.services.database.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }
}

/// The fire times a schedule's response lists.
func fireTimes(_ schedule: [String: JSONAny]) -> [Date] {
    (schedule["next_fire_times"]?.array ?? []).compactMap { $0.string.flatMap(ISO8601Timestamp.parse) }
}

@Suite struct SchedulesTests {
    @Test(arguments: DatabaseKind.allCases)
    func aDueScheduleStartsOneRunThatRunsTheSuite(_ kind: DatabaseKind) async throws {
        try await RunProject.with(kind) { project in
            let suite = try await project.suite([try await project.trackedCase("scheduled")])
            let schedule = try await project.schedule(suite, ["timezone": "Asia/Shanghai"])
            let scheduleID = try #require(schedule["id"]?.string)
            let times = fireTimes(schedule)
            #expect(times.count == 5 && zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
            #expect(times.allSatisfy { calendar.component(.day, from: $0) == 1 && calendar.component(.hour, from: $0) == 6 })

            let clock = TestClock(times[0].addingTimeInterval(-1))
            let scheduler = project.scheduler(clock)
            #expect(try await scheduler.tick().isEmpty, "not yet due")
            clock.set(times[0].addingTimeInterval(1))
            let firings = try await scheduler.tick()
            #expect(firings.map(\.status) == [.started])
            let runID = try #require(firings.first?.runID).uuidString
            #expect(try await scheduler.tick().isEmpty, "handled once")

            let summary = try await project.finished(runID)
            #expect(summary[path: "run", "status"]?.string == "passed" && summary[path: "run", "suite_id"]?.string == suite)
            #expect(summary[path: "run", "environment_id"]?.string == project.environmentID)
            #expect(summary[path: "run", "created_by"]?.string == project.fixture.testerID.uuidString)
            #expect(project.target.state.withLock { $0.hits["scheduled"] } == 1)
            #expect(try await project.count("test_runs") == 1)

            let history = try await project.firings(scheduleID)
            #expect(history.count == 1 && history.first?["status"]?.string == "started" && history.first?["run_id"]?.string == runID)
            #expect(history.first?["fire_time"]?.string.flatMap(ISO8601Timestamp.parse) == times[0])
            let current = try await project.client.call(.get, "\(project.schedulesURI)/\(scheduleID)", token: project.token) { try $0.json() }
            #expect(current["last_run_id"]?.string == runID)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func replicasOnOneDatabaseFireEachTimeOnce(_ kind: DatabaseKind) async throws {
        try await RunProject.with(kind, workerConcurrency: 0) { project in
            let suite = try await project.suite([try await project.trackedCase("replicated")])
            var times: [Date] = []
            for _ in 0..<5 { times = fireTimes(try await project.schedule(suite)) }
            let clock = TestClock(times[0].addingTimeInterval(1))
            let replicas = (0..<3).map { _ in project.scheduler(clock) }
            let written = try await withThrowingTaskGroup(of: [ScheduleFiring].self) { group in
                for replica in replicas { group.addTask { try await replica.tick() } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(written.count == 5 && written.allSatisfy { $0.status == .started })
            #expect(try await project.count("schedule_firings") == 5)
            #expect(try await project.count("test_runs") == 5)
            #expect(try await project.count("jobs") == 5, "one job per run, none left by a replica that lost")
            for replica in replicas { #expect(try await replica.tick().isEmpty) }
        }
    }

    @Test func theServiceFiresOnceStarted() async throws {
        try await RunProject.with(.sqlite, workerConcurrency: 0) { project in
            let suite = try await project.suite([try await project.trackedCase("looped")])
            let schedule = try await project.schedule(suite)
            let scheduleID = try #require(schedule["id"]?.string)
            let scheduler = project.scheduler(TestClock(fireTimes(schedule)[0].addingTimeInterval(1)))
            let service = Task { try await scheduler.run() }
            defer { service.cancel() }
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await project.firings(scheduleID).isEmpty, "nothing fires before startFiring()")
            scheduler.startFiring()
            // A bounded wait for the loop's first tick, not a timing assertion.
            for _ in 0..<200 where try await project.firings(scheduleID).isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await project.firings(scheduleID).compactMap { $0["status"]?.string } == ["started"])
        }
    }

    @Test func aFiringWhileThePreviousRunIsUnfinishedIsSkipped() async throws {
        // No worker: a run stays queued until cancelled.
        try await RunProject.with(.sqlite, workerConcurrency: 0) { project in
            let suite = try await project.suite([try await project.trackedCase("overlap")])
            let schedule = try await project.schedule(suite)
            let scheduleID = try #require(schedule["id"]?.string)
            let times = fireTimes(schedule)
            let clock = TestClock(times[0].addingTimeInterval(1))
            let scheduler = project.scheduler(clock)
            let first = try #require(try await scheduler.tick().first?.runID)
            clock.set(times[1].addingTimeInterval(1))
            let skipped = try await scheduler.tick()
            #expect(skipped.map(\.status) == [.skippedOverlap] && skipped.first?.runID == nil)
            #expect(try await project.count("test_runs") == 1)

            try await project.client.call(.post, "/api/v1/runs/\(first)/cancel", token: project.token) { #expect($0.status == .ok) }
            clock.set(times[2].addingTimeInterval(1))
            let second = try await scheduler.tick()
            #expect(second.map(\.status) == [.started] && second.first?.runID != first)
            let history = try await project.firings(scheduleID)
            #expect(history.compactMap { $0["status"]?.string } == ["started", "skipped_overlap", "started"], "newest first")
            #expect(history.compactMap { $0["fire_time"]?.string.flatMap(ISO8601Timestamp.parse) } == times[0..<3].reversed())
        }
    }

    @Test func missedFiringsAreSkippedOrRunOnce() async throws {
        try await RunProject.with(.sqlite, workerConcurrency: 0) { project in
            let suite = try await project.suite([try await project.trackedCase("missed")])
            let skip = try #require(try await project.schedule(suite)["id"]?.string)
            let runOnceSchedule = try await project.schedule(suite, ["on_missed": "run_once"])
            let runOnce = try #require(runOnceSchedule["id"]?.string)
            #expect(runOnceSchedule["on_missed"]?.string == "run_once")
            let times = fireTimes(runOnceSchedule)
            // Down from before the first fire time until a day after the fourth.
            let clock = TestClock(times[3].addingTimeInterval(86_400))
            let scheduler = project.scheduler(clock)
            let firings = try await scheduler.tick()
            let skipped = try #require(firings.first { $0.scheduleID.uuidString == skip })
            #expect(skipped.status == .skippedMissed && skipped.runID == nil && skipped.missed == 4 && skipped.fireTime == times[0])
            let ranOnce = try #require(firings.first { $0.scheduleID.uuidString == runOnce })
            #expect(ranOnce.status == .started && ranOnce.runID != nil && ranOnce.missed == 4)
            #expect(firings.count == 2)
            #expect(try await project.count("test_runs") == 1)
            #expect(try await scheduler.tick().isEmpty, "the missed times are behind it")

            // Back on time: the next fire time fires as usual.
            clock.set(times[4].addingTimeInterval(1))
            let onTime = try await scheduler.tick()
            #expect(onTime.first { $0.scheduleID.uuidString == skip }?.status == .started)
            #expect(onTime.first { $0.scheduleID.uuidString == runOnce }?.status == .skippedOverlap, "its missed run is still queued")
            let history = try await project.firings(skip)
            #expect(history.compactMap { $0["status"]?.string } == ["started", "skipped_missed"])
            #expect(history.last?["missed"] == .number(4))
        }
    }

    @Test func pausedSchedulesDoNotFireAndResumeCountsFromNow() async throws {
        try await RunProject.with(.sqlite, workerConcurrency: 0) { project in
            let suite = try await project.suite([try await project.trackedCase("paused")])
            let schedule = try await project.schedule(suite)
            let uri = "\(project.schedulesURI)/\(try #require(schedule["id"]?.string))"
            let times = fireTimes(schedule)
            let client = project.client
            let paused = try await client.call(.post, "\(uri)/pause", token: project.token) { try $0.json() }
            #expect(paused["enabled"] == .bool(false) && paused["next_fire_times"] == .array([]))
            let clock = TestClock(times[0].addingTimeInterval(1))
            let scheduler = project.scheduler(clock)
            #expect(try await scheduler.tick().isEmpty)

            let resumed = try await client.call(.post, "\(uri)/resume", token: project.token) { try $0.json() }
            #expect(resumed["enabled"] == .bool(true) && fireTimes(resumed).first == times[0])
            #expect(try await scheduler.tick().map(\.status) == [.started])

            // `enabled` in an update pauses too.
            let updated = try await client.call(.put, uri, token: project.token, json: jsonText(["enabled": false])) { try $0.json() }
            #expect(updated["enabled"] == .bool(false))
            clock.set(times[1].addingTimeInterval(1))
            #expect(try await scheduler.tick().isEmpty)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func crudAndValidation(_ kind: DatabaseKind) async throws {
        try await RunProject.with(kind) { project in
            let client = project.client
            let suite = try await project.suite([])
            let schedule = try await project.schedule(suite)
            let id = try #require(schedule["id"]?.string)
            #expect(schedule["timezone"]?.string == "UTC" && schedule["enabled"] == .bool(true) && schedule["on_missed"]?.string == "skip")
            #expect(schedule["cron"]?.string == "0 6 1 * *" && schedule["suite_id"]?.string == suite)
            let listed = try await client.call(.get, project.schedulesURI, token: project.token) { try $0.json() }
            #expect(listed["total"] == .number(1) && listed["items"]?.array?.first?["id"]?.string == id)

            let updated = try await client.call(
                .put, "\(project.schedulesURI)/\(id)", token: project.token,
                json: jsonText(["cron": "*/15 9-17 * * mon-fri", "timezone": "Europe/Berlin", "on_missed": "run_once"])
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.json()
            }
            #expect(updated["timezone"]?.string == "Europe/Berlin" && updated["on_missed"]?.string == "run_once")
            let times = fireTimes(updated)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "Europe/Berlin")!
            #expect(times.count == 5 && times.allSatisfy { (9...17).contains(calendar.component(.hour, from: $0)) })
            #expect(times.allSatisfy { calendar.component(.minute, from: $0) % 15 == 0 && !calendar.isDateInWeekend($0) })

            let otherProject = try await client.project(named: "Elsewhere", token: project.token)
            let foreignSuite = try await client.create("/api/v1/projects/\(otherProject)/suites", ["name": "x"], token: project.token)
            let base: [String: Any] = ["suite_id": suite, "environment_id": project.environmentID, "cron": "0 * * * *"]
            let errors: [([String: Any], HTTPResponse.Status, String, String)] = [
                (["suite_id": NSNull()], .unprocessableContent, "suite_id", "required"),
                (["environment_id": NSNull()], .unprocessableContent, "environment_id", "required"),
                (["cron": NSNull()], .unprocessableContent, "cron", "required"),
                (["cron": "61 * * * *"], .unprocessableContent, "cron", "minute field: '61' is not a number from 0 to 59"),
                (["cron": "0 0 30 2 *"], .unprocessableContent, "cron", "never occurs"),
                (["cron": "* * *"], .unprocessableContent, "cron", "five fields"),
                (["timezone": "Mars/Olympus_Mons"], .unprocessableContent, "timezone", "IANA"),
                (["timezone": "EST"], .unprocessableContent, "timezone", "IANA"),
                (["on_missed": "twice"], .unprocessableContent, "on_missed", ""),
                (["enabled": "yes"], .unprocessableContent, "enabled", ""),
                (["suite_id": UUID().uuidString], .notFound, "suite_id", "no suite"),
                (["suite_id": foreignSuite], .notFound, "suite_id", "no suite"),
                (["environment_id": UUID().uuidString], .notFound, "environment_id", "no environment"),
            ]
            for (change, status, field, message) in errors {
                let body = base.merging(change) { $1 }.filter { !($0.value is NSNull) }
                let error = try await client.failure(.post, project.schedulesURI, token: project.token, json: jsonText(body), status)
                #expect(error.details?["field"] == field || error.message.contains(field), "\(change): \(error)")
                #expect(message.isEmpty || error.message.contains(message), "\(change): \(error)")
            }
            let badUpdate = try await client.failure(
                .put, "\(project.schedulesURI)/\(id)", token: project.token, json: jsonText(["cron": "@fortnightly"]), .unprocessableContent)
            #expect(badUpdate.message.contains("unknown shorthand"))

            _ = try await client.failure(.get, "\(project.schedulesURI)/\(UUID())", token: project.token, .notFound)
            _ = try await client.failure(.get, "/api/v1/projects/\(otherProject)/schedules/\(id)", token: project.token, .notFound)
            #expect(try await project.firings(id).isEmpty)
            try await client.call(.delete, "\(project.schedulesURI)/\(id)", token: project.token) { #expect($0.status == .noContent) }
            _ = try await client.failure(.get, "\(project.schedulesURI)/\(id)", token: project.token, .notFound)

            // Deleting the suite, or the project, takes their schedules along.
            let doomed = try await project.suite([])
            _ = try await project.schedule(doomed)
            _ = try await project.schedule(suite)
            try await client.call(.delete, "/api/v1/projects/\(project.projectID)/suites/\(doomed)", token: project.token) {
                #expect($0.status == .noContent)
            }
            #expect(try await project.count("schedules") == 1)
            try await client.call(.delete, "/api/v1/projects/\(project.projectID)", token: project.token) { #expect($0.status == .noContent) }
            #expect(try await project.count("schedules") == 0)
        }
    }

    @Test func everyRouteNeedsASignInAndItsPermission() async throws {
        try await APITestingFixture.with(.sqlite) { fixture in
            let client = fixture.client
            let viewerID = try await client.createUser("viewer", roles: ["viewer"], adminToken: fixture.admin)
            let viewer = try await client.login("viewer", "user-password-1").accessToken
            _ = try await client.createUser("outsider", roles: ["tester"], adminToken: fixture.admin)
            let outsider = try await client.login("outsider", "user-password-1").accessToken
            let projectID = try await client.project(named: "Guarded", members: [viewerID], token: fixture.tester)
            let environmentID = try await client.create(
                "/api/v1/projects/\(projectID)/environments", ["name": "local", "base_urls": ["default": "http://127.0.0.1:9"]],
                token: fixture.tester)
            let suiteID = try await client.create("/api/v1/projects/\(projectID)/suites", ["name": "s"], token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/schedules"
            let body = jsonText(["suite_id": suiteID, "environment_id": environmentID, "cron": "@daily"])
            let id = try await client.create(uri, ["suite_id": suiteID, "environment_id": environmentID, "cron": "@daily"], token: fixture.tester)
            let reads: [(HTTPRequest.Method, String, String?)] = [(.get, uri, nil), (.get, "\(uri)/\(id)", nil), (.get, "\(uri)/\(id)/firings", nil)]
            let writes: [(HTTPRequest.Method, String, String?)] = [
                (.post, uri, body), (.put, "\(uri)/\(id)", jsonText(["enabled": false])), (.post, "\(uri)/\(id)/pause", nil),
                (.post, "\(uri)/\(id)/resume", nil), (.delete, "\(uri)/\(id)", nil),
            ]
            for (method, path, json) in reads + writes {
                try await client.call(method, path, token: nil, json: json) { #expect($0.status == .unauthorized, "\(method) \(path)") }
                // Someone outside the project does not learn it exists.
                _ = try await client.failure(method, path, token: outsider, json: json, .notFound)
            }
            for (method, path, json) in reads {
                try await client.call(method, path, token: viewer, json: json) { #expect($0.status == .ok, "\(method) \(path)") }
            }
            for (method, path, json) in writes {
                _ = try await client.failure(method, path, token: viewer, json: json, .forbidden)
            }
        }
    }
}
