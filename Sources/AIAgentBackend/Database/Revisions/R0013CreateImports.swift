import FluentKit
import SQLKit

/// Catalogue imports: one row per import with its report, which endpoints name by `import_id`.
struct CreateImports: SchemaMigration {
    let revision = "0013"
    let name = "create imports"

    func upgrade(on database: any Database) async throws {
        try await database.schema("imports")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("format", .string, .required)
            .field("title", .string)
            .field("source_filename", .string)
            .field("created_by", .uuid)
            .field("created_at", .datetime)
            .field("report", .string, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "imports_project_id").on("imports").column("project_id").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("imports").delete()
    }
}
