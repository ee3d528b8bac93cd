import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct AdministrationTests {
    @Test(arguments: DatabaseKind.allCases)
    func usersLifecycle(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let adminID = try await client.call(.get, "/api/v1/auth/me", token: admin) { try $0.json()[path: "user", "id"]?.string ?? "" }
            let departmentID = try await client.call(.post, "/api/v1/departments", token: admin, json: #"{"name":"QA"}"#) { response in
                #expect(response.status == .created)
                return try response.json()["id"]?.string ?? ""
            }
            for index in 1...3 {
                let body =
                    #"{"username":"qa.\#(index)","password":"password-\#(index)x","email":"qa\#(index)@example.com","department_id":"\#(departmentID)"}"#
                try await client.call(.post, "/api/v1/users", token: admin, json: body) { #expect($0.status == .created) }
            }
            try await client.call(.post, "/api/v1/users", token: admin, json: #"{"username":"qa.1","password":"password-1x"}"#) {
                #expect($0.status == .conflict)
            }
            try await client.call(.post, "/api/v1/users", token: admin, json: #"{"username":"x","password":"password-1x"}"#) { response in
                #expect(response.status == .unprocessableContent)
                let error = try response.errorBody().error
                #expect(error.details?["field"] == "username")
            }
            try await client.call(.post, "/api/v1/users", token: admin, json: #"{"username":"qa.short","password":"123456"}"#) { response in
                #expect(response.status == .unprocessableContent, "the original's 123456 is refused")
            }
            try await client.call(.get, "/api/v1/users?department_id=\(departmentID)&page_size=2", token: admin) { response in
                let body = try response.json()
                #expect(body["total"] == .number(3))
                #expect(body["items"]?.array?.count == 2)
            }
            let listed = try await client.call(.get, "/api/v1/users?username=qa.2", token: admin) { response in
                let body = try response.json()
                #expect(body["items"]?.array?.map { $0["username"] } == [.string("qa.2")])
                return try #require(body["items"]?.array?.first?.fields)
            }
            // The list writes its JSON by hand: each item must read as the single-user endpoint's.
            let single = try await client.call(.get, "/api/v1/users/\(listed["id"]?.string ?? "")", token: admin) { try $0.json() }
            #expect(single.filter { $0.key != "roles" } == listed)
            let target = try await client.call(.get, "/api/v1/users?username=qa.3", token: admin) {
                try $0.json()["items"]?.array?.first?["id"]?.string ?? ""
            }
            try await client.call(.put, "/api/v1/users/\(target)", token: admin, json: #"{"nickname":"Q3"}"#) { response in
                let body = try response.json()
                #expect(body["nickname"] == .string("Q3"))
            }
            try await client.call(.post, "/api/v1/users/\(target)/reset-password", token: admin, json: #"{"password":"reset-password-9"}"#) {
                #expect($0.status == .noContent)
            }
            let qa3 = try await client.login("qa.3", "reset-password-9").accessToken
            try await client.call(.get, "/api/v1/auth/me", token: qa3) { response in
                let body = try response.json()
                #expect(body[path: "user", "nickname"] == .string("Q3"))
            }
            try await client.call(.put, "/api/v1/users/\(target)", token: admin, json: #"{"nickname":"Q3b"}"#) { #expect($0.status == .ok) }
            try await client.call(.get, "/api/v1/auth/me", token: qa3) { response in
                let body = try response.json()
                #expect(body[path: "user", "nickname"] == .string("Q3b"), "a change shows in /me at once")
            }
            try await client.call(.get, "/api/v1/users?status=disabled", token: admin) { response in
                let body = try response.json()
                #expect(body["total"] == .number(0))
            }
            try await client.call(.post, "/api/v1/users/\(target)/disable", token: admin) { #expect($0.status == .ok) }
            try await client.call(.get, "/api/v1/users?status=disabled", token: admin) { response in
                let body = try response.json()
                #expect(body["total"] == .number(1), "totals follow changes at once")
            }
            try await client.call(.post, "/api/v1/users/\(adminID)/disable", token: admin) { #expect($0.status == .conflict) }
            try await client.call(.delete, "/api/v1/users/\(adminID)", token: admin) { #expect($0.status == .conflict) }
            try await client.call(.delete, "/api/v1/users/\(target)", token: admin) { #expect($0.status == .noContent) }
            try await client.call(.get, "/api/v1/users/\(target)", token: admin) { #expect($0.status == .notFound) }
            try await client.call(.delete, "/api/v1/departments/\(departmentID)", token: admin) { response in
                #expect(response.status == .conflict, "a department with users cannot be deleted")
            }
        }
    }

    @Test func rolesGrantPermissions() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let userID = try await client.createUser("auditor", adminToken: admin)
            let token = try await client.login("auditor", "user-password-1").accessToken
            try await client.call(.get, "/api/v1/audit-logs", token: token) { #expect($0.status == .forbidden) }

            let roleID = try await client.call(.post, "/api/v1/roles", token: admin, json: #"{"code":"auditors","name":"Auditors"}"#) { response in
                #expect(response.status == .created)
                return try response.json()["id"]?.string ?? ""
            }
            let menus = try await client.call(.get, "/api/v1/menus", token: admin) { try $0.json([JSONAny].self) }
            func find(_ nodes: [JSONAny], permission: String) -> String? {
                for node in nodes {
                    if node["permission"]?.string == permission { return node["id"]?.string }
                    if let found = find(node["children"]?.array ?? [], permission: permission) { return found }
                }
                return nil
            }
            let auditMenu = try #require(find(menus, permission: "audit:read"))
            try await client.call(.put, "/api/v1/roles/\(roleID)/menus", token: admin, json: #"{"menu_ids":["\#(auditMenu)"]}"#) {
                #expect($0.status == .ok)
            }
            try await client.call(.put, "/api/v1/users/\(userID)/roles", token: admin, json: #"{"role_ids":["\#(roleID)"]}"#) {
                #expect($0.status == .ok)
            }
            try await client.call(.get, "/api/v1/audit-logs", token: token) { #expect($0.status == .ok, "the grant applies without a new login") }

            try await client.call(.delete, "/api/v1/roles/\(roleID)", token: admin) { #expect($0.status == .conflict, "the role is still assigned") }
            try await client.call(.put, "/api/v1/roles/\(roleID)", token: admin, json: #"{"is_active":false}"#) { #expect($0.status == .ok) }
            try await client.call(.get, "/api/v1/audit-logs", token: token) { #expect($0.status == .forbidden, "an inactive role grants nothing") }
        }
    }

    @Test func treesRefuseDeletingParents() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let parent = try await client.call(.post, "/api/v1/menus", token: admin, json: #"{"type":"catalog","name":"Reports 2"}"#) {
                try $0.json()["id"]?.string ?? ""
            }
            let child = try await client.call(
                .post, "/api/v1/menus", token: admin,
                json: #"{"type":"button","name":"Export","parent_id":"\#(parent)","permission":"report:export"}"#
            ) { response in
                #expect(response.status == .created)
                return try response.json()["id"]?.string ?? ""
            }
            try await client.call(.put, "/api/v1/menus/\(parent)", token: admin, json: #"{"parent_id":"\#(child)"}"#) { response in
                #expect(response.status == .unprocessableContent, "cycles are refused")
            }
            try await client.call(.delete, "/api/v1/menus/\(parent)", token: admin) { #expect($0.status == .conflict) }
            try await client.call(.delete, "/api/v1/menus/\(child)", token: admin) { #expect($0.status == .noContent) }
            try await client.call(.delete, "/api/v1/menus/\(parent)", token: admin) { #expect($0.status == .noContent) }

            let root = try await client.call(.post, "/api/v1/departments", token: admin, json: #"{"name":"R&D"}"#) {
                try $0.json()["id"]?.string ?? ""
            }
            _ = try await client.call(.post, "/api/v1/departments", token: admin, json: #"{"name":"Platform","parent_id":"\#(root)"}"#) {
                #expect($0.status == .created)
            }
            try await client.call(.delete, "/api/v1/departments/\(root)", token: admin) { #expect($0.status == .conflict) }
            try await client.call(.get, "/api/v1/departments", token: admin) { response in
                let tree = try response.json([JSONAny].self)
                let rd = tree.first { $0["name"] == .string("R&D") }
                #expect(rd?["children"]?.array?.first?["name"] == .string("Platform"))
            }
        }
    }
}
