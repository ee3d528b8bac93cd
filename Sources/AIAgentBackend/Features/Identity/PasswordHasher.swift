import HummingbirdBcrypt
import NIOCore
import NIOPosix

/// bcrypt on a thread pool of its own: a login storm queues there instead of stalling
/// the event loops or the SQLite driver's threads.
struct PasswordHasher: Sendable {
    let cost: Int
    let pool: NIOThreadPool

    /// One thread per two cores leaves the rest of the machine to the other requests.
    static func makePool() -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: max(1, System.coreCount / 2))
        pool.start()
        return pool
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await pool.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await pool.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Verifies against a throwaway hash so an unknown username costs as much time as a known one.
    func burnTime(_ password: String) async throws {
        _ = try await verify(password, hash: Self.decoyHash)
    }

    private static let decoyHash = "$2b$12$C6UzMDM.H6dfI/f/IKxGhuJ1ywQv5b2vR6xk6eS8dJ6yQnL4oT7a."
}
