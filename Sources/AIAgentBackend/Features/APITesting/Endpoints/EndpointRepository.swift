import FluentKit
import Foundation
import SQLKit

/// A project's endpoint catalogue.
struct EndpointRepository: Sendable {
    let database: DatabaseService

    struct Filter {
        var tag: String?
        var method: HTTPMethodName?
        /// Part of the path or summary, any case.
        var search: String?
        var deprecated: Bool?
    }

    /// By path, then method.
    func list(in project: Project, _ filter: Filter, _ page: ListQuery) async throws -> (items: [APIEndpoint], total: Int) {
        let query = try APIEndpoint.query(on: database.database).filter(\.$projectID == project.requireID())
        if let tag = filter.tag { query.filter(.custom(TextMatch.jsonArray("tags", holds: tag))) }
        if let method = filter.method { query.filter(\.$method == method) }
        if let search = filter.search {
            query.group(.or) { $0.filter(.custom(TextMatch.contains("path", search))).filter(.custom(TextMatch.contains("summary", search))) }
        }
        if let deprecated = filter.deprecated { query.filter(\.$deprecated == deprecated) }
        return try await query.sort(\.$path).sort(\.$method).paginate(page)
    }

    /// One of the project's endpoints; another project's is a 404 too.
    func find(_ id: UUID, in project: Project) async throws -> APIEndpoint {
        try await APIEndpoint.query(on: database.database).filter(\.$projectID == project.requireID()).find(id, or404: "endpoint")
    }

    /// The endpoint with this id in the project, nil when there is none.
    func endpoint(withID id: UUID, in projectID: UUID) async throws -> APIEndpoint? {
        try await APIEndpoint.query(on: database.database).filter(\.$projectID == projectID).filter(\.$id == id).first()
    }

    /// The project's endpoints named in `ids` or imported by `importID`, by path then method.
    func endpoints(ids: [UUID], importID: UUID?, in projectID: UUID) async throws -> [APIEndpoint] {
        guard !ids.isEmpty || importID != nil else { return [] }
        let query = APIEndpoint.query(on: database.database).filter(\.$projectID == projectID)
        query.group(.or) { group in
            if !ids.isEmpty { group.filter(\.$id ~~ ids) }
            if let importID { group.filter(\.$importID == importID) }
        }
        return try await query.sort(\.$path).sort(\.$method).all()
    }

    func isTaken(operationKey: String, in projectID: UUID, byOtherThan endpoint: APIEndpoint) async throws -> Bool {
        try await APIEndpoint.query(on: database.database).filter(\.$projectID == projectID).filter(\.$operationKey == operationKey).all()
            .contains { $0.id != endpoint.id }
    }

    func save(_ endpoint: APIEndpoint) async throws {
        try await endpoint.save(on: database.database)
    }

    /// The endpoint; cases linked to it keep running, unlinked.
    func delete(_ endpoint: APIEndpoint) async throws {
        let id = try endpoint.requireID()
        try await database.database.transaction { database in
            try await (database as! any SQLDatabase).update(TestCase.schema).set("endpoint_id", to: SQLLiteral.null)
                .where("endpoint_id", .equal, SQLBind(id)).run()
            try await endpoint.delete(on: database)
        }
    }
}
