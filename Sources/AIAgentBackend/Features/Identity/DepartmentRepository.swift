import FluentKit
import Foundation

/// The department tree.
struct DepartmentRepository: Sendable {
    let database: DatabaseService

    func all() async throws -> [Department] {
        try await Department.query(on: database.database).all()
    }

    func find(_ id: UUID) async throws -> Department {
        try await Department.find(id, on: database.database, or404: "department")
    }

    func exists(_ id: UUID) async throws -> Bool {
        try await Department.find(id, on: database.database) != nil
    }

    func childCount(of id: UUID) async throws -> Int {
        try await Department.query(on: database.database).filter(\.$parent.$id == id).count()
    }

    func memberCount(of id: UUID) async throws -> Int {
        try await User.query(on: database.database).filter(\.$department.$id == id).count()
    }

    func create(_ department: Department) async throws {
        try await department.create(on: database.database)
    }

    func save(_ department: Department) async throws {
        try await department.save(on: database.database)
    }

    func delete(_ department: Department) async throws {
        try await department.delete(on: database.database)
    }
}
