import FluentKit
import Foundation
import Hummingbird

/// `/api/v1/menus`: the menu/permission tree.
struct MenusController {
    let menus: MenuRepository
    let access: AccessControl

    func register(on routes: SecuredRoutes) {
        let menus = routes.group("menus")
        menus.get(.permission(.menuRead), RouteContract("The menu and permission tree", returns: [MenuNode].self), use: tree)
        menus.post(
            .permission(.menuCreate),
            RouteContract(
                "Create a menu entry", body: MenuInput.self, as: "MenuCreate", requiring: ["type", "name"], returns: MenuNode.self, status: .created),
            use: create)
        menus.put(
            ":id", .permission(.menuUpdate), RouteContract("Update or move a menu entry", body: MenuInput.self, returns: MenuNode.self),
            use: update)
        menus.delete(":id", .permission(.menuDelete), RouteContract("Delete a menu entry without children", errors: [.conflict]), use: delete)
    }

    struct MenuInput: Decodable {
        var parentID: UUID??
        var type: MenuType?
        var name: String?
        var path: String?
        var component: String?
        var icon: String?
        var sortOrder: Int?
        var hidden: Bool?
        var permission: String?

        enum CodingKeys: String, CodingKey {
            case type, name, path, component, icon, hidden, permission
            case parentID = "parent_id"
            case sortOrder = "sort_order"
        }

        /// `parent_id: null` moves the entry to the top level; an absent key leaves it.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if container.contains(.parentID) { parentID = .some(try container.decodeIfPresent(UUID.self, forKey: .parentID)) }
            type = try container.decodeIfPresent(MenuType.self, forKey: .type)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            path = try container.decodeIfPresent(String.self, forKey: .path)
            component = try container.decodeIfPresent(String.self, forKey: .component)
            icon = try container.decodeIfPresent(String.self, forKey: .icon)
            sortOrder = try container.decodeIfPresent(Int.self, forKey: .sortOrder)
            hidden = try container.decodeIfPresent(Bool.self, forKey: .hidden)
            permission = try container.decodeIfPresent(String.self, forKey: .permission)
        }
    }

    @Sendable func tree(_ request: Request, context: AppRequestContext) async throws -> [MenuNode] {
        MenuNode.tree(try await menus.all())
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<MenuNode> {
        let input = try await request.decodeJSON(as: MenuInput.self, context: context)
        guard let type = input.type else { throw APIError.validation(field: "type", "is required (catalog, menu or button)") }
        let menu = Menu()
        menu.type = type
        menu.sortOrder = 0
        menu.hidden = false
        try await apply(input, to: menu, isNew: true, by: try context.requirePrincipal())
        try await menus.create(menu)
        context.audit?.resourceID = menu.id?.uuidString
        return EditedResponse(status: .created, response: try MenuNode(menu))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> MenuNode {
        let menu = try await menus.find(context.parameters.require("id", as: UUID.self))
        let input = try await request.decodeJSON(as: MenuInput.self, context: context)
        if let type = input.type { menu.type = type }
        try await apply(input, to: menu, isNew: false, by: try context.requirePrincipal())
        try await menus.save(menu)
        try await access.forgetAll()
        return try MenuNode(menu)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let menu = try await menus.find(context.parameters.require("id", as: UUID.self))
        let children = try await menus.childCount(of: menu)
        guard children == 0 else { throw APIError.conflict("the entry has \(children) child entries; delete or move them first") }
        try await menus.delete(menu)
        try await access.forgetAll()
        return Response(status: .noContent)
    }

    private func apply(_ input: MenuInput, to menu: Menu, isNew: Bool, by actor: Principal) async throws {
        if let name = input.name {
            guard (1...100).contains(name.unicodeScalars.count) else { throw APIError.validation(field: "name", "must be 1 to 100 characters") }
            menu.name = name
        } else if isNew {
            throw APIError.validation(field: "name", "is required")
        }
        if let parentID = input.parentID {
            if let parentID {
                let parents = TreeBuilder.parents(try await menus.all(), id: \.id, parent: \.$parent.id)
                guard parents[parentID] != nil else { throw APIError.missingReference(field: "parent_id", "no such menu entry") }
                try TreeBuilder.checkPlacement(of: menu.id, under: parentID, parents: parents)
            }
            menu.$parent.id = parentID
        }
        if let path = input.path { menu.path = path.isEmpty ? nil : path }
        if let component = input.component { menu.component = component.isEmpty ? nil : component }
        if let icon = input.icon { menu.icon = icon.isEmpty ? nil : icon }
        if let sortOrder = input.sortOrder { menu.sortOrder = try APIError.checked(sortOrder, field: "sort_order", in: TreeBuilder.sortOrders) }
        if let hidden = input.hidden { menu.hidden = hidden }
        if let permission = input.permission {
            guard permission.isEmpty || permission.wholeMatch(of: /[a-z_-]+:[a-z_-]+/) != nil else {
                throw APIError.validation(field: "permission", "must look like 'resource:action'")
            }
            let new = permission.isEmpty ? nil : permission
            // Re-coding an entry changes what every role holding it grants.
            if new != menu.permission {
                try Delegation.requireHeld(Set([menu.permission, new].compactMap { $0 }), by: actor, "a permission code you set or replace")
            }
            menu.permission = new
        }
    }
}

extension MenusController.MenuInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100),
        "sort_order": .integer(minimum: TreeBuilder.sortOrders.lowerBound, maximum: TreeBuilder.sortOrders.upperBound),
        "permission": .string(maxLength: 101, pattern: "^$|^[a-z_-]+:[a-z_-]+$"),
    ]
}
