import FluentKit
import Foundation
import SQLKit

/// Usernames folded as ``Username`` folds them (NFKC, lower-cased), so that look-alikes
/// differing in case or encoding cannot exist side by side and sign-in finds them. Stops,
/// naming them, when two accounts would fold to the same name: someone must rename one
/// first. The original spelling is not kept, so the downgrade leaves names as they are.
struct NormalizeUsernames: SchemaMigration {
    let revision = "0009"
    let name = "normalize usernames"

    func upgrade(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        // Soft-deleted accounts included: they still hold their name.
        let rows = try await sql.select().column("id").column("username").from("users").all()
        var byFolded: [String: [String]] = [:]
        var renames: [(id: UUID, username: String)] = []
        for row in rows {
            let username = try row.decode(column: "username", as: String.self)
            let folded = username.precomposedStringWithCompatibilityMapping.lowercased()
            byFolded[folded, default: []].append(username)
            if folded != username { renames.append((try row.decode(column: "id", as: UUID.self), folded)) }
        }
        let clashes = byFolded.values.filter { $0.count > 1 }.map { $0.sorted().joined(separator: " / ") }.sorted()
        guard clashes.isEmpty else {
            throw UsernameClash(
                message: "usernames that differ only in case or Unicode form; rename all but one of each first: \(clashes.joined(separator: "; "))")
        }
        for rename in renames {
            try await sql.update("users").set("username", to: rename.username).where("id", .equal, rename.id).run()
        }
    }

    func downgrade(on database: any Database) async throws {}

    struct UsernameClash: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
