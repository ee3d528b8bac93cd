import Foundation

/// `migrate create`: writes a new revision file from a template and registers it in
/// `Revisions.all`, so the new revision is ready to fill in.
public enum MigrationTemplate {
    static let registryMarker = "// `migrate create` registers new revisions above this line."

    /// Returns the path of the new file.
    public static func create(message: String, directory: String, existing: [any SchemaMigration]) throws -> String {
        let words = message.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        guard !words.isEmpty else { throw MigrationError.cannotCreate("the migration message needs at least one word") }
        let typeName = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        let next = (existing.compactMap { Int($0.revision) }.max() ?? 0) + 1
        let revision = String(format: "%04d", next)
        let path = "\(directory)/R\(revision)\(typeName).swift"
        let registryPath = "\(directory)/Revisions.swift"
        guard !FileManager.default.fileExists(atPath: path) else { throw MigrationError.cannotCreate("\(path) already exists") }
        let registry = try String(contentsOfFile: registryPath, encoding: .utf8)
        guard let marker = registry.range(of: registryMarker) else {
            throw MigrationError.cannotCreate("\(registryPath) has no registration marker")
        }
        let source = """
            import FluentKit
            import SQLKit

            struct \(typeName): SchemaMigration {
                let revision = "\(revision)"
                let name = "\(words.joined(separator: " ").lowercased())"

                func upgrade(on database: any Database) async throws {
                    // e.g. try await database.schema("table").id().field("name", .string, .required).create()
                }

                func downgrade(on database: any Database) async throws {
                    // undo everything `upgrade` did, in reverse order
                }
            }

            """
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        var updated = registry
        updated.insert(contentsOf: "\(typeName)(),\n        ", at: marker.lowerBound)
        try updated.write(toFile: registryPath, atomically: true, encoding: .utf8)
        return path
    }
}
