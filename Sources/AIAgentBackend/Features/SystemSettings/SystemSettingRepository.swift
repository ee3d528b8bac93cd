import FluentKit

/// The platform's run-time settings, by key.
struct SystemSettingRepository: Sendable {
    let database: DatabaseService

    /// By key.
    func list(_ page: ListQuery) async throws -> (items: [SystemSetting], total: Int) {
        try await SystemSetting.query(on: database.database).sort(\.$id).paginate(page)
    }

    func find(_ key: String) async throws -> SystemSetting {
        try await SystemSetting.find(key, on: database.database, or404: "setting")
    }

    /// The setting with this key, nil when none is set.
    func setting(_ key: String) async throws -> SystemSetting? {
        try await SystemSetting.find(key, on: database.database)
    }

    func save(_ setting: SystemSetting) async throws {
        try await setting.save(on: database.database)
    }

    func delete(_ setting: SystemSetting) async throws {
        try await setting.delete(on: database.database)
    }
}
