import FluentKit
import Foundation
import SQLKit

/// Agents and their recorded runs.
struct AgentRepository: Sendable {
    let database: DatabaseService

    /// By name; `type` narrows the list to one type.
    func list(type: AgentType?, _ page: ListQuery) async throws -> (items: [Agent], total: Int) {
        let query = Agent.query(on: database.database)
        if let type { query.filter(\.$type == type) }
        return try await query.sort(\.$name).paginate(page)
    }

    func find(_ id: UUID) async throws -> Agent {
        try await Agent.find(id, on: database.database, or404: "agent")
    }

    /// The agent with this id, nil when there is none.
    func agent(withID id: UUID) async throws -> Agent? {
        try await Agent.find(id, on: database.database)
    }

    /// Whether an agent other than `agent` already has this name.
    func isTaken(name: String, byOtherThan agent: Agent) async throws -> Bool {
        try await Agent.query(on: database.database).filter(\.$name == name).all().contains { $0.id != agent.id }
    }

    /// Agents answering through this model configuration.
    func count(usingModelConfig id: UUID) async throws -> Int {
        try await Agent.query(on: database.database).filter(\.$modelConfig.$id == id).count()
    }

    func create(_ agent: Agent) async throws {
        try await agent.create(on: database.database)
    }

    func save(_ agent: Agent) async throws {
        try await agent.save(on: database.database)
    }

    func delete(_ agent: Agent) async throws {
        try await agent.delete(on: database.database)
    }

    // MARK: - Runs

    /// The agent's runs, newest first.
    func runs(of agent: Agent, _ page: ListQuery) async throws -> (items: [AgentRun], total: Int) {
        try await AgentRun.query(on: database.database).filter(\.$agent.$id == agent.requireID())
            .sort(\.$createdAt, .descending).paginate(page)
    }

    /// One of the agent's runs; another agent's run is a 404 too.
    func run(_ id: UUID, of agent: Agent) async throws -> AgentRun {
        guard let run = try await AgentRun.query(on: database.database).filter(\.$id == id).filter(\.$agent.$id == agent.requireID()).first() else {
            throw APIError.notFound("no run \(id) of this agent")
        }
        return run
    }

    func create(_ run: AgentRun) async throws {
        try await run.create(on: database.database)
    }

    /// Stores the finished run and bumps its agent's counters in one statement, so concurrent runs all count.
    func finish(_ run: AgentRun, succeeded: Bool) async throws {
        try await run.save(on: database.database)
        func incremented(_ column: String) -> any SQLExpression { SQLBinaryExpression(SQLColumn(column), .add, SQLLiteral.numeric("1")) }
        let counter = succeeded ? "success_count" : "error_count"
        try await database.sql.update(Agent.schema)
            .set(SQLColumn("run_count"), to: incremented("run_count"))
            .set(SQLColumn(counter), to: incremented(counter))
            .set("last_run_at", to: SQLBind(run.finishedAt))
            .where("id", .equal, SQLBind(run.$agent.id))
            .run()
    }
}
