/// The platform's menu/permission tree as seeded on first start, and which permissions each
/// built-in role gets; both are derived from `Permission`, which routes declare.
enum PermissionCatalog {
    struct Entry {
        let type: MenuType
        let name: String
        var path: String? = nil
        var component: String? = nil
        var icon: String? = nil
        var permission: Permission? = nil
        var children: [Entry] = []
    }

    /// One button per permission of `resource`: view, create, edit, delete, then `extra`.
    static func crud(_ resource: String, _ label: String, extra: [Permission: String] = [:]) -> [Entry] {
        let verbs = ["read": "View", "create": "Create", "update": "Edit", "delete": "Delete"]
        return Permission.allCases.filter { $0.resource == resource }.map { permission in
            Entry(
                type: .button, name: verbs[permission.action].map { "\($0) \(label)" } ?? extra[permission] ?? permission.rawValue,
                permission: permission)
        }
    }

    static let tree: [Entry] = [
        Entry(
            type: .menu, name: "Dashboard", path: "/dashboard", component: "dashboard/index", icon: "dashboard",
            children: [
                Entry(type: .button, name: "View dashboard", permission: .dashboardRead)
            ]),
        Entry(
            type: .catalog, name: "AI", path: "/ai", icon: "robot",
            children: [
                Entry(
                    type: .menu, name: "Models", path: "/ai/models", component: "ai/models/index", icon: "cpu",
                    children: crud("model", "models", extra: [.modelTest: "Test connection"])),
                Entry(
                    type: .menu, name: "Agents", path: "/ai/agents", component: "ai/agents/index", icon: "agent",
                    children: crud("agent", "agents", extra: [.agentRun: "Run agents"])),
                Entry(
                    type: .menu, name: "Chat", path: "/ai/chat", component: "ai/chat/index", icon: "chat",
                    children: [
                        Entry(type: .button, name: "Use chat", permission: .chatUse)
                    ]),
                Entry(
                    type: .menu, name: "Knowledge base", path: "/ai/knowledge", component: "ai/knowledge/index", icon: "book",
                    children: crud("knowledge", "documents")),
            ]),
        Entry(
            type: .catalog, name: "API testing", path: "/testing", icon: "test",
            children: [
                Entry(
                    type: .menu, name: "Projects", path: "/testing/projects", component: "testing/projects/index", icon: "project",
                    children: crud("project", "projects")),
                Entry(
                    type: .menu, name: "Endpoints", path: "/testing/endpoints", component: "testing/endpoints/index", icon: "api",
                    children: crud("endpoint", "endpoints", extra: [.endpointImport: "Import OpenAPI"])),
                Entry(
                    type: .menu, name: "Test cases", path: "/testing/cases", component: "testing/cases/index", icon: "list",
                    children: crud("testcase", "test cases", extra: [.testcaseGenerate: "Generate with AI"])),
                Entry(
                    type: .menu, name: "Test runs", path: "/testing/runs", component: "testing/runs/index", icon: "play",
                    children: crud("testrun", "test runs", extra: [.testrunExecute: "Execute runs"])),
                Entry(
                    type: .menu, name: "Reports", path: "/testing/reports", component: "testing/reports/index", icon: "chart",
                    children: [
                        Entry(type: .button, name: "View reports", permission: .reportRead)
                    ]),
            ]),
        Entry(
            type: .catalog, name: "System", path: "/system", icon: "setting",
            children: [
                Entry(
                    type: .menu, name: "Users", path: "/system/users", component: "system/users/index", icon: "user",
                    children: crud("user", "users")),
                Entry(
                    type: .menu, name: "Roles", path: "/system/roles", component: "system/roles/index", icon: "team",
                    children: crud("role", "roles")),
                Entry(
                    type: .menu, name: "Menus", path: "/system/menus", component: "system/menus/index", icon: "menu",
                    children: crud("menu", "menus")),
                Entry(
                    type: .menu, name: "Departments", path: "/system/departments", component: "system/departments/index", icon: "apartment",
                    children: crud("department", "departments")),
                Entry(
                    type: .menu, name: "Settings", path: "/system/settings", component: "system/settings/index", icon: "tool",
                    children: [
                        Entry(type: .button, name: "View settings", permission: .settingsRead),
                        Entry(type: .button, name: "Change settings", permission: .settingsUpdate),
                    ]),
                Entry(
                    type: .menu, name: "Audit log", path: "/system/audit", component: "system/audit/index", icon: "audit",
                    children: [
                        Entry(type: .button, name: "View audit log", permission: .auditRead)
                    ]),
                Entry(
                    type: .menu, name: "System logs", path: "/system/logs", component: "system/logs/index", icon: "log",
                    children: [
                        Entry(type: .button, name: "View system logs", permission: .logRead)
                    ]),
            ]),
    ]

    static var allPermissions: [String] { Permission.allCases.map(\.rawValue) }

    /// The permissions the tree holds, in tree order (a test checks each appears exactly once).
    static var treePermissions: [Permission] {
        var found: [Permission] = []
        var pending = tree
        while !pending.isEmpty {
            let entry = pending.removeFirst()
            if let permission = entry.permission { found.append(permission) }
            pending.insert(contentsOf: entry.children, at: 0)
        }
        return found
    }

    /// Built-in roles: code, name, description, and whether a permission is granted.
    static let roles: [(code: String, name: String, description: String, grants: @Sendable (Permission) -> Bool)] = [
        ("admin", "Administrator", "Everything", { _ in true }),
        (
            "tester", "Tester", "API testing, models, agents and chat",
            { permission in
                ["project", "endpoint", "testcase", "testrun", "report", "dashboard", "chat", "knowledge"].contains(permission.resource)
                    || [.modelRead, .modelTest, .agentRead, .agentRun].contains(permission)
            }
        ),
        // The audit log records who did what from where, the system log the service's failures:
        // not for a read-only role by default.
        ("viewer", "Viewer", "Read only", { permission in permission.action == "read" && ![.auditRead, .logRead].contains(permission) }),
    ]
}
