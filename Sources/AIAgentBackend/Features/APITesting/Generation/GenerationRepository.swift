import FluentKit
import Foundation
import SQLKit

/// Generations, their draft cases and their stored events.
struct GenerationRepository: Sendable {
    let database: DatabaseService

    func list(in project: Project, status: GenerationStatus?, _ page: ListQuery) async throws -> (items: [TestGeneration], total: Int) {
        let query = try TestGeneration.query(on: database.database).filter(\.$projectID == project.requireID())
        if let status { query.filter(\.$status == status) }
        return try await query.sort(\.$createdAt, .descending).sort(\.$id).paginate(page)
    }

    func find(_ id: UUID) async throws -> TestGeneration? {
        try await TestGeneration.find(id, on: database.database)
    }

    func find(_ id: UUID, in project: Project) async throws -> TestGeneration {
        let projectID = try project.requireID()
        let generation = try await TestGeneration.query(on: database.database).filter(\.$id == id).filter(\.$projectID == projectID).first()
        guard let generation else { throw APIError.notFound("no generation \(id) in this project") }
        return generation
    }

    /// The generation and its job, written together: a generation is never queued without its job.
    func create(_ generation: TestGeneration, queue: JobQueue) async throws {
        let id = UUID()
        generation.id = id
        try await queue.transaction { database in
            generation.jobID = try await queue.enqueue(kind: GenerationJob.kind, payload: GenerationJob.Payload(generationID: id), on: database)
            try await generation.create(on: database)
        }
    }

    func save(_ generation: TestGeneration) async throws {
        try await generation.save(on: database.database)
    }

    /// Sets `status` when the generation is still in one of `from`; false when it was not.
    func transition(_ generation: TestGeneration, to status: GenerationStatus, from: [GenerationStatus]) async throws -> Bool {
        let updated = try await database.sql.update(TestGeneration.schema).set("status", to: SQLBind(status.rawValue))
            .set("updated_at", to: SQLBind(Date()))
            .where("id", .equal, SQLBind(try generation.requireID())).where("status", .in, SQLBind.group(from.map(\.rawValue)))
            .returning("id").all()
        if !updated.isEmpty { generation.status = status }
        return !updated.isEmpty
    }

    func recordUsage(_ usage: GenerationUsage, of id: UUID) async throws {
        try await database.sql.update(TestGeneration.schema).set("input_tokens", to: SQLBind(usage.inputTokens))
            .set("output_tokens", to: SQLBind(usage.outputTokens)).set("cost", to: SQLBind(usage.cost))
            .where("id", .equal, SQLBind(id)).run()
    }

    // MARK: Drafts

    func drafts(of generationID: UUID) async throws -> [GeneratedCase] {
        try await GeneratedCase.query(on: database.database).filter(\.$generationID == generationID).all()
            .sorted { $0.ref.count != $1.ref.count ? $0.ref.count < $1.ref.count : $0.ref < $1.ref }
    }

    func save(_ draft: GeneratedCase) async throws {
        try await draft.save(on: database.database)
    }

    /// A generation taken over from a dead replica starts again without the drafts of its first attempt.
    func deleteDrafts(of generationID: UUID) async throws {
        try await GeneratedCase.query(on: database.database).filter(\.$generationID == generationID).delete()
    }

    /// Makes the drafts real cases of the project, in one transaction, optionally appending them to `suite`.
    func accept(_ drafts: [GeneratedCase], generation: TestGeneration, suite: TestSuite?) async throws -> [TestCase] {
        let generationID = try generation.requireID()
        return try await database.database.transaction { database in
            var accepted: [TestCase] = []
            for draft in drafts {
                let testCase = TestCase()
                testCase.projectID = generation.projectID
                testCase.name = draft.name
                testCase.tagsJSON = JSONColumn.encode(["generated", draft.kind.rawValue])
                testCase.priority = draft.priority.casePriority
                testCase.endpointID = draft.endpointID
                testCase.flagged = false
                testCase.definitionJSON = draft.definitionJSON
                testCase.generationID = generationID
                testCase.testPointsJSON = draft.testPointsJSON
                try await testCase.create(on: database)
                draft.acceptedCaseID = testCase.id
                try await draft.save(on: database)
                accepted.append(testCase)
            }
            if let suite {
                suite.caseIDsJSON = JSONColumn.encode(try suite.caseIDs + accepted.map { try $0.requireID() })
                try await suite.save(on: database)
            }
            return accepted
        }
    }

    // MARK: Events

    func appendEvent(_ generationID: UUID, seq: Int, name: String, data: JSONValue) async throws {
        let row = GenerationEventRow()
        row.generationID = generationID
        row.seq = seq
        row.name = name
        row.dataJSON = data.jsonString
        try await row.create(on: database.database)
    }

    func lastEventSeq(of generationID: UUID) async throws -> Int {
        try await GenerationEventRow.query(on: database.database).filter(\.$generationID == generationID).max(\.$seq) ?? 0
    }

    func events(of generationID: UUID, after seq: Int, limit: Int) async throws -> [GenerationEventRow] {
        try await GenerationEventRow.query(on: database.database).filter(\.$generationID == generationID).filter(\.$seq > seq)
            .sort(\.$seq).limit(limit).all()
    }
}
