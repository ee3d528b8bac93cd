import Foundation
import ServiceLifecycle
import Synchronization
import Testing
@testable import AIAgentBackend

/// A job queue on a fresh database of `kind` at the head revision.
func withJobQueue(_ kind: DatabaseKind, _ body: (JobQueue, Settings) async throws -> Void) async throws {
    let settings = try await TestDatabases.settings(kind)
    try await withDatabase(settings) { database in
        _ = try await SchemaMigrator(database: database, logger: TestDatabases.logger).upgrade()
        try await body(JobQueue(database: database), settings)
    }
}

/// Runs `workers` as services, claiming, while `body` runs; then shuts them down gracefully
/// and waits until they have stopped.
func withWorkers(_ workers: [JobWorker], _ body: () async throws -> Void) async throws {
    let group = ServiceGroup(services: workers, logger: TestDatabases.logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        for worker in workers { worker.startClaiming() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// Which jobs ran, how often, and in which worker.
final class JobRuns: Sendable {
    private struct State {
        var counts: [UUID: Int] = [:]
        var owners: [String: Int] = [:]
    }

    private let state = Mutex(State())

    func record(_ id: UUID, owner: String = "") {
        state.withLock {
            $0.counts[id, default: 0] += 1
            $0.owners[owner, default: 0] += 1
        }
    }

    func count(_ id: UUID) -> Int { state.withLock { $0.counts[id] ?? 0 } }
    var counts: [UUID: Int] { state.withLock { $0.counts } }
    var owners: [String: Int] { state.withLock { $0.owners } }
}

/// Polls `condition` until it holds; false after `timeout` (a guard against hanging, not a
/// timing goal).
func waitFor(_ timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(20))
    }
    return true
}

extension JobQueue {
    func status(_ id: UUID) async throws -> JobStatus? { try await get(id: id)?.status }
}

struct Numbered: Codable, Sendable, Equatable {
    let number: Int
}
