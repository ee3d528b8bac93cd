/// The platform's menu/permission tree as seeded on first start, and which permission
/// codes each built-in role gets. Routes check these codes.
enum PermissionCatalog {
    struct Entry {
        let type: MenuType
        let name: String
        var path: String? = nil
        var component: String? = nil
        var icon: String? = nil
        var permission: String? = nil
        var children: [Entry] = []
    }

    static func crud(_ resource: String, _ label: String, extra: [(String, String)] = []) -> [Entry] {
        [("read", "View"), ("create", "Create"), ("update", "Edit"), ("delete", "Delete")].map { action, verb in
            Entry(type: .button, name: "\(verb) \(label)", permission: "\(resource):\(action)")
        } + extra.map { Entry(type: .button, name: $0.1, permission: "\(resource):\($0.0)") }
    }

    static let tree: [Entry] = [
        Entry(type: .menu, name: "Dashboard", path: "/dashboard", component: "dashboard/index", icon: "dashboard", children: [
            Entry(type: .button, name: "View dashboard", permission: "dashboard:read"),
        ]),
        Entry(type: .catalog, name: "AI", path: "/ai", icon: "robot", children: [
            Entry(type: .menu, name: "Models", path: "/ai/models", component: "ai/models/index", icon: "cpu",
                  children: crud("model", "models", extra: [("test", "Test connection")])),
            Entry(type: .menu, name: "Agents", path: "/ai/agents", component: "ai/agents/index", icon: "agent",
                  children: crud("agent", "agents", extra: [("run", "Run agents")])),
            Entry(type: .menu, name: "Chat", path: "/ai/chat", component: "ai/chat/index", icon: "chat", children: [
                Entry(type: .button, name: "Use chat", permission: "chat:use"),
            ]),
            Entry(type: .menu, name: "Knowledge base", path: "/ai/knowledge", component: "ai/knowledge/index", icon: "book",
                  children: crud("knowledge", "documents")),
        ]),
        Entry(type: .catalog, name: "API testing", path: "/testing", icon: "test", children: [
            Entry(type: .menu, name: "Endpoints", path: "/testing/endpoints", component: "testing/endpoints/index", icon: "api",
                  children: crud("endpoint", "endpoints", extra: [("import", "Import OpenAPI")])),
            Entry(type: .menu, name: "Test cases", path: "/testing/cases", component: "testing/cases/index", icon: "list",
                  children: crud("testcase", "test cases", extra: [("generate", "Generate with AI")])),
            Entry(type: .menu, name: "Test runs", path: "/testing/runs", component: "testing/runs/index", icon: "play",
                  children: crud("testrun", "test runs", extra: [("execute", "Execute runs")])),
            Entry(type: .menu, name: "Reports", path: "/testing/reports", component: "testing/reports/index", icon: "chart", children: [
                Entry(type: .button, name: "View reports", permission: "report:read"),
            ]),
        ]),
        Entry(type: .catalog, name: "System", path: "/system", icon: "setting", children: [
            Entry(type: .menu, name: "Users", path: "/system/users", component: "system/users/index", icon: "user",
                  children: crud("user", "users")),
            Entry(type: .menu, name: "Roles", path: "/system/roles", component: "system/roles/index", icon: "team",
                  children: crud("role", "roles")),
            Entry(type: .menu, name: "Menus", path: "/system/menus", component: "system/menus/index", icon: "menu",
                  children: crud("menu", "menus")),
            Entry(type: .menu, name: "Departments", path: "/system/departments", component: "system/departments/index", icon: "apartment",
                  children: crud("department", "departments")),
            Entry(type: .menu, name: "Settings", path: "/system/settings", component: "system/settings/index", icon: "tool", children: [
                Entry(type: .button, name: "View settings", permission: "settings:read"),
                Entry(type: .button, name: "Change settings", permission: "settings:update"),
            ]),
            Entry(type: .menu, name: "Audit log", path: "/system/audit", component: "system/audit/index", icon: "audit", children: [
                Entry(type: .button, name: "View audit log", permission: "audit:read"),
            ]),
        ]),
    ]

    static var allPermissions: [String] {
        func collect(_ entries: [Entry]) -> [String] { entries.flatMap { ($0.permission.map { [$0] } ?? []) + collect($0.children) } }
        return collect(tree)
    }

    /// Built-in roles: code, name, description, and whether a permission code is granted.
    static let roles: [(code: String, name: String, description: String, grants: @Sendable (String) -> Bool)] = [
        ("admin", "Administrator", "Everything", { _ in true }),
        ("tester", "Tester", "API testing, models, agents and chat", { code in
            let resource = code.split(separator: ":").first.map(String.init) ?? ""
            return ["endpoint", "testcase", "testrun", "report", "dashboard", "chat", "knowledge"].contains(resource)
                || ["model:read", "model:test", "agent:read", "agent:run"].contains(code)
        }),
        // The audit log records who did what from where: not for a read-only role by default.
        ("viewer", "Viewer", "Read only", { code in code.hasSuffix(":read") && code != "audit:read" }),
    ]
}
