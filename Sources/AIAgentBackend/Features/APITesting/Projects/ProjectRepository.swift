import FluentKit
import Foundation
import SQLKit

/// Projects and their members. A project is visible to its owner, its members and
/// superusers; to anyone else it does not exist (404), so its id does not leak.
struct ProjectRepository: Sendable {
    let database: DatabaseService

    /// The projects `principal` sees, by name; `search` matches the name, case-insensitively.
    func list(visibleTo principal: Principal, search: String?, _ page: ListQuery) async throws -> (items: [Project], total: Int) {
        let query = Project.query(on: database.database)
        if !principal.isSuperuser {
            let memberOf = try await ProjectMember.query(on: database.database).filter(\.$userID == principal.userID).all().map(\.projectID)
            query.group(.or) { $0.filter(\.$ownerID == principal.userID).filter(\.$id ~~ memberOf) }
        }
        if let search { query.filter(.custom(TextMatch.contains("name", search))) }
        return try await query.sort(\.$name).paginate(page)
    }

    /// The project if `principal` may see it, else a 404: every nested resource checks this first.
    func visible(_ id: UUID, to principal: Principal) async throws -> Project {
        let hidden = APIError.notFound("no project \(id)")
        guard let project = try await Project.find(id, on: database.database) else { throw hidden }
        if principal.isSuperuser || project.ownerID == principal.userID { return project }
        let membership = try await ProjectMember.query(on: database.database).filter(\.$projectID == id).filter(\.$userID == principal.userID).first()
        guard membership != nil else { throw hidden }
        return project
    }

    /// The project named by the route's `:id` (nested resources name theirs otherwise), if the caller may see it.
    func visible(from context: AppRequestContext) async throws -> Project {
        try await visible(context.parameters.require("id", as: UUID.self), to: context.requirePrincipal())
    }

    func memberIDs(of project: Project) async throws -> [UUID] {
        try await memberIDs(ofProjects: [project.requireID()])[project.requireID()] ?? []
    }

    /// Members by project, each list sorted.
    func memberIDs(ofProjects ids: [UUID]) async throws -> [UUID: [UUID]] {
        let members = try await ProjectMember.query(on: database.database).filter(\.$projectID ~~ ids).all()
        return Dictionary(grouping: members, by: \.projectID).mapValues { $0.map(\.userID).sorted { $0.uuidString < $1.uuidString } }
    }

    /// Of `ids`, those that are no active user.
    func unknownUsers(_ ids: [UUID]) async throws -> [UUID] {
        let known = Set(try await User.query(on: database.database).filter(\.$id ~~ ids).all().compactMap(\.id))
        return ids.filter { !known.contains($0) }
    }

    func isTaken(name: String, byOtherThan project: Project) async throws -> Bool {
        try await Project.query(on: database.database).filter(\.$name == name).all().contains { $0.id != project.id }
    }

    /// Stores the project and, when given, replaces its members, in one transaction.
    func save(_ project: Project, members: [UUID]?) async throws {
        try await database.database.transaction { database in
            try await project.save(on: database)
            guard let members else { return }
            let id = try project.requireID()
            try await ProjectMember.query(on: database).filter(\.$projectID == id).delete()
            for userID in Set(members) { try await ProjectMember(projectID: id, userID: userID).create(on: database) }
        }
    }

    func hasRuns(_ project: Project) async throws -> Bool {
        let row = try await database.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count").from("test_runs")
            .where("project_id", .equal, SQLBind(project.requireID())).first()
        return try (row?.decode(column: "count", as: Int.self) ?? 0) > 0
    }

    /// The project and everything in it.
    func delete(_ project: Project) async throws {
        let id = try project.requireID()
        try await database.database.transaction { database in
            let sql = database as! any SQLDatabase
            // Children first: SQLite may run without foreign-key cascades.
            try await sql.raw("DELETE FROM test_results WHERE run_id IN (SELECT id FROM test_runs WHERE project_id = \(bind: id))").run()
            try await sql.raw("DELETE FROM schedule_firings WHERE schedule_id IN (SELECT id FROM schedules WHERE project_id = \(bind: id))").run()
            for table in ["schedules", "test_runs", "test_suites", "test_cases", "endpoints", "imports", "environments", "project_members"] {
                try await sql.delete(from: table).where("project_id", .equal, SQLBind(id)).run()
            }
            try await project.delete(on: database)
        }
    }
}

/// Case-insensitive "contains" on a text column, with the LIKE wildcards of the needle escaped.
enum TextMatch {
    static func contains(_ column: String, _ needle: String) -> any SQLExpression {
        like(column, "%" + escaped(needle.lowercased()) + "%")
    }

    /// Whether a JSON array of strings stored as text holds `element`, case-insensitively
    /// (the quotes of the encoded element keep "smoke" from matching "smoke-test").
    static func jsonArray(_ column: String, holds element: String) -> any SQLExpression {
        like(column, "%" + escaped(JSONColumn.encode(element.lowercased())) + "%")
    }

    private static func like(_ column: String, _ pattern: String) -> any SQLExpression {
        let left = SQLFunction("LOWER", args: SQLColumn(column))
        let right: SQLQueryString = "\(bind: pattern) ESCAPE '\\'"
        return SQLBinaryExpression(left: left, op: SQLBinaryOperator.like, right: right)
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
