import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// How a process's worker runs.
public struct JobWorkerConfiguration: Sendable {
    /// Jobs run at the same time.
    public var slots: Int
    /// How long a claim holds a job without a heartbeat; heartbeats come every third of it.
    public var lease: Duration
    /// How often idle slots look for work another replica enqueued (this process's own
    /// enqueues wake them at once).
    public var pollInterval: Duration
    /// How long running handlers may go on once shutdown begins; then they are cancelled
    /// and their jobs released for another replica.
    public var drainTimeout: Duration

    public init(slots: Int, lease: Duration, pollInterval: Duration, drainTimeout: Duration) {
        self.slots = slots
        self.lease = lease
        self.pollInterval = pollInterval
        self.drainTimeout = drainTimeout
    }

    public init(settings: Settings) {
        // SQLite has one connection in one process (`DatabaseService`): every statement
        // queues on it, so more slots would not run jobs sooner, and a single claimer needs
        // no SKIP LOCKED to keep two claims from taking the same job.
        let slots = settings.database.isSQLite ? min(settings.workerConcurrency, 1) : settings.workerConcurrency
        // Half the shutdown budget: the HTTP server drains first, and releasing the jobs
        // still running needs the database, which closes last.
        self.init(slots: slots, lease: settings.jobLease, pollInterval: settings.jobPollInterval, drainTimeout: settings.shutdownTimeout / 2)
    }
}

/// Runs queued jobs in `slots` concurrent loops, in every replica: claim, run the kind's
/// handler while a heartbeat keeps the lease, record the outcome.
///
/// A heartbeat that finds cancellation requested, or the lease lost, cancels the handler's
/// task. On graceful shutdown the worker stops claiming and lets running handlers finish
/// within `drainTimeout`; then it cancels them and releases their jobs, queued again for any
/// replica at once. A process killed outright leaves its leases to expire, after which
/// another worker takes the jobs over.
public final class JobWorker: Service, Sendable {
    private enum StopReason { case cancelRequested, leaseLost }

    /// Unique per process: the lease owner written on the jobs it claims.
    public let owner = "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
    let queue: JobQueue
    let handlers: JobHandlers
    let configuration: JobWorkerConfiguration
    private let logger: Logger
    /// Set by `startClaiming()`: before it, the schema may not hold a jobs table yet.
    private let started = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)

    public init(queue: JobQueue, handlers: JobHandlers, configuration: JobWorkerConfiguration, logger: Logger) {
        self.queue = queue
        self.handlers = handlers
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { slots in
                    for _ in 0..<self.configuration.slots { slots.addTask { await self.runSlot() } }
                }
            }
            group.addTask {
                do { try await gracefulShutdown() } catch { return }  // cancelled: everything stops anyway
                self.stopClaiming()
                try? await Task.sleep(for: self.configuration.drainTimeout)
            }
            // The slots ended (drained), or the drain timed out: cancel whatever still runs.
            await group.next()
            group.cancelAll()
        }
    }

    /// Lets the slots claim; the application calls it once the schema is at head.
    public func startClaiming() {
        started.store(true, ordering: .relaxed)
        queue.wakeups.wakeAll()
    }

    private func stopClaiming() {
        stopping.store(true, ordering: .relaxed)
        queue.wakeups.wakeAll()
    }

    private func runSlot() async {
        while !stopping.load(ordering: .relaxed), !Task.isCancelled {
            guard started.load(ordering: .relaxed) else {
                await queue.wakeups.wait(atMost: configuration.pollInterval)
                continue
            }
            var job: Job?
            do {
                job = try await queue.claim(owner: owner, kinds: handlers.kinds, lease: configuration.lease)
            } catch {
                if !Task.isCancelled { logger.error("job claim failed", metadata: ["error": "\(error)"]) }
            }
            guard let job else {
                await queue.wakeups.wait(atMost: configuration.pollInterval)
                continue
            }
            // More may be due: let an idle slot look too.
            queue.wakeups.wake()
            await execute(job)
        }
    }

    private func execute(_ job: Job) async {
        var jobLogger = logger
        jobLogger[metadataKey: "job_id"] = "\(job.id)"
        jobLogger[metadataKey: "job_kind"] = "\(job.kind)"
        let logger = jobLogger
        guard let handler = handlers.handler(for: job.kind) else {
            await record { try await self.queue.complete(id: job.id, owner: self.owner, outcome: .failed("no handler for kind \(job.kind)")) }
            return
        }
        // Its own task, so that a heartbeat can cancel the handler alone and go on holding
        // the lease until it has stopped; the slot's cancellation (shutdown) is passed on.
        let handlerTask = Task { try await handler(JobContext(job: job)) }
        let stop = await withTaskCancellationHandler {
            await withTaskGroup(of: StopReason?.self) { group in
                group.addTask { await self.holdLease(job.id, handler: handlerTask, logger: logger) }
                _ = await handlerTask.result
                group.cancelAll()
                return await group.next() ?? nil
            }
        } onCancel: {
            handlerTask.cancel()
        }
        let shuttingDown = Task.isCancelled
        switch (await handlerTask.result, stop) {
        case (_, .leaseLost):
            logger.warning("job lease lost; the job is left to the worker that holds it now")
        case (.success, _):
            await record { try await self.queue.complete(id: job.id, owner: self.owner, outcome: .succeeded) }
        case (.failure, .cancelRequested):
            await record { try await self.queue.complete(id: job.id, owner: self.owner, outcome: .cancelled) }
        case (.failure, _) where shuttingDown:
            logger.info("job interrupted by shutdown; released for another worker")
            await record { try await self.queue.release(id: job.id, owner: self.owner) }
        case (.failure(let error), _):
            let message = Self.describe(error)
            logger.warning("job failed", metadata: ["error": "\(message)"])
            await record { try await self.queue.complete(id: job.id, owner: self.owner, outcome: .failed(message)) }
        }
    }

    /// Renews the lease every third of it until cancelled. Cancels the handler when the job's
    /// cancellation is requested (and keeps the lease while it stops) or when the lease is
    /// lost; returns which of these it saw.
    private func holdLease(_ id: UUID, handler: Task<Void, any Error>, logger: Logger) async -> StopReason? {
        let clock = ContinuousClock()
        var renewed = clock.now
        var stop: StopReason?
        while true {
            do { try await Task.sleep(for: configuration.lease / 3) } catch { return stop }
            do {
                switch try await queue.heartbeat(id: id, owner: owner, lease: configuration.lease) {
                case .held:
                    renewed = clock.now
                case .cancelRequested:
                    renewed = clock.now
                    if stop == nil { handler.cancel() }
                    stop = .cancelRequested
                case .lost:
                    handler.cancel()
                    return .leaseLost
                }
            } catch {
                // Unrenewed for a whole lease, the job may be another worker's by now: stop
                // rather than run it twice.
                if clock.now - renewed >= configuration.lease {
                    handler.cancel()
                    return .leaseLost
                }
                logger.warning("job heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Writes a job's end even while the slot is being cancelled (shutdown): an unstructured
    /// task does not inherit the cancellation that could abort the query.
    private func record(_ write: @escaping @Sendable () async throws -> Bool) async {
        do {
            if try await Task(operation: write).value == false {
                logger.warning("job end not recorded: the lease had passed to another worker")
            }
        } catch {
            logger.error("job end not recorded; its lease will expire and another worker will take it", metadata: ["error": "\(error)"])
        }
    }

    /// The failure as stored and shown: credentials masked, length bounded.
    static func describe(_ error: any Error) -> String {
        String(Redaction.redact(String(describing: error), key: nil).prefix(2000))
    }
}
