import Foundation
import ServiceLifecycle
import Testing
@testable import AIAgentBackend

@Suite struct JobWorkerTests {
    static func configuration(slots: Int = 4, lease: Duration = .seconds(1), drain: Duration = .seconds(5)) -> JobWorkerConfiguration {
        JobWorkerConfiguration(slots: slots, lease: lease, pollInterval: .milliseconds(50), drainTimeout: drain)
    }

    /// Jobs enqueued while no worker runs (a restart) all run once the worker starts; a
    /// handler's error fails its job with the message; one enqueued to an idle worker is
    /// woken in-process (the poll interval here is far longer than the test).
    @Test(arguments: DatabaseKind.allCases)
    func workerRunsJobsEndToEnd(kind: DatabaseKind) async throws {
        try await withJobQueue(kind) { queue, settings in
            var enqueued: [UUID] = []
            for number in 0..<20 { enqueued.append(try await queue.enqueue(kind: "echo", payload: Numbered(number: number))) }
            let ids = enqueued
            let failing = try await queue.enqueue(kind: "fail", payload: Numbered(number: 0))

            let runs = JobRuns()
            let handlers = JobHandlers()
            handlers.register("echo") { context in
                let payload = try context.payload(as: Numbered.self)
                #expect(ids[payload.number] == context.id)
                runs.record(context.id)
            }
            handlers.register("late") { context in runs.record(context.id) }
            handlers.register("fail") { _ in throw APIError.badRequest("token sk-abcdefghijklmnopqrstuvwxyz was refused") }
            var workerSettings = settings
            workerSettings.workerConcurrency = 4
            workerSettings.jobPollInterval = .seconds(3600)
            let configuration = JobWorkerConfiguration(settings: workerSettings)
            #expect(configuration.slots == (kind == .sqlite ? 1 : 4))
            let worker = JobWorker(queue: queue, handlers: handlers, configuration: configuration, logger: TestDatabases.logger)

            try await withWorkers([worker]) {
                #expect(try await waitFor { runs.counts.count == 20 })
                #expect(try await waitFor { try await queue.status(failing) == .failed })
                let woken = try await queue.enqueue(kind: "late", payload: Numbered(number: 0))
                #expect(try await waitFor { runs.count(woken) == 1 }, "woken by the enqueue, not by a poll")
            }
            #expect(runs.counts.values.allSatisfy { $0 == 1 })
            for id in ids { #expect(try await queue.status(id) == .succeeded) }
            let failed = try #require(try await queue.get(id: failing))
            #expect(failed.error == "400 bad_request: token *** was refused", "the message, without the credential")
        }
    }

    /// Two workers (two processes' worth: each its own pool and owner) share 200 jobs and
    /// run each exactly once.
    @Test func twoWorkersShareTheQueueAndRunEachJobOnce() async throws {
        try await withJobQueue(.postgres) { queue, settings in
            try await withDatabase(settings) { otherDatabase in
                let queues = [queue, JobQueue(database: otherDatabase)]
                var ids: Set<UUID> = []
                for number in 0..<200 { ids.insert(try await queue.enqueue(kind: "echo", payload: Numbered(number: number))) }
                let runs = JobRuns()
                let workers = queues.map { workerQueue in
                    let handlers = JobHandlers()
                    let worker = JobWorker(queue: workerQueue, handlers: handlers, configuration: Self.configuration(), logger: TestDatabases.logger)
                    handlers.register("echo") { context in
                        try await Task.sleep(for: .milliseconds(10))
                        runs.record(context.id, owner: worker.owner)
                    }
                    return worker
                }
                try await withWorkers(workers) {
                    let done = try await waitFor { runs.counts.count == 200 }
                    #expect(done)
                }
                #expect(Set(runs.counts.keys) == ids)
                #expect(runs.counts.values.allSatisfy { $0 == 1 }, "no job ran twice")
                #expect(runs.owners.keys.sorted() == workers.map(\.owner).sorted(), "both workers did some of the work")
                let done = try await queue.database.sql.raw("SELECT COUNT(*) AS n FROM jobs WHERE status = 'succeeded' AND attempts = 1").first()
                #expect(try done?.decode(column: "n", as: Int.self) == 200)
            }
        }
    }

    /// A worker that died mid-job (its claim left behind, never renewed) loses the job to
    /// another worker once the lease expires; the job then completes once.
    @Test(arguments: DatabaseKind.allCases)
    func anAbandonedJobIsTakenOver(kind: DatabaseKind) async throws {
        try await withJobQueue(kind) { queue, _ in
            let id = try await queue.enqueue(kind: "echo", payload: Numbered(number: 1))
            _ = try #require(try await queue.claim(owner: "killed-worker", kinds: ["echo"], lease: .seconds(1)))

            let runs = JobRuns()
            let handlers = JobHandlers()
            handlers.register("echo") { context in runs.record(context.id) }
            let worker = JobWorker(queue: queue, handlers: handlers, configuration: Self.configuration(slots: 1), logger: TestDatabases.logger)
            try await withWorkers([worker]) {
                let done = try await waitFor { try await queue.status(id) == .succeeded }
                #expect(done)
            }
            #expect(runs.count(id) == 1)
            let job = try #require(try await queue.get(id: id))
            #expect(job.attempts == 2 && job.leaseOwner == worker.owner)
            #expect(try await queue.heartbeat(id: id, owner: "killed-worker", lease: .seconds(1)) == .lost)
        }
    }

    /// A queued job is cancelled without running; a running handler's task is cancelled at
    /// the next heartbeat and the job ends cancelled.
    @Test(arguments: DatabaseKind.allCases)
    func cancellation(kind: DatabaseKind) async throws {
        try await withJobQueue(kind) { queue, _ in
            let neverRun = try await queue.enqueue(kind: "wait", payload: Numbered(number: 0))
            #expect(try await queue.requestCancel(id: neverRun)?.status == .cancelled)

            let started = JobRuns()
            let stopped = JobRuns()
            let handlers = JobHandlers()
            handlers.register("wait") { context in
                started.record(context.id)
                while !context.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
                stopped.record(context.id)
                throw CancellationError()
            }
            let worker = JobWorker(queue: queue, handlers: handlers, configuration: Self.configuration(slots: 1), logger: TestDatabases.logger)
            try await withWorkers([worker]) {
                let running = try await queue.enqueue(kind: "wait", payload: Numbered(number: 1))
                #expect(try await waitFor { started.count(running) == 1 })
                #expect(try await queue.requestCancel(id: running)?.cancelRequested == true)
                #expect(try await waitFor { try await queue.status(running) == .cancelled })
                #expect(stopped.count(running) == 1, "the handler saw its cancellation")
            }
            #expect(started.count(neverRun) == 0)
        }
    }

    /// Shutdown: a handler that finishes within the drain time completes; one that does not is
    /// cancelled and its job queued again at once, for another worker to run.
    @Test func shutdownDrainsThenReleases() async throws {
        try await withJobQueue(.postgres) { queue, _ in
            let started = JobRuns()
            let handlers = JobHandlers()
            handlers.register("quick") { context in
                started.record(context.id)
                try await Task.sleep(for: .milliseconds(300))
            }
            handlers.register("stuck") { context in
                started.record(context.id)
                try await Task.sleep(for: .seconds(3600))
            }
            let quick = try await queue.enqueue(kind: "quick", payload: Numbered(number: 1))
            let stuck = try await queue.enqueue(kind: "stuck", payload: Numbered(number: 2))
            let worker = JobWorker(
                queue: queue, handlers: handlers, configuration: Self.configuration(slots: 2, drain: .seconds(1)), logger: TestDatabases.logger)
            try await withWorkers([worker]) {
                let done = try await waitFor { started.counts.count == 2 }
                #expect(done)
            }
            #expect(try await queue.status(quick) == .succeeded, "finished within the drain time")
            let released = try #require(try await queue.get(id: stuck))
            #expect(released.status == .queued && released.attempts == 0 && released.leaseOwner == nil)

            let after = JobHandlers()
            let runs = JobRuns()
            after.register("stuck") { context in runs.record(context.id) }
            let next = JobWorker(queue: queue, handlers: after, configuration: Self.configuration(slots: 1), logger: TestDatabases.logger)
            try await withWorkers([next]) {
                let done = try await waitFor { try await queue.status(stuck) == .succeeded }
                #expect(done)
            }
            #expect(runs.count(stuck) == 1)
        }
    }

    /// The application starts a worker once the schema is at head; features' handlers run.
    @Test(arguments: DatabaseKind.allCases)
    func theApplicationRunsJobs(kind: DatabaseKind) async throws {
        var settings = try await TestDatabases.settings(kind)
        settings.jobPollInterval = .seconds(3600)
        try await withServices(settings) { services, _ in
            let runs = JobRuns()
            services.jobHandlers.register("app") { context in runs.record(context.id) }
            let id = try await services.jobs.enqueue(kind: "app", payload: Numbered(number: 1))
            let done = try await waitFor { try await services.jobs.status(id) == .succeeded }
            #expect(done)
            #expect(runs.count(id) == 1)
        }
        settings.workerConcurrency = 0
        try await withServices(settings) { services, _ in #expect(services.jobWorker == nil) }
    }
}
