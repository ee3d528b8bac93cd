import Foundation
import Hummingbird

struct UserResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let username: String
    let nickname: String?
    let email: String?
    let mobile: String?
    let avatarURL: String?
    let departmentID: UUID?
    let status: UserStatus
    let isSuperuser: Bool
    let passwordChangeRequired: Bool
    var roles: [String]?
    let lastLoginAt: Date?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, username, nickname, email, mobile, status, roles
        case avatarURL = "avatar_url"
        case departmentID = "department_id"
        case isSuperuser = "is_superuser"
        case passwordChangeRequired = "password_change_required"
        case lastLoginAt = "last_login_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ user: User, roles: [String]? = nil) throws {
        id = try user.requireID()
        username = user.username
        nickname = user.nickname
        email = user.email
        mobile = user.mobile
        avatarURL = user.avatarURL
        departmentID = user.$department.id
        status = user.status
        isSuperuser = user.isSuperuser
        passwordChangeRequired = user.passwordChangeRequired
        self.roles = roles
        lastLoginAt = user.lastLoginAt
        createdAt = user.createdAt
        updatedAt = user.updatedAt
    }
}

extension UserResponse: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("id", id)
            json.field("username", username)
            json.field("nickname", nickname)
            json.field("email", email)
            json.field("mobile", mobile)
            json.field("avatar_url", avatarURL)
            json.field("department_id", departmentID)
            json.field("status", status.rawValue)
            json.field("is_superuser", isSuperuser)
            json.field("password_change_required", passwordChangeRequired)
            json.field("roles", roles)
            json.field("last_login_at", lastLoginAt)
            json.field("created_at", createdAt)
            json.field("updated_at", updatedAt)
        }
    }
}

struct RoleResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let code: String
    let name: String
    let description: String?
    let isActive: Bool
    let menuIDs: [UUID]?

    enum CodingKeys: String, CodingKey {
        case id, code, name, description
        case isActive = "is_active"
        case menuIDs = "menu_ids"
    }

    init(_ role: Role, menuIDs: [UUID]? = nil) throws {
        id = try role.requireID()
        code = role.code
        name = role.name
        description = role.description
        isActive = role.isActive
        self.menuIDs = menuIDs
    }
}

struct MenuNode: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let parentID: UUID?
    let type: MenuType
    let name: String
    let path: String?
    let component: String?
    let icon: String?
    let sortOrder: Int
    let hidden: Bool
    let permission: String?
    var children: [MenuNode]

    enum CodingKeys: String, CodingKey {
        case id, type, name, path, component, icon, hidden, permission, children
        case parentID = "parent_id"
        case sortOrder = "sort_order"
    }

    init(_ menu: Menu) throws {
        id = try menu.requireID()
        parentID = menu.$parent.id
        type = menu.type
        name = menu.name
        path = menu.path
        component = menu.component
        icon = menu.icon
        sortOrder = menu.sortOrder
        hidden = menu.hidden
        permission = menu.permission
        children = []
    }

    /// Nests flat rows by parent, ordered by `sort_order` then name.
    static func tree(_ menus: [Menu]) -> [MenuNode] {
        let nodes = menus.compactMap { try? MenuNode($0) }
        return TreeBuilder.build(nodes, id: \.id, parent: \.parentID, order: { ($0.sortOrder, $0.name) }) { node, children in
            var node = node
            node.children = children
            return node
        }
    }
}

struct DepartmentNode: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let parentID: UUID?
    let name: String
    let sortOrder: Int
    var children: [DepartmentNode]

    enum CodingKeys: String, CodingKey {
        case id, name, children
        case parentID = "parent_id"
        case sortOrder = "sort_order"
    }

    init(_ department: Department) throws {
        id = try department.requireID()
        parentID = department.$parent.id
        name = department.name
        sortOrder = department.sortOrder
        children = []
    }

    static func tree(_ departments: [Department]) -> [DepartmentNode] {
        let nodes = departments.compactMap { try? DepartmentNode($0) }
        return TreeBuilder.build(nodes, id: \.id, parent: \.parentID, order: { ($0.sortOrder, $0.name) }) { node, children in
            var node = node
            node.children = children
            return node
        }
    }
}
