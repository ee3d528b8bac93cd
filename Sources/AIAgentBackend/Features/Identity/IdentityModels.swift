import FluentKit
import Foundation

enum UserStatus: String, Codable, CaseIterable, Sendable {
    case active, disabled
}

final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "username") var username: String
    @Field(key: "password_hash") var passwordHash: String
    @OptionalField(key: "nickname") var nickname: String?
    @OptionalField(key: "email") var email: String?
    @OptionalField(key: "mobile") var mobile: String?
    @OptionalField(key: "avatar_url") var avatarURL: String?
    @OptionalParent(key: "department_id") var department: Department?
    @Enum(key: "status") var status: UserStatus
    @Field(key: "is_superuser") var isSuperuser: Bool
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    /// Tokens issued before this moment are refused (a password change or reset ends every session).
    @OptionalField(key: "sessions_valid_after") var sessionsValidAfter: Date?
    /// Set by a generated first password and by a reset: the console asks for a new one first.
    @Field(key: "password_change_required") var passwordChangeRequired: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Timestamp(key: "deleted_at", on: .delete) var deletedAt: Date?
    @Siblings(through: UserRole.self, from: \.$user, to: \.$role) var roles: [Role]

    /// A new user need not change the password it was given (loading a row overwrites this).
    init() {
        passwordChangeRequired = false
    }
}

final class Role: Model, @unchecked Sendable {
    static let schema = "roles"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    @Field(key: "is_active") var isActive: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Siblings(through: RoleMenu.self, from: \.$role, to: \.$menu) var menus: [Menu]

    init() {}
}

enum MenuType: String, Codable, Sendable, CaseIterable {
    case catalog, menu, button
}

/// An entry of the menu/permission tree: catalogs and menus shape the console's
/// navigation, buttons carry the permission codes routes check.
final class Menu: Model, @unchecked Sendable {
    static let schema = "menus"

    @ID(key: .id) var id: UUID?
    @OptionalParent(key: "parent_id") var parent: Menu?
    @Enum(key: "type") var type: MenuType
    @Field(key: "name") var name: String
    @OptionalField(key: "path") var path: String?
    @OptionalField(key: "component") var component: String?
    @OptionalField(key: "icon") var icon: String?
    @Field(key: "sort_order") var sortOrder: Int
    @Field(key: "hidden") var hidden: Bool
    @OptionalField(key: "permission") var permission: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}

final class Department: Model, @unchecked Sendable {
    static let schema = "departments"

    @ID(key: .id) var id: UUID?
    @OptionalParent(key: "parent_id") var parent: Department?
    @Field(key: "name") var name: String
    @Field(key: "sort_order") var sortOrder: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}

final class UserRole: Model, @unchecked Sendable {
    static let schema = "user_roles"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Parent(key: "role_id") var role: Role

    init() {}
}

final class RoleMenu: Model, @unchecked Sendable {
    static let schema = "role_menus"

    @ID(key: .id) var id: UUID?
    @Parent(key: "role_id") var role: Role
    @Parent(key: "menu_id") var menu: Menu

    init() {}
}
