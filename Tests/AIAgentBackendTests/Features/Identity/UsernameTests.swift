import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

/// Usernames are folded and restricted, so no look-alike of an account can exist beside it.
@Suite struct UsernameTests {
    @Test(arguments: DatabaseKind.allCases)
    func lookAlikesAreRefused(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            func create(_ username: String, nickname: String? = nil) async throws -> (HTTPResponse.Status, JSONAny?) {
                var fields = ["username": username, "password": "password-1x"]
                fields["nickname"] = nickname
                let body = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
                return try await client.call(.post, "/api/v1/users", token: admin, json: body) { response in
                    (response.status, try? response.json()["username"])
                }
            }
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("\u{430}dmin", .unprocessableContent, "Cyrillic а"),
                ("ADMIN", .conflict, "upper case"),
                ("\u{FF41}\u{FF44}\u{FF4D}\u{FF49}\u{FF4E}", .conflict, "fullwidth"),
                ("adm\u{131}n", .unprocessableContent, "dotless ı"),
                ("caf\u{E9}", .unprocessableContent, "café, NFC"),
                ("cafe\u{301}", .unprocessableContent, "café, NFD"),
                ("张伟", .unprocessableContent, "Chinese belongs in the nickname"),
                ("ad", .unprocessableContent, "too short"),
            ]
            for (username, status, comment) in cases {
                #expect(try await create(username).0 == status, "\(comment)")
            }
            let (created, stored) = try await create("Zhang.Wei", nickname: "张伟")
            #expect(created == .created)
            #expect(stored == .string("zhang.wei"), "stored folded")
            #expect(try await create("zhang.wei").0 == .conflict, "unique whatever the case")

            _ = try await client.login("ADMIN", TestDatabases.adminPassword)
            _ = try await client.login("\u{FF41}\u{FF44}\u{FF4D}\u{FF49}\u{FF4E}", TestDatabases.adminPassword)
            _ = try await client.login("ZHANG.WEI", "password-1x")
            for lookAlike in ["\u{430}dmin", "adm\u{131}n"] {
                try await client.execute(
                    uri: "/api/v1/auth/login", method: .post,
                    body: jsonBody(["username": lookAlike, "password": TestDatabases.adminPassword])
                ) { response in
                    #expect(response.status == .unauthorized, "'\(lookAlike)' is not admin")
                }
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func revisionFoldsExistingUsernames(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind, autoMigrate: false)
        try await withDatabase(settings) { database in
            let migrator = SchemaMigrator(database: database, logger: TestDatabases.logger)
            try await migrator.upgrade(to: "0008")
            try await Self.insertUsers(["Bob", "ALICE", "carol"], on: database.sql)
            try await migrator.upgrade()
            #expect(try await Self.usernames(database.sql) == ["alice", "bob", "carol"])
        }
        let clashing = try await TestDatabases.settings(kind, autoMigrate: false)
        try await withDatabase(clashing) { database in
            let migrator = SchemaMigrator(database: database, logger: TestDatabases.logger)
            try await migrator.upgrade(to: "0008")
            try await Self.insertUsers(["Dave", "dave", "caf\u{E9}", "cafe\u{301}"], on: database.sql)
            let error = await #expect(throws: (any Error).self) { try await migrator.upgrade() }
            #expect("\(error.map { "\($0)" } ?? "")".contains("Dave / dave"))
            #expect(try await migrator.current() == "0008", "nothing applied")
            #expect(try await Self.usernames(database.sql).contains("Dave"), "nothing renamed")
        }
    }

    static func insertUsers(_ usernames: [String], on sql: any SQLDatabase) async throws {
        for username in usernames {
            try await sql.insert(into: "users").columns("id", "username", "password_hash", "status", "is_superuser")
                .values(UUID(), username, "x", "active", false).run()
        }
    }

    static func usernames(_ sql: any SQLDatabase) async throws -> [String] {
        try await sql.select().column("username").from("users").orderBy("username").all(decodingColumn: "username", as: String.self)
    }
}
