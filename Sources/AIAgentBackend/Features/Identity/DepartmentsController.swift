import FluentKit
import Foundation
import Hummingbird

/// `/api/v1/departments`: the department tree.
struct DepartmentsController {
    let departments: DepartmentRepository

    func register(on routes: SecuredRoutes) {
        let departments = routes.group("departments")
        departments.get(.permission(.departmentRead), RouteContract("The department tree", returns: [DepartmentNode].self), use: tree)
        departments.post(
            .permission(.departmentCreate),
            RouteContract(
                "Create a department", body: DepartmentInput.self, as: "DepartmentCreate", requiring: ["name"],
                returns: DepartmentNode.self, status: .created), use: create)
        departments.put(
            ":id", .permission(.departmentUpdate),
            RouteContract(
                "Update or move a department", body: DepartmentInput.self,
                returns: DepartmentNode.self), use: update)
        departments.delete(
            ":id", .permission(.departmentDelete),
            RouteContract(
                "Delete a department without children or members",
                errors: [.conflict]), use: delete)
    }

    struct DepartmentInput: Decodable {
        var parentID: UUID??
        var name: String?
        var sortOrder: Int?

        enum CodingKeys: String, CodingKey {
            case name
            case parentID = "parent_id"
            case sortOrder = "sort_order"
        }

        /// `parent_id: null` moves the entry to the top level; an absent key leaves it.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if container.contains(.parentID) { parentID = .some(try container.decodeIfPresent(UUID.self, forKey: .parentID)) }
            name = try container.decodeIfPresent(String.self, forKey: .name)
            sortOrder = try container.decodeIfPresent(Int.self, forKey: .sortOrder)
        }
    }

    @Sendable func tree(_ request: Request, context: AppRequestContext) async throws -> [DepartmentNode] {
        DepartmentNode.tree(try await departments.all())
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<DepartmentNode> {
        let input = try await request.decodeJSON(as: DepartmentInput.self, context: context)
        let department = Department()
        department.sortOrder = try APIError.checked(input.sortOrder ?? 0, field: "sort_order", in: TreeBuilder.sortOrders)
        guard let name = input.name else { throw APIError.validation(field: "name", "is required") }
        department.name = try Self.validName(name)
        if let parentID = input.parentID ?? nil {
            try await checkParent(parentID, of: nil)
            department.$parent.id = parentID
        }
        try await departments.create(department)
        context.audit?.resourceID = department.id?.uuidString
        return EditedResponse(status: .created, response: try DepartmentNode(department))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> DepartmentNode {
        let department = try await departments.find(context.parameters.require("id", as: UUID.self))
        let input = try await request.decodeJSON(as: DepartmentInput.self, context: context)
        if let name = input.name { department.name = try Self.validName(name) }
        if let sortOrder = input.sortOrder { department.sortOrder = try APIError.checked(sortOrder, field: "sort_order", in: TreeBuilder.sortOrders) }
        if let parentID = input.parentID {
            if let parentID { try await checkParent(parentID, of: department.id) }
            department.$parent.id = parentID
        }
        try await departments.save(department)
        return try DepartmentNode(department)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let department = try await departments.find(context.parameters.require("id", as: UUID.self))
        let id = try department.requireID()
        let children = try await departments.childCount(of: id)
        guard children == 0 else { throw APIError.conflict("the department has \(children) sub-departments") }
        let members = try await departments.memberCount(of: id)
        guard members == 0 else { throw APIError.conflict("the department has \(members) user(s)") }
        try await departments.delete(department)
        return Response(status: .noContent)
    }

    /// The parent exists, and `department` (nil when new) under it makes no loop and stays within the depth cap.
    private func checkParent(_ parentID: UUID, of department: UUID?) async throws {
        let parents = TreeBuilder.parents(try await departments.all(), id: \.id, parent: \.$parent.id)
        guard parents[parentID] != nil else { throw APIError.missingReference(field: "parent_id", "no such department") }
        try TreeBuilder.checkPlacement(of: department, under: parentID, parents: parents)
    }

    private static func validName(_ name: String) throws -> String {
        guard (1...100).contains(name.unicodeScalars.count) else { throw APIError.validation(field: "name", "must be 1 to 100 characters") }
        return name
    }
}

extension DepartmentsController.DepartmentInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100),
        "sort_order": .integer(minimum: TreeBuilder.sortOrders.lowerBound, maximum: TreeBuilder.sortOrders.upperBound),
    ]
}
