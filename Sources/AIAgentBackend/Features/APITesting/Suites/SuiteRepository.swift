import FluentKit
import Foundation

/// A project's suites.
struct SuiteRepository: Sendable {
    let database: DatabaseService

    func list(in project: Project, search: String?, _ page: ListQuery) async throws -> (items: [TestSuite], total: Int) {
        let query = try TestSuite.query(on: database.database).filter(\.$projectID == project.requireID())
        if let search { query.filter(.custom(TextMatch.contains("name", search))) }
        return try await query.sort(\.$name).paginate(page)
    }

    /// One of the project's suites; another project's is a 404 too.
    func find(_ id: UUID, in project: Project) async throws -> TestSuite {
        try await TestSuite.query(on: database.database).filter(\.$projectID == project.requireID()).find(id, or404: "suite")
    }

    /// The project's suites that run the case (in their list, or as setup or teardown).
    func suites(using caseID: UUID, in project: Project) async throws -> [TestSuite] {
        try await TestSuite.query(on: database.database).filter(\.$projectID == project.requireID()).all()
            .filter { try $0.usedCaseIDs.contains(caseID) }
    }

    func isTaken(name: String, in project: Project, byOtherThan suite: TestSuite) async throws -> Bool {
        try await TestSuite.query(on: database.database).filter(\.$projectID == project.requireID()).filter(\.$name == name).all()
            .contains { $0.id != suite.id }
    }

    func save(_ suite: TestSuite) async throws {
        try await suite.save(on: database.database)
    }

    func delete(_ suite: TestSuite) async throws {
        try await suite.delete(on: database.database)
    }
}
