import FluentKit
import Foundation
import Hummingbird

/// `/api/v1/models`: provider configurations, shared by every user allowed to read them.
struct ModelsController {
    let configs: ModelConfigRepository
    let agents: AgentRepository
    let gateway: LLMGateway

    func register(on routes: SecuredRoutes) {
        let models = routes.group("models")
        models.get(
            .permission(.modelRead),
            RouteContract(
                "List model configurations", query: QueryParameter.paging + [.oneOf("provider", ProviderConfiguration.Kind.self)],
                returns: ListPage<ModelConfigResponse>.self), use: list)
        models.post(
            .permission(.modelCreate),
            RouteContract(
                "Create a model configuration", body: ModelInput.self, as: "ModelCreate",
                requiring: ["name", "provider", "model"], returns: ModelConfigResponse.self,
                status: .created
            ).bodyMatching(anyOf: ModelInput.keyUnlessCompatible), use: create)
        models.get(":id", .permission(.modelRead), RouteContract("Get a model configuration", returns: ModelConfigResponse.self), use: get)
        models.put(
            ":id", .permission(.modelUpdate),
            RouteContract(
                "Update a model configuration",
                description: "Changing base_url drops the stored API key unless api_key comes with it; an empty api_key removes the key.",
                body: ModelInput.self, as: "ModelUpdate", omitting: ["provider"], returns: ModelConfigResponse.self), use: update)
        models.delete(":id", .permission(.modelDelete), RouteContract("Delete a model configuration", errors: [.conflict]), use: delete)
        models.post(":id/test", .permission(.modelTest), RouteContract("Test the connection to the provider", returns: TestResult.self), use: test)
    }

    /// Create takes every field; update only those present (`api_key: ""` removes the key).
    /// Changing `base_url` without `api_key` removes the stored key.
    struct ModelInput: Decodable {
        var name: String?
        var provider: String?
        var model: String?
        var baseURL: String?
        var apiKey: String?
        var maxTokens: Int?
        var temperature: Double?
        var contextTokens: Int?
        var inputPricePerMillion: Double?
        var outputPricePerMillion: Double?
        var isActive: Bool?

        enum CodingKeys: String, CodingKey {
            case name, provider, model, temperature
            case baseURL = "base_url"
            case apiKey = "api_key"
            case maxTokens = "max_tokens"
            case contextTokens = "context_tokens"
            case inputPricePerMillion = "input_price_per_million"
            case outputPricePerMillion = "output_price_per_million"
            case isActive = "is_active"
        }
    }

