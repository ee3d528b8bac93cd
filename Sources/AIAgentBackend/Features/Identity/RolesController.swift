import FluentKit
import Foundation
import Hummingbird

/// `/api/v1/roles`: roles and the menu entries (permissions) granted to them.
struct RolesController {
    let database: DatabaseService
    let access: AccessControl

    func register(on routes: SecuredRoutes) {
        let roles = routes.group("roles")
        roles.get(.permission(.roleRead), RouteContract("List roles", query: QueryParameter.paging, returns: ListPage<RoleResponse>.self), use: list)
        roles.post(.permission(.roleCreate), RouteContract("Create a role", body: RoleInput.self, returns: RoleResponse.self, status: .created,
                                                          errors: [.conflict]), use: create)
        roles.get(":id", .permission(.roleRead), RouteContract("Get a role with its menu entries", returns: RoleResponse.self), use: get)
        roles.put(":id", .permission(.roleUpdate), RouteContract("Update a role", body: RoleInput.self, returns: RoleResponse.self,
                                                                errors: [.conflict]), use: update)
        roles.delete(":id", .permission(.roleDelete), RouteContract("Delete a role", errors: [.conflict]), use: delete)
        roles.put(":id/menus", .permission(.roleUpdate), RouteContract("Replace the menu entries (permissions) a role grants",
                                                                      body: MenuGrant.self, returns: RoleResponse.self), use: grantMenus)
    }

    struct RoleInput: Decodable {
        var code: String?
        var name: String?
        var description: String?
        var isActive: Bool?

        enum CodingKeys: String, CodingKey {
            case code, name, description
            case isActive = "is_active"
        }
    }

    struct MenuGrant: Decodable {
        let menuIDs: [UUID]
        enum CodingKeys: String, CodingKey { case menuIDs = "menu_ids" }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<RoleResponse> {
        let page = try ListQuery(request)
        let query = Role.query(on: database.database).sort(\.$code)
        let total = try await query.count()
        return ListPage(items: try await query.copy().range(page.range).all().map { try RoleResponse($0) }, total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> RoleResponse {
        let role = try await find(context)
        let menuIDs = try await role.$menus.get(on: database.database).compactMap(\.id)
        return try RoleResponse(role, menuIDs: menuIDs)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<RoleResponse> {
        let input = try await request.decodeJSON(as: RoleInput.self, context: context)
        guard let code = input.code, (2...50).contains(code.count), code.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw APIError.validation(field: "code", "must be 2 to 50 lower-case letters, digits, '_' or '-'")
        }
        guard let name = input.name, (1...100).contains(name.count) else { throw APIError.validation(field: "name", "must be 1 to 100 characters") }
        if try await Role.query(on: database.database).filter(\.$code == code).count() > 0 {
            throw APIError.conflict("the role code '\(code)' is taken")
        }
        let role = Role()
        role.code = code
        role.name = name
        role.description = input.description
        role.isActive = input.isActive ?? true
        try await role.create(on: database.database)
        context.audit?.resourceID = role.id?.uuidString
        return EditedResponse(status: .created, response: try RoleResponse(role, menuIDs: []))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> RoleResponse {
        let role = try await find(context)
        let input = try await request.decodeJSON(as: RoleInput.self, context: context)
        if input.code != nil, input.code != role.code { throw APIError.validation(field: "code", "cannot be changed") }
        if let name = input.name {
            guard (1...100).contains(name.count) else { throw APIError.validation(field: "name", "must be 1 to 100 characters") }
            role.name = name
        }
        if let description = input.description { role.description = description }
        if let isActive = input.isActive, isActive != role.isActive {
            // Switching a role on or off gives or takes its permissions from its members.
            let permissions = try await Delegation.permissions(ofRoles: [try role.requireID()], on: database.database)
            try Delegation.requireHeld(permissions, by: try context.requirePrincipal(), "a role you switch on or off")
            role.isActive = isActive
        }
        try await role.save(on: database.database)
        try await access.forgetAll()
        return try RoleResponse(role)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let role = try await find(context)
        let members = try await UserRole.query(on: database.database).filter(\.$role.$id == role.requireID()).count()
        guard members == 0 else { throw APIError.conflict("the role is assigned to \(members) user(s)") }
        try await role.delete(on: database.database)
        try await access.forgetAll()
        return Response(status: .noContent)
    }

    @Sendable func grantMenus(_ request: Request, context: AppRequestContext) async throws -> RoleResponse {
        let role = try await find(context)
        let input = try await request.decodeJSON(as: MenuGrant.self, context: context)
        let menus = input.menuIDs.isEmpty ? [] : try await Menu.query(on: database.database).filter(\.$id ~~ input.menuIDs).all()
        guard menus.count == Set(input.menuIDs).count else { throw APIError.validation(field: "menu_ids", "names a menu entry that does not exist") }
        let before = try await role.$menus.get(on: database.database)
        let changed = Set(before.compactMap(\.id)).symmetricDifference(menus.compactMap(\.id))
        let permissions = (before + menus).filter { $0.id.map(changed.contains) ?? false }.compactMap(\.permission)
        try Delegation.requireHeld(Set(permissions), by: try context.requirePrincipal(), "a menu entry you grant or take away")
        try await database.database.transaction { db in
            try await role.$menus.detachAll(on: db)
            try await role.$menus.attach(menus, on: db)
        }
        try await access.forgetAll()
        return try RoleResponse(role, menuIDs: menus.compactMap(\.id))
    }

    private func find(_ context: AppRequestContext) async throws -> Role {
        let id = try context.parameters.require("id", as: UUID.self)
        guard let role = try await Role.find(id, on: database.database) else { throw APIError.notFound("no role \(id)") }
        return role
    }
}

extension RolesController.RoleInput: LongTextInput {
    static let maxLengths = ["description": 500]
}
