import FluentKit
import Foundation
import SQLKit

/// A project's test cases.
struct TestCaseRepository: Sendable {
    let database: DatabaseService

    struct Filter {
        var tag: String?
        var priority: CasePriority?
        var endpointID: UUID?
        var flagged: Bool?
        /// Part of the name, any case.
        var search: String?
    }

    /// By priority, then name.
    func list(in project: Project, _ filter: Filter, _ page: ListQuery) async throws -> (items: [TestCase], total: Int) {
        let query = try TestCase.query(on: database.database).filter(\.$projectID == project.requireID())
        if let tag = filter.tag { query.filter(.custom(TextMatch.jsonArray("tags", holds: tag))) }
        if let priority = filter.priority { query.filter(\.$priority == priority) }
        if let endpointID = filter.endpointID { query.filter(\.$endpointID == endpointID) }
        if let flagged = filter.flagged { query.filter(\.$flagged == flagged) }
        if let search = filter.search { query.filter(.custom(TextMatch.contains("name", search))) }
        return try await query.sort(\.$priority).sort(\.$name).paginate(page)
    }

    /// One of the project's cases; another project's is a 404 too.
    func find(_ id: UUID, in project: Project) async throws -> TestCase {
        try await TestCase.query(on: database.database).filter(\.$projectID == project.requireID()).find(id, or404: "test case")
    }

    /// Of `ids`, those that are no case of the project.
    func foreign(_ ids: [UUID], in project: Project) async throws -> [UUID] {
        // `IN ()` is no SQL.
        guard !ids.isEmpty else { return [] }
        let rows = try await database.sql.select().column("id").from(TestCase.schema)
            .where("project_id", .equal, SQLBind(project.requireID())).where("id", .in, SQLBind.group(ids)).all()
        let known = Set(try rows.map { try $0.decode(column: "id", as: UUID.self) })
        return ids.filter { !known.contains($0) }
    }

    /// Of `ids`, the project's cases as a run executes them. Plain SQL: a long run loads
    /// thousands, and decoding them as Fluent models cost more than sending their requests.
    func runnable(_ ids: [UUID], in projectID: UUID) async throws -> [UUID: RunnableCase] {
        // `IN ()` is no SQL.
        guard !ids.isEmpty else { return [:] }
        let rows = try await database.sql.select().columns("id", "name", "endpoint_id", "definition").from(TestCase.schema)
            .where("project_id", .equal, SQLBind(projectID)).where("id", .in, SQLBind.group(ids)).all()
        var cases: [UUID: RunnableCase] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            cases[id] = RunnableCase(
                id: id, name: try row.decode(column: "name", as: String.self),
                endpointID: try row.decode(column: "endpoint_id", as: UUID?.self),
                definition: try? JSONColumn.decode(try row.decode(column: "definition", as: String.self)))
        }
        return cases
    }

    func save(_ testCase: TestCase) async throws {
        try await testCase.save(on: database.database)
    }

    func delete(_ testCase: TestCase) async throws {
        try await testCase.delete(on: database.database)
    }
}

/// A stored case as a run executes it.
struct RunnableCase: Sendable {
    let id: UUID
    let name: String
    let endpointID: UUID?
    /// Nil when the stored definition cannot be read.
    let definition: TestCaseDefinition?
}
