import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Events, cancellation and the suite options, on SQLite: its one worker slot runs one job
/// at a time, which lets a test hold a run queued behind another.
@Suite struct RunProgressTests {
    @Test func eventsArriveInOrderAndALateClientGetsTheSnapshotFirst() async throws {
        try await RunProject.with(.sqlite) { project in
            let blocker = try await project.trackedCase("blocker", query: "?ms=1500")
            let first = try await project.trackedCase("first")
            let second = try await project.trackedCase("second")
            let blocking = try await project.start(["case_ids": [blocker]])
            try await project.until { $0.hits["blocker"] == 1 }
            // Queued behind the blocking run: this client sees it from its start.
            let runID = try await project.start(["case_ids": [first, second], "concurrency": 1])
            let text = try await project.client.call(.get, "/api/v1/runs/\(runID)/events", token: project.token) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "text/event-stream")
                return String(buffer: response.body)
            }
            let events = try serverSentEvents(text)
            #expect(
                events.map(\.name) == [
                    "snapshot", "run_started", "case_started", "step_finished", "case_finished", "case_started", "step_finished", "case_finished",
                    "run_finished",
                ], "\(text)")
            #expect(events.first?.data["run"]?["status"]?.stringValue == "queued")
            #expect(events.filter { $0.name == "case_finished" }.compactMap { $0.data["case_name"]?.stringValue } == ["first", "second"])
            #expect(events.last?.data["run"]?["status"]?.stringValue == "passed")
            #expect(events.last?.data["totals"]?["iterations"] == .number(2))
            #expect(!text.contains(RunProject.secret))

            // Late: the finished state at once, then the end.
            let late = try serverSentEvents(
                try await project.client.call(.get, "/api/v1/runs/\(runID)/events", token: project.token) { String(buffer: $0.body) })
            #expect(late.map(\.name) == ["snapshot", "run_finished"])
            #expect(late.first?.data["totals"]?["passed"] == .number(2))
            _ = try await project.finished(blocking)
        }
    }

    @Test func aStreamCanAskForSomeEventsOnly() async throws {
        try await RunProject.with(.sqlite) { project in
            let blocker = try await project.trackedCase("blocker", query: "?ms=1000")
            let first = try await project.trackedCase("first")
            let second = try await project.trackedCase("second")
            let blocking = try await project.start(["case_ids": [blocker]])
            try await project.until { $0.hits["blocker"] == 1 }
            let runID = try await project.start(["case_ids": [first, second], "concurrency": 1])
            let text = try await project.client.call(.get, "/api/v1/runs/\(runID)/events?events=case_finished", token: project.token) {
                String(buffer: $0.body)
            }
            // The snapshot and the end always come.
            #expect(try serverSentEvents(text).map(\.name) == ["snapshot", "case_finished", "case_finished", "run_finished"], "\(text)")
            let unknown = try await project.client.call(.get, "/api/v1/runs/\(runID)/events?events=case_finished,bogus", token: project.token) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(unknown.0 == .unprocessableContent && unknown.1.contains("bogus"))
            _ = try await project.finished(blocking)
        }
    }

    @Test func cancellingStopsTheInFlightRequestAndRunsTheTeardown() async throws {
        try await RunProject.with(.sqlite) { project in
            let slow = try await project.client.create(
                "/api/v1/projects/\(project.projectID)/cases",
                ["name": "slow", "steps": [["name": "slow", "request": ["method": "GET", "url": "{{base_url}}/slow"]]]], token: project.token)
            let never = try await project.trackedCase("never")
            let teardown = try await project.trackedCase("teardown")
            let suite = try await project.suite([slow, never], options: ["teardown_case_id": teardown])
            let runID = try await project.start(["suite_id": suite])
            try await project.until { $0.slowRequestsStarted == 1 }
            let cancelled = try await project.client.call(.post, "/api/v1/runs/\(runID)/cancel", token: project.token) { try $0.json() }
            #expect(["running", "cancelled"].contains(cancelled["status"]?.string))
            let summary = try await project.finished(runID)
            #expect(summary[path: "run", "status"]?.string == "cancelled")
            let results = try await project.results(runID)
            let slowStep = try #require(results.first(where: { $0["case_name"]?.string == "slow" })?["steps"]?.array?.first)
            #expect(slowStep["error"]?["kind"]?.string == "cancelled", "the request was stopped, not answered")
            #expect(results.first(where: { $0["role"]?.string == "teardown" })?["status"]?.string == "passed")
            #expect(project.target.state.withLock { ($0.hits["teardown"], $0.hits["never"]) } == (1, nil))
            // Cancelling again answers the same; the job ended cancelled.
            let again = try await project.client.call(.post, "/api/v1/runs/\(runID)/cancel", token: project.token) { try $0.json() }
            #expect(again["status"]?.string == "cancelled")
        }
    }

    @Test func aQueuedRunIsCancelledAtOnce() async throws {
        try await RunProject.with(.sqlite) { project in
            let blocker = try await project.trackedCase("blocker", query: "?ms=1000")
            let waiting = try await project.trackedCase("waiting")
            let blocking = try await project.start(["case_ids": [blocker]])
            try await project.until { $0.hits["blocker"] == 1 }
            let runID = try await project.start(["case_ids": [waiting]])
            let cancelled = try await project.client.call(.post, "/api/v1/runs/\(runID)/cancel", token: project.token) { try $0.json() }
            #expect(cancelled["status"]?.string == "cancelled")
            _ = try await project.finished(blocking)
            #expect(try await project.summary(runID)[path: "run", "status"]?.string == "cancelled")
            #expect(project.target.state.withLock { $0.hits["waiting"] } == nil)
        }
    }

    @Test func parallelSuitesKeepToTheirConcurrency() async throws {
        try await RunProject.with(.sqlite) { project in
            var cases: [String] = []
            for index in 0..<9 { cases.append(try await project.trackedCase("p\(index)", query: "?ms=200")) }
            let suite = try await project.suite(cases, options: ["mode": "parallel", "concurrency": 3])
            let summary = try await project.finished(try await project.start(["suite_id": suite]))
            #expect(summary[path: "run", "status"]?.string == "passed")
            #expect(summary[path: "totals", "passed"] == .number(9))
            let maxInFlight = project.target.state.withLock { $0.maxInFlight }
            #expect(maxInFlight <= 3 && maxInFlight >= 2, "\(maxInFlight)")
        }
    }

    @Test func stopOnFailureRetriesAndSetupFailure() async throws {
        try await RunProject.with(.sqlite) { project in
            let failing = try await project.trackedCase("failing", status: 204)
            let after = try await project.trackedCase("after")
            let stopping = try await project.suite([failing, after], options: ["stop_on_failure": true])
            let stopped = try await project.finished(try await project.start(["suite_id": stopping]))
            #expect(stopped[path: "run", "status"]?.string == "failed" && stopped[path: "totals", "iterations"] == .number(1))
            #expect(project.target.state.withLock { $0.hits["after"] } == nil)

            let flaky = try await project.trackedCase("flaky", query: "?fail_first=2")
            let retrying = try await project.suite([flaky], options: ["retries": 2])
            let retriedRun = try await project.start(["suite_id": retrying])
            #expect(try await project.finished(retriedRun)[path: "run", "status"]?.string == "passed")
            let retried = try await project.results(retriedRun)
            #expect(retried.count == 1 && retried.first?["attempts"] == .number(3))
            #expect(project.target.state.withLock { $0.hits["flaky"] } == 3)

            let setup = try await project.trackedCase("setup", query: "?status=500")
            let skipped = try await project.trackedCase("skipped")
            let teardown = try await project.trackedCase("cleanup")
            let guarded = try await project.suite([skipped], options: ["setup_case_id": setup, "teardown_case_id": teardown])
            let guardedRun = try await project.start(["suite_id": guarded])
            #expect(try await project.finished(guardedRun)[path: "run", "status"]?.string == "failed")
            #expect(try await project.results(guardedRun).compactMap { $0["role"]?.string } == ["setup", "teardown"])
            #expect(project.target.state.withLock { ($0.hits["skipped"], $0.hits["cleanup"]) } == (nil, 1))
        }
    }
}
