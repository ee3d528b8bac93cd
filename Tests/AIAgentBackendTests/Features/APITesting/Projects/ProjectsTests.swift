import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct ProjectsTests {
    @Test(arguments: DatabaseKind.allCases)
    func crudAndErrors(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let id = try await client.create(
                "/api/v1/projects", ["name": " Shop API ", "description": "the shop", "variables": [["name": "region", "value": "eu"]]],
                token: fixture.tester)
            let project = try await client.call(.get, "/api/v1/projects/\(id)", token: fixture.tester) { try $0.json() }
            #expect(project["name"]?.string == "Shop API")
            #expect(project["owner_id"]?.string == fixture.testerID.uuidString)
            #expect(project["member_ids"] == .array([]))
            #expect(project["variables"]?.array?.first?["value"]?.string == "eu")

            #expect(
                try await client.failure(.post, "/api/v1/projects", token: fixture.tester, json: "{}", .unprocessableContent).details?["field"]
                    == "name")
            _ = try await client.failure(.post, "/api/v1/projects", token: fixture.tester, json: jsonText(["name": "Shop API"]), .conflict)
            let badVariable = try await client.failure(
                .put, "/api/v1/projects/\(id)", token: fixture.tester, json: jsonText(["variables": [["name": "1x", "value": "v"]]]),
                .unprocessableContent)
            #expect(badVariable.details?["field"] == "variables[0].name")
            let unknownMember = try await client.failure(
                .put, "/api/v1/projects/\(id)", token: fixture.tester, json: jsonText(["member_ids": [UUID().uuidString]]), .notFound)
            #expect(unknownMember.details?["field"] == "member_ids")

            let renamed = try await client.call(.put, "/api/v1/projects/\(id)", token: fixture.tester, json: jsonText(["name": "Shop"])) {
                try $0.json()
            }
            #expect(renamed["name"]?.string == "Shop" && renamed["description"]?.string == "the shop")
            let list = try await client.call(.get, "/api/v1/projects?search=SHO", token: fixture.tester) { try $0.json() }
            #expect(list["total"] == .number(1))
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func membersSeeStrangersGet404AndSuperusersSeeAll(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let memberID = try await client.createUser("member", roles: ["tester"], adminToken: fixture.admin)
            _ = try await client.createUser("stranger", roles: ["tester"], adminToken: fixture.admin)
            let member = try await client.login("member", "user-password-1").accessToken
            let stranger = try await client.login("stranger", "user-password-1").accessToken
            let id = try await client.project(named: "Private", members: [memberID], token: fixture.tester)

            for token in [fixture.tester, member, fixture.admin] {
                try await client.call(.get, "/api/v1/projects/\(id)", token: token) { #expect($0.status == .ok) }
                let list = try await client.call(.get, "/api/v1/projects", token: token) { try $0.json() }
                #expect(list["items"]?.array?.map { $0["id"]?.string } == [id])
            }
            #expect(
                try await client.call(.get, "/api/v1/projects/\(id)", token: fixture.tester) { try $0.json() }["member_ids"]
                    == .array([.string(memberID.uuidString)]))
            for uri in [
                "/api/v1/projects/\(id)", "/api/v1/projects/\(id)/environments", "/api/v1/projects/\(id)/endpoints",
                "/api/v1/projects/\(id)/cases", "/api/v1/projects/\(id)/suites",
            ] {
                _ = try await client.failure(.get, uri, token: stranger, .notFound)
            }
            _ = try await client.failure(.delete, "/api/v1/projects/\(id)", token: stranger, .notFound)
            let none = try await client.call(.get, "/api/v1/projects", token: stranger) { try $0.json() }
            #expect(none["total"] == .number(0))

            // Taking the member out hides the project from them.
            try await client.call(.put, "/api/v1/projects/\(id)", token: fixture.tester, json: jsonText(["member_ids": []])) {
                #expect($0.status == .ok)
            }
            _ = try await client.failure(.get, "/api/v1/projects/\(id)", token: member, .notFound)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func deletingAProjectWithRunsNeedsForce(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let id = try await client.project(named: "Runs", token: fixture.tester)
            _ = try await client.create("/api/v1/projects/\(id)/environments", ["name": "dev"], token: fixture.tester)
            try await fixture.services.database.sql.insert(into: "test_runs").columns("id", "project_id", "status")
                .values(SQLBind(UUID()), SQLBind(UUID(uuidString: id)!), SQLBind("passed")).run()
            _ = try await client.failure(.delete, "/api/v1/projects/\(id)", token: fixture.tester, .conflict)
            try await client.call(.delete, "/api/v1/projects/\(id)?force=true", token: fixture.tester) { #expect($0.status == .noContent) }
            _ = try await client.failure(.get, "/api/v1/projects/\(id)", token: fixture.tester, .notFound)
            let left = try await fixture.services.database.sql.raw("SELECT COUNT(*) AS n FROM environments").first()
            #expect(try left?.decode(column: "n", as: Int.self) == 0)

            let empty = try await client.project(named: "Empty", token: fixture.tester)
            try await client.call(.delete, "/api/v1/projects/\(empty)", token: fixture.tester) { #expect($0.status == .noContent) }
        }
    }

    @Test func theTesterRoleHoldsTheProjectPermissionsAndOthersGet403() async throws {
        #expect(Permission.allCases.filter { $0.resource == "project" }.count == 4)
        #expect(PermissionCatalog.treePermissions.filter { $0.resource == "project" }.count == 4)
        let tester = try #require(PermissionCatalog.roles.first { $0.code == "tester" })
        #expect([Permission.projectRead, .projectCreate, .projectUpdate, .projectDelete].allSatisfy(tester.grants))
        try await APITestingFixture.with(.sqlite) { fixture in
            let client = fixture.client
            _ = try await client.createUser("viewer", roles: ["viewer"], adminToken: fixture.admin)
            let viewer = try await client.login("viewer", "user-password-1").accessToken
            let id = try await client.project(named: "P", token: fixture.tester)
            _ = try await client.failure(.post, "/api/v1/projects", token: viewer, json: jsonText(["name": "V"]), .forbidden)
            _ = try await client.failure(.delete, "/api/v1/projects/\(id)", token: viewer, .forbidden)
            _ = try await client.failure(.post, "/api/v1/projects/\(id)/environments", token: viewer, json: jsonText(["name": "e"]), .forbidden)
            _ = try await client.failure(
                .post, "/api/v1/projects/\(id)/cases", token: viewer, json: jsonText(["name": "c", "steps": []]), .forbidden)
        }
    }
}
