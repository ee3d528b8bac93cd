import AsyncHTTPClient
import Foundation

/// `ai-agent-backend test run --server URL --token T --project P --suite S --env E`: starts a
/// run of a stored suite on the platform, prints each case as it finishes, and downloads the
/// reports asked for.
public struct ServerTestRun: Sendable {
    public var target: ServerTarget
    /// Ids, or names.
    public var suite: String
    public var environment: String
    public var concurrency: Int?
    public var reports: ReportFiles

    public init(target: ServerTarget, suite: String, environment: String, concurrency: Int?, reports: ReportFiles) {
        self.target = target
        self.suite = suite
        self.environment = environment
        self.concurrency = concurrency
        self.reports = reports
    }

    struct RunRequest: Encodable {
        let projectID: UUID
        let environmentID: UUID
        let suiteID: UUID
        let concurrency: Int?

        enum CodingKeys: String, CodingKey {
            case concurrency
            case projectID = "project_id"
            case environmentID = "environment_id"
            case suiteID = "suite_id"
        }
    }

    /// 0 when the run passed, 1 when it did not, 2 when the server refused (its message on stderr).
    public func run() async -> Int32 {
        let client = target.client
        do {
            let projectID = try await target.projectID()
            let environmentID = try await client.id(of: environment, kind: "environment", listPath: "/projects/\(projectID)/environments")
            let suiteID = try await client.id(of: suite, kind: "suite", listPath: "/projects/\(projectID)/suites")
            let started = try await client.post(
                "/runs", RunRequest(projectID: projectID, environmentID: environmentID, suiteID: suiteID, concurrency: concurrency),
                as: TestRunResponse.self)
            let summary = try await follow(started.id, client: client)
            try await download(started.id, client: client)
            return summary.run.status == .passed ? 0 : 1
        } catch {
            CommandOutput.error(error.description)
            return CommandOutput.inputError
        }
    }

    /// Reads the run's events until `run_finished`, printing a line per finished case.
    private func follow(_ runID: UUID, client: ServerClient) async throws(ServerClient.Failure) -> RunSummaryResponse {
        let output = CommandOutput()
        let request = client.request(.GET, "/runs/\(runID)/events?events=case_finished")
        do {
            // The stream stays open as long as the run lasts.
            let response = try await HTTPClient.shared.execute(request, timeout: .hours(24))
            guard response.status.code == 200 else {
                try ServerClient.check(response.status, body: Data(buffer: try await response.body.collect(upTo: 1 << 20)), of: request)
                throw ServerClient.Failure(description: "\(request.url): \(response.status.code)")
            }
            var parser = ServerSentEventParser()
            for try await chunk in response.body {
                for event in parser.feed(chunk.readableBytesView) {
                    if event.event == "case_finished", let result = try? JSONCoding.decoder.decode(FinishedCase.self, from: Data(event.data.utf8)) {
                        output.caseFinished(name: result.displayName, status: result.status, durationMs: result.durationMs, problem: nil)
                    } else if event.event == "run_finished" {
                        let summary = try client.decode(RunSummaryResponse.self, Data(event.data.utf8))
                        output.summary(summary.totals, durationMs: summary.run.durationMs ?? 0)
                        return summary
                    }
                }
            }
        } catch let failure as ServerClient.Failure {
            throw failure
        } catch {
            throw ServerClient.Failure(description: "\(request.url): \(error)")
        }
        throw ServerClient.Failure(description: "\(request.url): the stream ended before the run did")
    }

    private func download(_ runID: UUID, client: ServerClient) async throws(ServerClient.Failure) {
        for (format, path) in [("junit", reports.junit), ("html", reports.html), ("json", reports.json)] {
            guard let path else { continue }
            let body = try await client.send(client.request(.GET, "/runs/\(runID)/report?format=\(format)"))
            do { try body.write(to: URL(fileURLWithPath: path)) } catch {
                throw ServerClient.Failure(description: "cannot write \(path): \(error.localizedDescription)")
            }
        }
    }

    /// A `case_finished` event's data.
    private struct FinishedCase: Decodable {
        let caseName: String
        let role: CaseRole
        let iteration: String
        let status: CaseResult.Status
        let durationMs: Double

        enum CodingKeys: String, CodingKey {
            case role, iteration, status
            case caseName = "case_name"
            case durationMs = "duration_ms"
        }

        var displayName: String { TestResultResponse.displayName(role: role, caseName: caseName, iteration: iteration) }
    }
}