    struct TestResult: Codable, ResponseEncodable {
        let ok: Bool
        let latencyMs: Double
        let error: String?
        enum CodingKeys: String, CodingKey {
            case ok, error
            case latencyMs = "latency_ms"
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<ModelConfigResponse> {
        let page = try ListQuery(request)
        let (items, total) = try await configs.list(
            provider: try request.enumParameter("provider", as: ProviderConfiguration.Kind.self)?.rawValue, page)
        return ListPage(items: try items.map(ModelConfigResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> ModelConfigResponse {
        try ModelConfigResponse(try await configs.find(context.parameters.require("id", as: UUID.self)))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ModelConfigResponse> {
        let input = try await request.decodeJSON(as: ModelInput.self, context: context)
        guard let provider = input.provider else { throw APIError.validation(field: "provider", "is required") }
        guard let kind = ProviderConfiguration.Kind(rawValue: provider) else {
            throw APIError.validation(
                field: "provider", "must be one of \(ProviderConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard input.name != nil else { throw APIError.validation(field: "name", "is required") }
        guard input.model != nil else { throw APIError.validation(field: "model", "is required") }
        // Only OpenAI-compatible servers (Ollama, vLLM...) may run without a key.
        if kind != .openaiCompatible, (input.apiKey ?? "").isEmpty {
            throw APIError.validation(field: "api_key", "is required for \(kind.rawValue)")
        }
        let config = ModelConfig()
        config.provider = kind.rawValue
        config.isActive = true
        config.ownerID = try context.requirePrincipal().userID
        try await apply(input, to: config)
        try await configs.create(config)
        context.audit?.resourceID = config.id?.uuidString
        return EditedResponse(status: .created, response: try ModelConfigResponse(config))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> ModelConfigResponse {
        let config = try await configs.find(context.parameters.require("id", as: UUID.self))
        let input = try await request.decodeJSON(as: ModelInput.self, context: context)
        if let provider = input.provider, provider != config.provider {
            throw APIError.validation(field: "provider", "cannot be changed; create another configuration")
        }
        // A key belongs to the endpoint it was entered for: sending it to a new base URL would
        // hand it to whoever runs that URL, so moving the configuration needs the key again.
        if input.apiKey == nil, let baseURL = input.baseURL, ProviderConfiguration.normalizedBaseURL(baseURL, kind: config.kind) != config.baseURL {
            config.apiKeyEncrypted = nil
            config.apiKeyMask = nil
        }
        try await apply(input, to: config)
        try await configs.save(config)
        await gateway.forget(try config.requireID())
        return try ModelConfigResponse(config)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let config = try await configs.find(context.parameters.require("id", as: UUID.self))
        let agentCount = try await agents.count(usingModelConfig: config.requireID())
        guard agentCount == 0 else { throw APIError.conflict("\(agentCount) agent(s) use this model configuration; change them first") }
        try await configs.delete(config)
        await gateway.forget(try config.requireID())
        return Response(status: .noContent)
    }

    /// A real one-token call; `error` is the start of the failure (see `shortError`).
    @Sendable func test(_ request: Request, context: AppRequestContext) async throws -> TestResult {
        let config = try await configs.find(context.parameters.require("id", as: UUID.self))
        let model = try ActiveModel(config, secrets: gateway.secrets, timeout: gateway.timeout)
        let provider = gateway.provider(for: model, context: UsageContext(userID: context.principal?.userID, source: .test))
        let result = await provider.testConnection()
        return TestResult(
            ok: result.ok, latencyMs: (result.latencyMs * 100).rounded() / 100,
            error: result.error.map { Self.shortError($0, hiding: model.configuration.apiKey) })
    }

    static let errorLimit = 120

    /// The base URL may point anywhere, so the test must not relay what the target answered:
    /// the error (which starts with the HTTP status) is cut to `errorLimit` printable characters,
    /// with the key masked should the target echo it.
    static func shortError(_ error: String, hiding apiKey: String) -> String {
        var text = apiKey.isEmpty ? error : error.replacingOccurrences(of: apiKey, with: SecretBox.mask(apiKey))
        let unprintable: Set<Unicode.GeneralCategory> = [.control, .format, .privateUse, .surrogate, .unassigned]
        let scalars = text.unicodeScalars.compactMap { scalar -> Unicode.Scalar? in
            if scalar.properties.isWhitespace { return " " }
            return unprintable.contains(scalar.properties.generalCategory) ? nil : scalar
        }
        text = String(String.UnicodeScalarView(scalars)).split(separator: " ").joined(separator: " ")
        return text.count > errorLimit ? String(text.prefix(errorLimit - 1)) + "…" : text
    }

    private func apply(_ input: ModelInput, to config: ModelConfig) async throws {
        if let name = input.name {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard (1...100).contains(trimmed.unicodeScalars.count) else { throw APIError.validation(field: "name", "must be 1 to 100 characters") }
            if try await configs.isTaken(name: trimmed, byOtherThan: config) {
                throw APIError.conflict("a model configuration named '\(trimmed)' exists")
            }
            config.name = trimmed
        }
        if let model = input.model {
            guard !model.trimmingCharacters(in: .whitespaces).isEmpty, model.unicodeScalars.count <= 200 else {
                throw APIError.validation(field: "model", "must be 1 to 200 characters")
            }
            config.model = model.trimmingCharacters(in: .whitespaces)
        }
        if input.baseURL != nil || config.$baseURL.value == nil {
            let normalized = ProviderConfiguration.normalizedBaseURL(input.baseURL, kind: config.kind)
            guard let url = URL(string: normalized), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw APIError.validation(field: "base_url", "must be an http(s) URL")
            }
            config.baseURL = normalized
        }
        if let apiKey = input.apiKey?.trimmingCharacters(in: .whitespacesAndNewlines) {
            // On an update, an empty key removes the stored one (the connection test then says so).
            if apiKey.isEmpty, config.kind != .openaiCompatible, config.id == nil {
                throw APIError.validation(field: "api_key", "is required for \(config.provider)")
            }
            config.apiKeyEncrypted = apiKey.isEmpty ? nil : try gateway.secrets.seal(apiKey)
            config.apiKeyMask = apiKey.isEmpty ? nil : SecretBox.mask(apiKey)
        }
        if let maxTokens = input.maxTokens { config.maxTokens = try APIError.checked(maxTokens, field: "max_tokens", in: 1...1_000_000) }
        if let temperature = input.temperature { config.temperature = try APIError.checked(temperature, field: "temperature", in: 0...2) }
        if let contextTokens = input.contextTokens {
            config.contextTokens = try APIError.checked(contextTokens, field: "context_tokens", in: 256...10_000_000)
        }
        for (field, price) in [("input_price_per_million", input.inputPricePerMillion), ("output_price_per_million", input.outputPricePerMillion)] {
            if let price, !(price >= 0 && price.isFinite) { throw APIError.validation(field: field, "must be a number ≥ 0") }
        }
        if let price = input.inputPricePerMillion { config.inputPricePerMillion = price }
        if let price = input.outputPricePerMillion { config.outputPricePerMillion = price }
        if let isActive = input.isActive { config.isActive = isActive }
    }
}

extension ModelsController.ModelInput: LongTextInput {
    static let maxLengths = ["base_url": 2_000, "api_key": 1_000]
}

extension ModelsController.ModelInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100, nonBlank: true),
        "provider": .enumeration(ProviderConfiguration.Kind.allCases.map(\.rawValue)),
        "model": .text(1...200, nonBlank: true),
        // What `URL` parses with a host: RFC 3986 characters only, a port up to 65535.
        "base_url": .string(maxLength: 2_000, pattern: Self.baseURLPattern),
        "api_key": .text(0...1_000),
        "max_tokens": .integer(minimum: 1, maximum: 1_000_000),
        "temperature": .number(minimum: 0, maximum: 2),
        "context_tokens": .integer(minimum: 256, maximum: 10_000_000),
        "input_price_per_million": .number(minimum: 0), "output_price_per_million": .number(minimum: 0),
    ]

    static let baseURLPattern =
        "^$|^https?://([A-Za-z0-9._~%!$&'()*+,;=-]+(:[A-Za-z0-9._~%!$&'()*+,;=-]*)?@)?[A-Za-z0-9][A-Za-z0-9.-]*"
        + "(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$"

    /// At creation a key is required, except by OpenAI-compatible servers (Ollama, vLLM…).
    static let keyUnlessCompatible: [JSONSchema] = [
        .object(["provider": .enumeration([ProviderConfiguration.Kind.openaiCompatible.rawValue])], required: ["provider"]),
        .object(["api_key": .text(1...1_000, nonBlank: true)], required: ["api_key"]),
    ]
}
