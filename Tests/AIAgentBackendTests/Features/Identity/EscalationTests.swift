import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Delegated administrators cannot reach beyond their own permissions.
@Suite struct EscalationTests {
    /// A role granting `permissions`, assigned to a new user `username`; returns the user's token, id and role id.
    static func delegate(_ permissions: [String], to username: String, admin: String, client: some TestClientProtocol) async throws -> (
        token: String, id: String, role: String
    ) {
        let menus = try await menuIDs(client, admin)
        let role = try await client.call(.post, "/api/v1/roles", token: admin, json: #"{"code":"\#(username)-role","name":"\#(username)"}"#) {
            response in
            #expect(response.status == .created)
            return try response.json()["id"]?.string ?? ""
        }
        let grant = permissions.map { #""\#(menus[$0]!)""# }.joined(separator: ",")
        try await client.call(.put, "/api/v1/roles/\(role)/menus", token: admin, json: #"{"menu_ids":[\#(grant)]}"#) { #expect($0.status == .ok) }
        let id = try await client.createUser(username, adminToken: admin)
        try await client.call(.put, "/api/v1/users/\(id)/roles", token: admin, json: #"{"role_ids":["\#(role)"]}"#) { #expect($0.status == .ok) }
        return (try await client.login(username, "user-password-1").accessToken, id.uuidString, role)
    }

    /// Menu entry ids by permission code.
    static func menuIDs(_ client: some TestClientProtocol, _ token: String) async throws -> [String: String] {
        var result: [String: String] = [:]
        var frontier = try await client.call(.get, "/api/v1/menus", token: token) { try $0.json([JSONAny].self) }
        while !frontier.isEmpty {
            for node in frontier { if let code = node["permission"]?.string { result[code] = node["id"]?.string } }
            frontier = frontier.flatMap { $0["children"]?.array ?? [] }
        }
        return result
    }

    static func roleIDs(_ client: some TestClientProtocol, _ token: String) async throws -> [String: String] {
        let page = try await client.call(.get, "/api/v1/roles?page_size=100", token: token) { try $0.json() }
        return Dictionary(
            uniqueKeysWithValues: (page["items"]?.array ?? []).compactMap { item in
                item["code"]?.string.flatMap { code in item["id"]?.string.map { (code, $0) } }
            })
    }

    @Test(arguments: DatabaseKind.allCases)
    func userManagersCannotReachSuperuser(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let adminID = try await client.call(.get, "/api/v1/auth/me", token: admin) { try $0.json()[path: "user", "id"]?.string ?? "" }
            let roles = try await Self.roleIDs(client, admin)
            let manager = try await Self.delegate(
                ["user:read", "user:create", "user:update", "user:delete"], to: "manager", admin: admin, client: client)
            func expect(
                _ method: HTTPRequest.Method, _ uri: String, _ json: String?, _ comment: Comment,
                _ status: HTTPResponse.Status = .forbidden, sourceLocation: SourceLocation = #_sourceLocation
            ) async throws {
                try await client.call(method, uri, token: manager.token, json: json) { response in
                    #expect(response.status == status, "\(comment): \(String(buffer: response.body))", sourceLocation: sourceLocation)
                }
            }
            try await expect(.put, "/api/v1/users/\(manager.id)", #"{"is_superuser":true}"#, "making oneself superuser")
            try await expect(.put, "/api/v1/users/\(manager.id)/roles", #"{"role_ids":["\#(roles["admin"]!)"]}"#, "taking the admin role")
            try await expect(.put, "/api/v1/users/\(manager.id)", #"{"role_ids":["\#(roles["admin"]!)"]}"#, "taking the admin role by update")
            try await expect(
                .put, "/api/v1/users/\(manager.id)/roles", #"{"role_ids":["\#(roles["viewer"]!)"]}"#, "a role with permissions one lacks")
            try await expect(.post, "/api/v1/users", #"{"username":"root2","password":"password-1x","is_superuser":true}"#, "creating a superuser")
            try await expect(
                .post, "/api/v1/users", #"{"username":"admin2","password":"password-1x","role_ids":["\#(roles["admin"]!)"]}"#,
                "creating an administrator")
            try await expect(.post, "/api/v1/users/\(adminID)/reset-password", #"{"password":"taken-over-1"}"#, "resetting a superuser's password")
            try await expect(.put, "/api/v1/users/\(adminID)", #"{"email":"me@evil.example"}"#, "editing a superuser")
            try await expect(.post, "/api/v1/users/\(adminID)/disable", nil, "disabling a superuser")
            try await expect(.put, "/api/v1/users/\(adminID)/roles", #"{"role_ids":[]}"#, "taking a superuser's roles")
            try await expect(.delete, "/api/v1/users/\(adminID)", nil, "deleting a superuser")
            _ = try await client.login("admin", TestDatabases.adminPassword)

            // Within their own permissions a manager still works.
            try await expect(
                .post, "/api/v1/users", #"{"username":"helper","password":"password-1x","role_ids":["\#(manager.role)"]}"#,
                "a role within one's permissions", .created)
            try await expect(
                .post, "/api/v1/users", #"{"username":"plain","password":"password-1x","is_superuser":false}"#, "an ordinary user", .created)
            try await client.call(.post, "/api/v1/users/\(manager.id)/reset-password", token: admin, json: #"{"password":"by-the-admin-1"}"#) {
                #expect($0.status == .noContent, "a superuser manages anyone")
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func roleAndMenuEditorsCannotGrantWhatTheyLack(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let menus = try await Self.menuIDs(client, admin)
            let roles = try await Self.roleIDs(client, admin)
            let editor = try await Self.delegate(
                ["role:read", "role:update", "menu:read", "menu:update"], to: "editor", admin: admin, client: client)
            let own = ["role:read", "role:update", "menu:read", "menu:update"].map { #""\#(menus[$0]!)""# }
            try await client.call(
                .put, "/api/v1/roles/\(editor.role)/menus", token: editor.token,
                json: #"{"menu_ids":[\#((own + [#""\#(menus["user:update"]!)""#]).joined(separator: ","))]}"#
            ) { response in
                #expect(response.status == .forbidden, "granting one's own role a permission one lacks")
                #expect(String(buffer: response.body).contains("user:update"))
            }
            try await client.call(.put, "/api/v1/roles/\(roles["viewer"]!)/menus", token: editor.token, json: #"{"menu_ids":[]}"#) {
                #expect($0.status == .forbidden, "taking away permissions one lacks")
            }
            try await client.call(
                .put, "/api/v1/roles/\(editor.role)/menus", token: editor.token, json: #"{"menu_ids":[\#(own.joined(separator: ","))]}"#
            ) {
                #expect($0.status == .ok, "re-sending the same grants changes nothing")
            }
            try await client.call(.put, "/api/v1/roles/\(roles["admin"]!)", token: editor.token, json: #"{"is_active":false}"#) {
                #expect($0.status == .forbidden, "switching off a role with permissions one lacks")
            }
            try await client.call(.put, "/api/v1/menus/\(menus["role:read"]!)", token: editor.token, json: #"{"permission":"user:update"}"#) {
                #expect($0.status == .forbidden, "re-coding a granted entry into a permission one lacks")
            }
            try await client.call(.put, "/api/v1/menus/\(menus["role:read"]!)", token: editor.token, json: #"{"name":"Read roles"}"#) {
                #expect($0.status == .ok, "other edits stay allowed")
            }
            try await client.call(.get, "/api/v1/users", token: editor.token) { #expect($0.status == .forbidden, "no permission was gained") }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func theLastSuperuserStays(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let adminID = try await client.call(.get, "/api/v1/auth/me", token: admin) { try $0.json()[path: "user", "id"]?.string ?? "" }
            try await client.call(.put, "/api/v1/users/\(adminID)", token: admin, json: #"{"is_superuser":false}"#) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains("last active superuser"))
            }
            try await client.call(.put, "/api/v1/users/\(adminID)/roles", token: admin, json: #"{"role_ids":[]}"#) { #expect($0.status == .conflict) }
            try await client.call(.post, "/api/v1/users/\(adminID)/disable", token: admin) { #expect($0.status == .conflict) }

            try await client.call(.post, "/api/v1/users", token: admin, json: #"{"username":"root2","password":"password-1x","is_superuser":true}"#) {
                #expect($0.status == .created, "a superuser creates superusers")
            }
            try await client.call(.put, "/api/v1/users/\(adminID)", token: admin, json: #"{"is_superuser":false}"#) {
                #expect($0.status == .ok, "with another active superuser the flag can go")
            }
        }
    }
}
