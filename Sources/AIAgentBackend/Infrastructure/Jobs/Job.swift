import Foundation

/// One unit of background work, as stored in the `jobs` table.
public struct Job: Decodable, Sendable, Equatable {
    public let id: UUID
    /// Which handler runs it (`JobHandlers`).
    public let kind: String
    /// The handler's input, JSON text.
    public let payload: String
    public let status: JobStatus
    /// How many times a worker claimed it (a release at shutdown gives the attempt back).
    public let attempts: Int
    /// Claims allowed before a job whose lease keeps expiring is failed.
    public let maxAttempts: Int
    /// The worker that holds it (while running) or last held it.
    public let leaseOwner: String?
    public let leaseExpiresAt: Date?
    public let cancelRequested: Bool
    /// Not claimed before this moment (delayed and scheduled work).
    public let runAfter: Date
    public let error: String?
    public let createdAt: Date
    public let startedAt: Date?
    public let finishedAt: Date?
    public let updatedAt: Date

    /// The payload decoded as `type`.
    public func decodePayload<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(payload.utf8))
    }
}

public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled
}

/// How a job ended, as its owner reports it (`JobQueue.complete`).
public enum JobOutcome: Sendable, Equatable {
    case succeeded
    case failed(String)
    case cancelled
}

/// What a heartbeat found (`JobQueue.heartbeat`).
public enum HeartbeatResult: Sendable, Equatable {
    /// The lease was extended.
    case held
    /// The lease was extended, and someone asked for the job to stop.
    case cancelRequested
    /// The caller no longer owns the job (taken over, or failed as abandoned): it must stop.
    case lost
}
