import FluentKit
import Foundation

/// A project's environments, and the decrypted view a run uses.
struct EnvironmentRepository: Sendable {
    let database: DatabaseService
    let secrets: SecretValues

    func list(in project: Project, _ page: ListQuery) async throws -> (items: [TestEnvironment], total: Int) {
        try await TestEnvironment.query(on: database.database).filter(\.$projectID == project.requireID()).sort(\.$name).paginate(page)
    }

    /// One of the project's environments; another project's is a 404 too.
    func find(_ id: UUID, in project: Project) async throws -> TestEnvironment {
        try await TestEnvironment.query(on: database.database).filter(\.$projectID == project.requireID()).find(id, or404: "environment")
    }

    func isTaken(name: String, in project: Project, byOtherThan environment: TestEnvironment) async throws -> Bool {
        try await TestEnvironment.query(on: database.database).filter(\.$projectID == project.requireID()).filter(\.$name == name).all()
            .contains { $0.id != environment.id }
    }

    func save(_ environment: TestEnvironment) async throws {
        try await environment.save(on: database.database)
    }

    func delete(_ environment: TestEnvironment) async throws {
        try await environment.delete(on: database.database)
    }

    /// The environment as a run uses it: secrets opened, its variables over the project's.
    func resolved(_ id: UUID, in project: Project) async throws -> ResolvedEnvironment {
        let environment = try await find(id, in: project)
        let projectVariables = try secrets.open(try project.variables)
        let ownVariables = try secrets.open(try environment.variables)
        let auth = try secrets.open(try environment.auth)
        return ResolvedEnvironment(
            baseURLs: try environment.baseURLs,
            variables: projectVariables.values.merging(ownVariables.values) { $1 },
            secretValues: projectVariables.secrets.union(ownVariables.secrets).union(auth.secrets),
            headers: try environment.headers, auth: auth.auth, verifyTLS: environment.verifyTLS,
            timeout: .milliseconds(environment.timeoutMs), followRedirects: environment.followRedirects,
            maxRedirects: environment.maxRedirects)
    }
}
