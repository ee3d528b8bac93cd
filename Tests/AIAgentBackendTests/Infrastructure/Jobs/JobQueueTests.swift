import FluentKit
import Foundation
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct JobQueueTests {
    @Test(arguments: DatabaseKind.allCases)
    func claimHeartbeatAndComplete(kind: DatabaseKind) async throws {
        try await withJobQueue(kind) { queue, _ in
            let id = try await queue.enqueue(kind: "echo", payload: Numbered(number: 7))
            let later = try await queue.enqueue(kind: "echo", payload: Numbered(number: 8), runAfter: Date().addingTimeInterval(3600))

            #expect(try await queue.claim(owner: "a", kinds: ["other"], lease: .seconds(30)) == nil, "only the kinds asked for")
            let job = try #require(try await queue.claim(owner: "a", kinds: ["echo"], lease: .seconds(30)))
            #expect(job.id == id)
            #expect(job.status == .running && job.attempts == 1 && job.leaseOwner == "a")
            #expect(try job.decodePayload(as: Numbered.self) == Numbered(number: 7))
            #expect(job.leaseExpiresAt! > Date().addingTimeInterval(20))
            #expect(try await queue.claim(owner: "b", kinds: ["echo"], lease: .seconds(30)) == nil, "held, and the other one is not due")

            #expect(try await queue.heartbeat(id: id, owner: "a", lease: .seconds(30)) == .held)
            #expect(try await queue.heartbeat(id: id, owner: "b", lease: .seconds(30)) == .lost, "only the owner renews")
            #expect(try await queue.complete(id: id, owner: "b", outcome: .succeeded) == false)
            #expect(try await queue.complete(id: id, owner: "a", outcome: .failed("boom")))
            let ended = try #require(try await queue.get(id: id))
            #expect(ended.status == .failed && ended.error == "boom" && ended.finishedAt != nil && ended.leaseExpiresAt == nil)
            #expect(try await queue.heartbeat(id: id, owner: "a", lease: .seconds(30)) == .lost, "an ended job has no lease")
            #expect(try await queue.status(later) == .queued)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func cancellation(kind: DatabaseKind) async throws {
        try await withJobQueue(kind) { queue, _ in
            let queued = try await queue.enqueue(kind: "echo", payload: Numbered(number: 1))
            #expect(try await queue.requestCancel(id: queued)?.status == .cancelled)
            #expect(try await queue.claim(owner: "a", kinds: ["echo"], lease: .seconds(30)) == nil, "a cancelled job is never claimed")

            let running = try await queue.enqueue(kind: "echo", payload: Numbered(number: 2))
            _ = try #require(try await queue.claim(owner: "a", kinds: ["echo"], lease: .seconds(30)))
            let marked = try #require(try await queue.requestCancel(id: running))
            #expect(marked.status == .running && marked.cancelRequested)
            #expect(try await queue.heartbeat(id: running, owner: "a", lease: .seconds(30)) == .cancelRequested)
            #expect(try await queue.complete(id: running, owner: "a", outcome: .cancelled))
            #expect(try await queue.status(running) == .cancelled)
            #expect(try await queue.requestCancel(id: UUID()) == nil)
        }
    }

    /// A dead worker's job is taken over once its lease expires; after the last allowed
    /// attempt it is failed instead, and the old owners' heartbeats report the lease lost.
    @Test(arguments: DatabaseKind.allCases)
    func expiredLeasesAreTakenOverThenFailed(kind: DatabaseKind) async throws {
        try await withJobQueue(kind) { queue, _ in
            let id = try await queue.enqueue(kind: "echo", payload: Numbered(number: 1), maxAttempts: 2)
            _ = try #require(try await queue.claim(owner: "first", kinds: ["echo"], lease: .milliseconds(300)))
            #expect(try await queue.claim(owner: "second", kinds: ["echo"], lease: .milliseconds(300)) == nil)

            #expect(try await waitFor { try await queue.claim(owner: "second", kinds: ["echo"], lease: .milliseconds(300)) != nil })
            let taken = try #require(try await queue.get(id: id))
            #expect(taken.leaseOwner == "second" && taken.attempts == 2)
            #expect(try await queue.heartbeat(id: id, owner: "first", lease: .seconds(30)) == .lost)

            try await Task.sleep(for: .milliseconds(400))
            #expect(try await queue.claim(owner: "third", kinds: ["echo"], lease: .seconds(30)) == nil, "no third attempt")
            let failed = try #require(try await queue.get(id: id))
            #expect(failed.status == .failed && failed.error == JobQueue.abandonedMessage && failed.attempts == 2)
            #expect(try await queue.heartbeat(id: id, owner: "second", lease: .seconds(30)) == .lost)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func releaseQueuesTheJobAgainAtOnce(kind: DatabaseKind) async throws {
        try await withJobQueue(kind) { queue, _ in
            let id = try await queue.enqueue(kind: "echo", payload: Numbered(number: 1))
            _ = try #require(try await queue.claim(owner: "a", kinds: ["echo"], lease: .seconds(30)))
            #expect(try await queue.release(id: id, owner: "b") == false)
            #expect(try await queue.release(id: id, owner: "a"))
            let released = try #require(try await queue.get(id: id))
            #expect(released.status == .queued && released.attempts == 0 && released.leaseOwner == nil)
            #expect(try await queue.claim(owner: "b", kinds: ["echo"], lease: .seconds(30))?.id == id)
        }
    }

    /// Enqueued inside a caller's transaction, a job is written with its rows or not at all.
    @Test(arguments: DatabaseKind.allCases)
    func enqueueInATransaction(kind: DatabaseKind) async throws {
        try await withJobQueue(kind) { queue, _ in
            struct Rollback: Error {}
            await #expect(throws: Rollback.self) {
                try await queue.transaction { transaction in
                    try await queue.enqueue(kind: "echo", payload: Numbered(number: 1), on: transaction)
                    throw Rollback()
                }
            }
            let kept = try await queue.transaction { transaction in
                try await queue.enqueue(kind: "echo", payload: Numbered(number: 2), on: transaction)
            }
            let rows = try await queue.database.sql.raw("SELECT id FROM jobs").all().map { try $0.decode(column: "id", as: UUID.self) }
            #expect(rows == [kept])
        }
    }

    @Test func badInputIsRefused() async throws {
        try await withJobQueue(.sqlite) { queue, _ in
            let noKind = await #expect(throws: APIError.self) { try await queue.enqueue(kind: "", payload: Numbered(number: 1)) }
            #expect(noKind?.status == .unprocessableContent && noKind?.details == ["field": "kind"])
            let noAttempts = await #expect(throws: APIError.self) {
                try await queue.enqueue(kind: "echo", payload: Numbered(number: 1), maxAttempts: 0)
            }
            #expect(noAttempts?.details == ["field": "max_attempts"])
        }
    }
}
