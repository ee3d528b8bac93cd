import Foundation

/// `ai-agent-backend test run suite.yaml --env env.yaml ...`: runs a suite file on this machine
/// with the engine, without a server or a database, and writes the reports asked for.
public struct LocalTestRun: Sendable {
    public var suitePath: String
    public var environmentPath: String?
    /// `NAME=VALUE`, over the environment file's variables.
    public var variables: [String]
    /// A CSV file that becomes every case's data table.
    public var dataPath: String?
    public var concurrency: Int?
    /// Starts no case after the first one that fails.
    public var bail: Bool
    public var reports: ReportFiles

    public init(
        suitePath: String, environmentPath: String?, variables: [String], dataPath: String?, concurrency: Int?, bail: Bool, reports: ReportFiles
    ) {
        self.suitePath = suitePath
        self.environmentPath = environmentPath
        self.variables = variables
        self.dataPath = dataPath
        self.concurrency = concurrency
        self.bail = bail
        self.reports = reports
    }

    /// Evidence bodies are cut here, as by the service at `TESTING_MAX_BODY_BYTES`'s default.
    static let maxBodyBytes = Settings().testingMaxBodyBytes

    /// The exit status: 0 all passed, 1 any case failed or errored, 2 bad input (one line on stderr).
    public func run() async -> Int32 {
        let plan: LocalPlan
        do { plan = try load() } catch {
            CommandOutput.error(error.description)
            return CommandOutput.inputError
        }
        let egress = EgressClient(
            policy: EgressPolicy(allowlist: [], settingName: "the command line", internalAddresses: .allowed, ownAddresses: []),
            maxRedirects: plan.environment.maxRedirects, allowsUnverifiedTLS: !plan.environment.verifyTLS)
        let report = await execute(plan, egress: egress)
        try? await egress.shutdown()
        do { try reports.write(report) } catch {
            CommandOutput.error(error.description)
            return CommandOutput.inputError
        }
        return report.run.status == .passed ? 0 : 1
    }

    private func load() throws(InputFile.Failure) -> LocalPlan {
        var suite = try InputFile.decode(SuiteFile.self, at: suitePath)
        let suiteName = (suitePath as NSString).lastPathComponent
        if let dataPath {
            let text = try InputFile.text(at: dataPath)
            let table: DataTable
            do { table = try CSVTable.parse(text) } catch {
                throw InputFile.Failure(description: "\((dataPath as NSString).lastPathComponent): \(error.message)")
            }
            for index in suite.cases.indices { suite.cases[index].data = table }
        }
        do { try suite.validate() } catch { throw InputFile.Failure(description: "\(suiteName): \(error.message)") }
        var overrides: [String: String] = [:]
        for pair in variables {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw InputFile.Failure(description: "--env-var \(pair): must be NAME=VALUE")
            }
            overrides[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        var input = EnvironmentsController.EnvironmentInput()
        if let environmentPath { input = try InputFile.decode(EnvironmentsController.EnvironmentInput.self, at: environmentPath) }
        let environment: ResolvedEnvironment
        do { environment = try EnvironmentFile.resolve(input, overrides: overrides) } catch {
            throw InputFile.Failure(description: "\(environmentPath.map { ($0 as NSString).lastPathComponent } ?? "--env-var"): \(error.message)")
        }
        if let concurrency, !RunPlan.concurrencies.contains(concurrency) {
            throw InputFile.Failure(description: "--concurrency: must be from 1 to \(RunPlan.concurrencies.upperBound)")
        }
        let limit = suite.mode == .parallel ? concurrency ?? suite.concurrency ?? RunPlan.defaultConcurrency : 1
        return LocalPlan(
            suite: suite, environment: environment, environmentName: input.name ?? "local", concurrency: limit,
            stopOnFailure: bail || suite.stopOnFailure == true)
    }

    private func execute(_ plan: LocalPlan, egress: EgressClient) async -> RunReport {
        let runner = CaseRunner(egress: egress, tokens: OAuthTokenCache(), maxBodyBytes: Self.maxBodyBytes)
        let recorder = LocalRecorder()
        let started = Date()
        let suite = plan.suite
        var setupPassed = true
        if let setup = suite.setup {
            setupPassed = await recorder.record(
                setup, role: .setup, results: runner.run(setup.definition, named: setup.name, environment: plan.environment))
        }
        if setupPassed {
            await withTaskGroup(of: (SuiteFileCase, [CaseResult], Int).self) { group in
                var running = 0
                var stopped = false
                for testCase in suite.cases {
                    if running >= plan.concurrency, let (finished, results, attempts) = await group.next() {
                        running -= 1
                        let passed = await recorder.record(finished, role: .case, results: results, attempts: attempts)
                        stopped = stopped || (!passed && plan.stopOnFailure)
                    }
                    if stopped { break }
                    group.addTask { await Self.attempt(testCase, runner: runner, environment: plan.environment, retries: suite.retries ?? 0) }
                    running += 1
                }
                for await (finished, results, attempts) in group {
                    await recorder.record(finished, role: .case, results: results, attempts: attempts)
                }
            }
        }
        if let teardown = suite.teardown {
            await recorder.record(
                teardown, role: .teardown, results: runner.run(teardown.definition, named: teardown.name, environment: plan.environment))
        }
        return await recorder.report(suite: suite, environmentName: plan.environmentName, started: started)
    }

    /// Runs the case, again while it fails, `retries` times at most: the last attempt counts.
    private static func attempt(
        _ testCase: SuiteFileCase, runner: CaseRunner, environment: ResolvedEnvironment, retries: Int
    ) async -> (SuiteFileCase, [CaseResult], Int) {
        var attempts = 0
        var results: [CaseResult] = []
        repeat {
            attempts += 1
            results = await runner.run(testCase.definition, named: testCase.name, environment: environment)
        } while attempts <= retries && results.contains { $0.status == .failed || $0.status == .error }
        return (testCase, results, attempts)
    }
}

/// Where the reports go; each is written when its path is set.
public struct ReportFiles: Sendable {
    public var junit: String?
    public var html: String?
    public var json: String?

