import Foundation

/// The `test_generation` job: one AI test generation, analyse → design → review → verify.
enum GenerationJob {
    static let kind = "test_generation"

    struct Payload: Codable, Sendable {
        let generationID: UUID

        enum CodingKeys: String, CodingKey { case generationID = "generation_id" }
    }
}

/// What every generation shares: storage, the model gateway, the engine's egress.
struct GenerationExecutor: Sendable {
    let generations: GenerationRepository
    let endpoints: EndpointRepository
    let environments: EnvironmentRepository
    let gateway: LLMGateway
    let grounding: KnowledgeGrounding
    let jobs: JobQueue
    let events: RunEvents
    let egress: EgressClient
    let tokens: OAuthTokenCache
    let maxBodyBytes: Int
    let prompts: Prompts
    let repairRounds: Int
    let maxTokens: Int

    /// A generation whose job is taken over (its replica died) starts again: the drafts of the
    /// first attempt are deleted, its events kept and continued.
    func handle(_ context: JobContext) async throws {
        let payload = try context.payload(as: GenerationJob.Payload.self)
        guard let generation = try await generations.find(payload.generationID), !generation.status.isFinished else { return }
        let id = try generation.requireID()
        let log = GenerationEventLog(id: id, generations: generations, events: events, lastSeq: try await generations.lastEventSeq(of: id))
        try await generations.deleteDrafts(of: id)
        generation.status = .running
        generation.stage = nil
        generation.startedAt = Date()
        generation.finishedAt = nil
        generation.error = nil
        generation.testPointsJSON = nil
        generation.reviewJSON = nil
        try await generations.save(generation)
        try await log.emit("generation_started", ["generation_id": .string(id.uuidString), "status": "running"])

        var failure: String?
        do {
            try await GenerationPipeline(executor: self, generation: generation, log: log).run()
        } catch is CancellationError {
        } catch let error as GenerationFailure {
            failure = error.description
        } catch {
            failure = JobWorker.describe(error)
        }
        // The end is written even while this task is cancelled: a cancelled task's queries may be refused.
        let cancelled = Task.isCancelled
        try await Task { [generations, jobs] in
            if cancelled, try await jobs.get(id: context.id)?.cancelRequested != true {
                // Shutdown or a lost lease: the worker that takes the job next starts it again.
                return
            }
            generation.status = cancelled ? .cancelled : failure == nil ? .succeeded : .failed
            generation.error = failure
            generation.finishedAt = Date()
            try await generations.save(generation)
            try await log.emit("generation_finished", JSONValue(encoding: try GenerationResponse(generation)))
        }.value
        if cancelled { throw CancellationError() }
        if let failure { throw GenerationFailure(description: failure) }
    }
}

/// Numbers and stores a generation's events, and wakes this replica's streams following it
/// (streams elsewhere read the stored events on their next tick).
actor GenerationEventLog {
    let id: UUID
    let generations: GenerationRepository
    let events: RunEvents
    private var seq: Int

    init(id: UUID, generations: GenerationRepository, events: RunEvents, lastSeq: Int) {
        self.id = id
        self.generations = generations
        self.events = events
        seq = lastSeq
    }

    func emit(_ name: String, _ data: JSONValue) async throws {
        seq += 1
        try await generations.appendEvent(id, seq: seq, name: name, data: data)
        events.publish(id, name, seq: seq, .null)
    }
}
