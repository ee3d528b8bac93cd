import FluentKit
import Foundation

/// Provider configurations.
struct ModelConfigRepository: Sendable {
    let database: DatabaseService

    /// By name; `provider` narrows the list to one provider kind.
    func list(provider: String?, _ page: ListQuery) async throws -> (items: [ModelConfig], total: Int) {
        let query = ModelConfig.query(on: database.database)
        if let provider { query.filter(\.$provider == provider) }
        return try await query.sort(\.$name).paginate(page)
    }

    func find(_ id: UUID) async throws -> ModelConfig {
        try await ModelConfig.find(id, on: database.database, or404: "model configuration")
    }

    /// The configuration with this id, nil when there is none.
    func config(withID id: UUID) async throws -> ModelConfig? {
        try await ModelConfig.find(id, on: database.database)
    }

    /// Whether a configuration other than `config` already has this name.
    func isTaken(name: String, byOtherThan config: ModelConfig) async throws -> Bool {
        try await ModelConfig.query(on: database.database).filter(\.$name == name).all().contains { $0.id != config.id }
    }

    func create(_ config: ModelConfig) async throws {
        try await config.create(on: database.database)
    }

    func save(_ config: ModelConfig) async throws {
        try await config.save(on: database.database)
    }

    func delete(_ config: ModelConfig) async throws {
        try await config.delete(on: database.database)
    }
}
