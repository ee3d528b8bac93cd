import FluentKit
import Foundation
import Logging

/// First start: when there are no users, seed the built-in roles, the menu/permission
/// tree, the root department and the `admin` superuser. Runs under the seeding lock, so
/// two replicas starting together seed once.
struct IdentitySeeder {
    let database: DatabaseService
    let hasher: PasswordHasher
    let adminPassword: String?
    let logger: Logger

    func seedIfEmpty() async throws {
        let hasher = self.hasher
        let configured = adminPassword
        let generated = try await database.exclusiveTransaction(.seeding) { db -> String? in
            guard try await User.query(on: db).withDeleted().count() == 0 else { return nil }
            let root = Department()
            root.name = "Headquarters"
            root.sortOrder = 0
            try await root.create(on: db)

            var permissionMenus: [Permission: Menu] = [:]
            var allMenus: [Menu] = []
            func insert(_ entries: [PermissionCatalog.Entry], parent: UUID?) async throws {
                for (index, entry) in entries.enumerated() {
                    let menu = Menu()
                    menu.$parent.id = parent
                    menu.type = entry.type
                    menu.name = entry.name
                    menu.path = entry.path
                    menu.component = entry.component
                    menu.icon = entry.icon
                    menu.sortOrder = index
                    menu.hidden = false
                    menu.permission = entry.permission?.rawValue
                    try await menu.create(on: db)
                    allMenus.append(menu)
                    if let permission = entry.permission { permissionMenus[permission] = menu }
                    try await insert(entry.children, parent: menu.id)
                }
            }
            try await insert(PermissionCatalog.tree, parent: nil)

            var adminRole: Role?
            for definition in PermissionCatalog.roles {
                let role = Role()
                role.code = definition.code
                role.name = definition.name
                role.description = definition.description
                role.isActive = true
                try await role.create(on: db)
                // A granted button brings its menu and catalog along, so the console shows it.
                let byID = Dictionary(uniqueKeysWithValues: allMenus.compactMap { menu in menu.id.map { ($0, menu) } })
                var granted = Set<UUID>()
                for (code, menu) in permissionMenus where definition.grants(code) {
                    var current: Menu? = menu
                    while let node = current, let id = node.id, granted.insert(id).inserted { current = node.$parent.id.flatMap { byID[$0] } }
                }
                try await role.$menus.attach(allMenus.filter { $0.id.map(granted.contains) ?? false }, on: db)
                if definition.code == "admin" { adminRole = role }
            }

            let password = configured ?? Self.generatePassword()
            let admin = User()
            admin.username = "admin"
            admin.passwordHash = try await hasher.hash(password)
            admin.nickname = "Administrator"
            admin.status = .active
            admin.isSuperuser = true
            admin.passwordChangeRequired = configured == nil
            admin.$department.id = root.id
            try await admin.create(on: db)
            if let adminRole { try await admin.$roles.attach(adminRole, on: db) }
            return configured == nil ? password : ""
        }
        switch generated {
        case nil: return
        case ""?: logger.notice("seeded roles, menus and the admin account (password from ADMIN_PASSWORD)")
        case let password?:
            // Printed this once only: there is no other way to learn it. A notice, not a
            // warning: warnings are also kept in `system_logs`, which `log:read` users can read.
            logger.notice(
                "seeded the admin account with a generated password; change it after the first login",
                metadata: ["username": "admin", "password": "\(password)"])
        }
    }

    static func generatePassword() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
