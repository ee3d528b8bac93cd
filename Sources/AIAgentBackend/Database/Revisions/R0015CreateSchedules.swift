import FluentKit
import SQLKit

/// Cron schedules of suite runs, and each one's firings. A firing's `(schedule_id,
/// fire_time)` is unique, so that replicas firing the same time write one row between them.
struct CreateSchedules: SchemaMigration {
    let revision = "0015"
    let name = "create schedules"

    func upgrade(on database: any Database) async throws {
        try await database.schema("schedules")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("suite_id", .uuid, .required, .references("test_suites", "id", onDelete: .cascade))
            .field("environment_id", .uuid, .required, .references("environments", "id", onDelete: .cascade))
            .field("cron", .string, .required)
            .field("timezone", .string, .required)
            .field("enabled", .bool, .required)
            .field("on_missed", .string, .required)
            .field("next_fire_at", .datetime)
            .field("last_run_id", .uuid)
            .field("created_by", .uuid)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("schedule_firings")
            .id()
            .field("schedule_id", .uuid, .required, .references("schedules", "id", onDelete: .cascade))
            .field("fire_time", .datetime, .required)
            .field("status", .string, .required)
            .field("run_id", .uuid)
            .field("missed", .int, .required)
            .field("created_at", .datetime)
            .unique(on: "schedule_id", "fire_time")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "schedules_due").on("schedules").column("enabled").column("next_fire_at").run()
        try await sql.create(index: "schedules_project_id").on("schedules").column("project_id").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("schedule_firings").delete()
        try await database.schema("schedules").delete()
    }
}