    public init(junit: String?, html: String?, json: String?) {
        self.junit = junit
        self.html = html
        self.json = json
    }

    func write(_ report: RunReport) throws(InputFile.Failure) {
        do {
            if let junit { try Data(JUnitReport.render(report).utf8).write(to: URL(fileURLWithPath: junit)) }
            if let html { try Data(HTMLReport.render(report).utf8).write(to: URL(fileURLWithPath: html)) }
            if let json { try JSONCoding.encoder.encode(report).write(to: URL(fileURLWithPath: json)) }
        } catch {
            throw InputFile.Failure(description: "cannot write a report: \(error.localizedDescription)")
        }
    }
}

private struct LocalPlan: Sendable {
    let suite: SuiteFile
    let environment: ResolvedEnvironment
    let environmentName: String
    let concurrency: Int
    let stopOnFailure: Bool
}

/// Collects results as cases finish, prints a line for each, and makes the run's report.
private actor LocalRecorder {
    private var results: [TestResultResponse] = []
    private var tags: [String: [String]] = [:]
    private var durations: [String: [Double]] = [:]
    private let output = CommandOutput()

    /// Whether every iteration passed.
    @discardableResult
    func record(_ testCase: SuiteFileCase, role: CaseRole, results caseResults: [CaseResult], attempts: Int = 1) -> Bool {
        let caseID = UUID()
        tags[caseID.uuidString] = testCase.tags ?? []
        for timing in ResultWriter.timings(caseResults.flatMap(\.steps), definition: testCase.definition) {
            durations[timing.endpoint, default: []].append(timing.ms)
        }
        for result in caseResults {
            let response = TestResultResponse(result, seq: results.count + 1, caseID: caseID, caseName: testCase.name, role: role, attempts: attempts)
            results.append(response)
            output.caseFinished(name: response.displayName, status: result.status, durationMs: result.durationMs, problem: Self.problem(in: result))
        }
        return caseResults.allSatisfy { $0.status == .passed }
    }

    /// The first failed assertion or error, for the line under a failed case.
    private static func problem(in result: CaseResult) -> String? {
        for step in result.steps {
            if let error = step.error { return "\(step.name): \(error.message)" }
            if let failed = step.assertions.first(where: { !$0.passed }) {
                return "\(step.name): \(failed.description), expected \(failed.expected ?? "-"), got \(failed.actual ?? "-")"
            }
        }
        return nil
    }

    func report(suite: SuiteFile, environmentName: String, started: Date) -> RunReport {
        var totals = RunTotals()
        totals.cases = Set(results.map { "\($0.role.rawValue) \($0.caseID?.uuidString ?? "")" }).count
        for result in results {
            totals.iterations += 1
            totals.steps += result.steps.count
            totals.assertions += result.steps.reduce(0) { $0 + $1.assertions.count }
            switch result.status {
            case .passed: totals.passed += 1
            case .failed: totals.failed += 1
            case .error: totals.errors += 1
            case .cancelled: totals.cancelled += 1
            }
        }
        let finished = Date()
        let status: RunStatus = totals.errors > 0 ? .error : totals.failed > 0 || totals.cancelled > 0 ? .failed : .passed
        let run = TestRunResponse(
            localRunWith: status, plannedCases: suite.cases.count + (suite.setup == nil ? 0 : 1) + (suite.teardown == nil ? 0 : 1),
            startedAt: started, finishedAt: finished)
        output.summary(totals, durationMs: run.durationMs ?? 0)
        return RunReport(
            summary: RunSummaryResponse(run: run, totals: totals, passRate: totals.passRate, endpoints: EndpointLatency.of(durations)),
            project: NamedReference(id: run.projectID, name: "local"),
            environment: run.environmentID.map { NamedReference(id: $0, name: environmentName) },
            suite: run.suiteID.map { NamedReference(id: $0, name: suite.name) }, cases: results, caseTags: tags)
    }
}

extension TestRunResponse {
    /// A run that was never stored: a command-line run's. Its ids are the report's own.
    init(localRunWith status: RunStatus, plannedCases: Int, startedAt: Date, finishedAt: Date) {
        id = UUID()
        projectID = UUID()
        environmentID = UUID()
        suiteID = UUID()
        caseIDs = nil
        concurrency = nil
        self.status = status
        self.plannedCases = plannedCases
        error = nil
        createdBy = nil
        createdAt = startedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        durationMs = finishedAt.timeIntervalSince(startedAt) * 1000
    }
}

extension TestResultResponse {
    /// A result that was never stored: a command-line run's.
    init(_ result: CaseResult, seq: Int, caseID: UUID, caseName: String, role: CaseRole, attempts: Int) {
        id = UUID()
        self.seq = seq
        self.caseID = caseID
        self.caseName = caseName
        self.role = role
        iteration = result.name
        status = result.status
        self.attempts = attempts
        durationMs = result.durationMs
        steps = result.steps
    }
}
