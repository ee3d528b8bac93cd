import FluentKit
import Foundation

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
        let known = Set(
            try await TestCase.query(on: database.database).filter(\.$projectID == project.requireID()).filter(\.$id ~~ ids).all().compactMap(\.id))
        return ids.filter { !known.contains($0) }
    }

    func save(_ testCase: TestCase) async throws {
        try await testCase.save(on: database.database)
    }

    func delete(_ testCase: TestCase) async throws {
        try await testCase.delete(on: database.database)
    }
}
