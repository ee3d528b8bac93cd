import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Synchronization

/// bcrypt on a thread pool of its own: a login storm queues there instead of stalling
/// the event loops or the SQLite driver's threads. The queue is bounded, so a burst is
/// answered 503 at once rather than queueing minutes of hashing.
struct PasswordHasher: Sendable {
    let cost: Int
    let pool: NIOThreadPool
    /// Hashes running or waiting; at most ``maxQueued``.
    private let pending: SharedCounter
    let maxQueued: Int
    private let decoy = DecoyHash()

    init(cost: Int, threads: Int = max(1, System.coreCount / 2), queuedPerThread: Int = 16) {
        self.cost = cost
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        pending = SharedCounter()
        maxQueued = threads * queuedPerThread
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await run { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await run { Bcrypt.verify(password, hash: hash) }
    }

    /// Verifies against a throwaway hash of the same cost, so an unknown username costs as
    /// much time as a known one.
    func burnTime(_ password: String) async throws {
        let cost = UInt8(self.cost)
        _ = try await run { [decoy] in Bcrypt.verify(password, hash: decoy.hash(cost: cost)) }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        guard pending.increment(ifBelow: maxQueued) else {
            var error = APIError(.serviceUnavailable, code: "busy", message: "too many password checks at once; try again shortly")
            error.headers[.retryAfter] = "1"
            throw error
        }
        defer { pending.decrement() }
        return try await pool.runIfActive(work)
    }

}

/// Made on first use, on the hashing pool: at cost 12 it takes a quarter of a second.
final class DecoyHash: Sendable {
    private let value = Mutex<String?>(nil)

    func hash(cost: UInt8) -> String {
        value.withLock { hash in
            if hash == nil { hash = Bcrypt.hash("decoy password", cost: cost) }
            return hash!
        }
    }
}

final class SharedCounter: Sendable {
    private let value = Mutex(0)

    func increment(ifBelow limit: Int) -> Bool {
        value.withLock { value in
            guard value < limit else { return false }
            value += 1
            return true
        }
    }

    func decrement() { value.withLock { $0 -= 1 } }
}
