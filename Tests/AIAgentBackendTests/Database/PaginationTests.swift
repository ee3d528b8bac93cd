import FluentKit
import Foundation
import Hummingbird
import Testing
@testable import AIAgentBackend

/// The query helpers every repository lists and looks up with: `paginate` and `find(_:or404:)`.
@Suite struct PaginationTests {
    /// Five departments, `d1` to `d5`, in a migrated database.
    private func withDepartments(_ kind: DatabaseKind, _ body: (DatabaseService) async throws -> Void) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withDatabase(settings) { database in
            try await SchemaMigrator(database: database, logger: TestDatabases.logger).upgrade()
            for index in [3, 1, 5, 2, 4] {
                let department = Department()
                department.name = "d\(index)"
                department.sortOrder = index
                try await department.create(on: database.database)
            }
            try await body(database)
        }
    }

    private func listQuery(_ queryString: String) throws -> ListQuery {
        try ListQuery(
            Request(head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/?\(queryString)"), body: .init(buffer: ByteBuffer())))
    }

    @Test(arguments: DatabaseKind.allCases)
    func paginateReturnsOnePageInOrderAndTheTotal(kind: DatabaseKind) async throws {
        try await withDepartments(kind) { database in
            let query = Department.query(on: database.database).sort(\.$name)
            let second = try await query.paginate(try listQuery("page=2&page_size=2"))
            #expect(second.items.map(\.name) == ["d3", "d4"])
            #expect(second.total == 5)
            let last = try await query.paginate(try listQuery("page=3&page_size=2"))
            #expect(last.items.map(\.name) == ["d5"], "the same builder pages again: paginate leaves it as it was")
            #expect(last.total == 5)
            let beyond = try await query.paginate(try listQuery("page=4&page_size=2"))
            #expect(beyond.items.isEmpty)
            #expect(beyond.total == 5, "a page past the end still says how many rows there are")
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func paginateCountsOnlyFilteredRows(kind: DatabaseKind) async throws {
        try await withDepartments(kind) { database in
            let page = try await Department.query(on: database.database).filter(\.$sortOrder > 2).sort(\.$sortOrder, .descending)
                .paginate(try listQuery("page_size=2"))
            #expect(page.items.map(\.name) == ["d5", "d4"])
            #expect(page.total == 3)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func findOr404NamesTheResourceAndID(kind: DatabaseKind) async throws {
        try await withDepartments(kind) { database in
            let existing = try #require(try await Department.query(on: database.database).filter(\.$name == "d2").first())
            let found = try await Department.find(try existing.requireID(), on: database.database, or404: "department")
            #expect(found.name == "d2")

            let missing = UUID()
            let error = await #expect(throws: APIError.self) {
                try await Department.find(missing, on: database.database, or404: "department")
            }
            #expect(error?.status == .notFound)
            #expect(error?.code == "not_found")
            #expect(error?.message == "no department \(missing)")

            let keyError = await #expect(throws: APIError.self) {
                try await SystemSetting.find("no.such.key", on: database.database, or404: "setting")
            }
            #expect(keyError?.message == "no setting 'no.such.key'", "a textual key is quoted")
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func findOr404OnlyFindsAmongTheQueryRows(kind: DatabaseKind) async throws {
        try await withDepartments(kind) { database in
            let d2 = try #require(try await Department.query(on: database.database).filter(\.$name == "d2").first())
            let id = try d2.requireID()
            let outside = await #expect(throws: APIError.self) {
                try await Department.query(on: database.database).filter(\.$sortOrder > 2).find(id, or404: "department")
            }
            #expect(outside?.message == "no department \(id)", "a row the query excludes is missing, like one that does not exist")
            let inside = try await Department.query(on: database.database).filter(\.$sortOrder < 3).find(id, or404: "department")
            #expect(inside.name == "d2")
        }
    }
}
