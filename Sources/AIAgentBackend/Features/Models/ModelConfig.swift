import FluentKit
import Foundation
import Hummingbird

/// A provider configuration the agents and chats use (table `model_configs`). The API key
/// is stored sealed by `SecretBox`, with its mask beside it so lists never decrypt.
final class ModelConfig: Model, @unchecked Sendable {
    static let schema = "model_configs"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "provider") var provider: String
    @Field(key: "model") var model: String
    @Field(key: "base_url") var baseURL: String
    @OptionalField(key: "api_key_encrypted") var apiKeyEncrypted: String?
    @OptionalField(key: "api_key_mask") var apiKeyMask: String?
    @OptionalField(key: "max_tokens") var maxTokens: Int?
    @OptionalField(key: "temperature") var temperature: Double?
    /// The chat history sent to this model is trimmed to this many tokens (else `CHAT_CONTEXT_TOKENS`).
    @OptionalField(key: "context_tokens") var contextTokens: Int?
    @OptionalField(key: "input_price_per_million") var inputPricePerMillion: Double?
    @OptionalField(key: "output_price_per_million") var outputPricePerMillion: Double?
    @Field(key: "is_active") var isActive: Bool
    @OptionalField(key: "owner_id") var ownerID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var kind: ProviderConfiguration.Kind { ProviderConfiguration.Kind(rawValue: provider) ?? .openaiCompatible }

    /// The provider layer's configuration, with the key decrypted.
    func providerConfiguration(secrets: SecretBox, timeout: Duration) throws(APIError) -> ProviderConfiguration {
        let apiKey = try apiKeyEncrypted.map { (sealed) throws(APIError) in try secrets.open(sealed) } ?? ""
        return ProviderConfiguration(
            kind: kind, baseURL: baseURL, apiKey: apiKey, model: model, timeout: timeout,
            inputPricePerMillion: inputPricePerMillion, outputPricePerMillion: outputPricePerMillion)
    }
}

/// One model call's tokens and cost (table `llm_usage`), written for every call.
final class LLMUsageRecord: Model, @unchecked Sendable {
    static let schema = "llm_usage"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "model_config_id") var modelConfigID: UUID?
    @Field(key: "provider") var provider: String
    @Field(key: "model") var model: String
    @Field(key: "input_tokens") var inputTokens: Int
    @Field(key: "output_tokens") var outputTokens: Int
    @OptionalField(key: "cost") var cost: Double?
    @OptionalField(key: "user_id") var userID: UUID?
    /// What made the call: chat, agent or test.
    @Field(key: "source") var source: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

struct ModelConfigResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let name: String
    let provider: String
    let model: String
    let baseURL: String
    /// The mask only (`sk-…abcd`); the key itself never leaves the server.
    let apiKey: String?
    let maxTokens: Int?
    let temperature: Double?
    let contextTokens: Int?
    let inputPricePerMillion: Double?
    let outputPricePerMillion: Double?
    let isActive: Bool
    let ownerID: UUID?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, provider, model, temperature
        case baseURL = "base_url"
        case apiKey = "api_key"
        case maxTokens = "max_tokens"
        case contextTokens = "context_tokens"
        case inputPricePerMillion = "input_price_per_million"
        case outputPricePerMillion = "output_price_per_million"
        case isActive = "is_active"
        case ownerID = "owner_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ config: ModelConfig) throws {
        id = try config.requireID()
        name = config.name
        provider = config.provider
        model = config.model
        baseURL = config.baseURL
        apiKey = config.apiKeyMask
        maxTokens = config.maxTokens
        temperature = config.temperature
        contextTokens = config.contextTokens
        inputPricePerMillion = config.inputPricePerMillion
        outputPricePerMillion = config.outputPricePerMillion
        isActive = config.isActive
        ownerID = config.ownerID
        createdAt = config.createdAt
        updatedAt = config.updatedAt
    }
}
