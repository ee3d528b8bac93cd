import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

/// Department and menu trees: depth capped on the way in, bounded on the way out.
@Suite struct TreeDepthTests {
    static let chainLength = 5_000

    @Test(arguments: DatabaseKind.allCases)
    func deepChainsInTheDatabaseAreListedBounded(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withServices(settings) { services, client in
            let admin = try await client.login().accessToken
            _ = try await client.createUser("vera", roles: ["viewer"], adminToken: admin)
            let viewer = try await client.login("vera", "user-password-1").accessToken
            let sql = services.database.sql
            try await Self.insertChain("departments", on: sql)
            try await Self.insertChain("menus", extra: ["type": "catalog", "hidden": false], on: sql)
            // Parent loops written straight into the database: two departments, one menu entry.
            let (first, second, loop) = (UUID(), UUID(), UUID())
            try await sql.insert(into: "departments").columns("id", "name", "sort_order").values(first, "loop a", 0).run()
            try await sql.insert(into: "departments").columns("id", "parent_id", "name", "sort_order").values(second, first, "loop b", 0).run()
            try await sql.update("departments").set("parent_id", to: second).where("id", .equal, first).run()
            try await sql.insert(into: "menus").columns("id", "name", "sort_order", "type", "hidden").values(loop, "self loop", 0, "catalog", false)
                .run()
            try await sql.update("menus").set("parent_id", to: loop).where("id", .equal, loop).run()

            for (path, table) in [("/api/v1/departments", "departments"), ("/api/v1/menus", "menus")] {
                let stored = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count").from(table)
                    .first(decodingColumn: "count", as: Int.self)
                try await client.call(.get, path, token: viewer) { response in
                    #expect(response.status == .ok, "\(path): \(response.status)")
                    let tree = try response.json([JSONAny].self)
                    let levels = Self.levels(tree)
                    #expect(levels.count == TreeBuilder.maxDepth, "\(path) is exactly as deep as the cap")
                    #expect(levels.reduce(0, +) == stored, "\(path) lists every row once")
                    #expect(levels.last == Self.chainLength - TreeBuilder.maxDepth + 1, "\(path): deeper rows are flat at the last level")
                }
            }
            try await client.call(.get, "/api/v1/departments", token: viewer) { response in
                let names = Set(try response.json([JSONAny].self).compactMap { $0["name"]?.string })
                #expect(names.isSuperset(of: ["level 1", "Headquarters"]))
                #expect(names.intersection(["loop a", "loop b"]).count == 1, "a loop is shown from one of its rows")
            }
            try await client.call(.get, "/api/v1/auth/me/menus", token: admin) { response in
                #expect(response.status == .ok)
                let tree = try response.json([JSONAny].self)
                #expect(Self.levels(tree).count == TreeBuilder.maxDepth)
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func placingDeeperThanTheCapOrUnderItselfIsRefused(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            for (path, extra) in [("/api/v1/departments", ""), ("/api/v1/menus", #","type":"catalog""#)] {
                func create(_ name: String, under parent: String?) async throws -> (HTTPResponse.Status, String) {
                    let parentField = parent.map { #","parent_id":"\#($0)""# } ?? ""
                    return try await client.call(.post, path, token: admin, json: #"{"name":"\#(name)"\#(parentField)\#(extra)}"#) { response in
                        (response.status, try response.json()["id"]?.string ?? String(buffer: response.body))
                    }
                }
                var chain: [String] = []
                for level in 1...TreeBuilder.maxDepth {
                    let (status, id) = try await create("level \(level)", under: chain.last)
                    #expect(status == .created, "\(path) level \(level): \(id)")
                    chain.append(id)
                }
                let (tooDeep, message) = try await create("one too many", under: chain.last)
                #expect(tooDeep == .unprocessableContent, "\(path)")
                #expect(message.contains("deeper than \(TreeBuilder.maxDepth) levels"), "\(message)")

                // A two-level branch fits under level 8, not under level 9.
                let (_, branch) = try await create("branch", under: nil)
                _ = try await create("leaf", under: branch)
                func move(_ id: String, under parent: String) async throws -> HTTPResponse.Status {
                    try await client.call(.put, "\(path)/\(id)", token: admin, json: #"{"parent_id":"\#(parent)"}"#) { $0.status }
                }
                #expect(try await move(branch, under: chain[8]) == .unprocessableContent, "\(path)")
                #expect(try await move(branch, under: chain[7]) == .ok, "\(path)")
                #expect(try await move(chain[0], under: chain[0]) == .unprocessableContent, "\(path): under itself")
                #expect(try await move(chain[0], under: chain[3]) == .unprocessableContent, "\(path): under a descendant")
            }
        }
    }

    /// Inserts a chain ``chainLength`` rows deep straight into `table`, "level 1" on top.
    static func insertChain(_ table: String, extra: [String: any Encodable & Sendable] = [:], on sql: any SQLDatabase) async throws {
        let ids = (0..<chainLength).map { _ in UUID() }
        let columns = Array(extra.keys)
        for start in stride(from: 0, to: chainLength, by: 500) {
            let insert = sql.insert(into: table).columns(["id", "parent_id", "name", "sort_order"] + columns)
            for index in start..<min(start + 500, chainLength) {
                let parent: any SQLExpression = index == 0 ? SQLLiteral.null : SQLBind(ids[index - 1])
                let row: [any SQLExpression] = [SQLBind(ids[index]), parent, SQLBind("level \(index + 1)"), SQLBind(0)]
                insert.values(row + columns.map { SQLBind(extra[$0]!) })
            }
            try await insert.run()
        }
    }

    /// How many nodes each level of `tree` holds, top first.
    static func levels(_ tree: [JSONAny]) -> [Int] {
        var levels: [Int] = []
        var frontier = tree
        while !frontier.isEmpty {
            levels.append(frontier.count)
            frontier = frontier.flatMap { $0["children"]?.array ?? [] }
        }
        return levels
    }
}
