import AsyncHTTPClient
import FluentKit
import Foundation
import Logging

/// Who a model call is made for, as written to `llm_usage`.
struct UsageContext: Sendable {
    var userID: UUID?
    var source: UsageSource
}

/// What made a model call: `llm_usage.source`.
enum UsageSource: String, Sendable, CaseIterable {
    case chat, agent, test, generation, embedding
}

/// A configuration as calls use it: the key decrypted, immutable, shared between requests.
struct ActiveModel: Sendable {
    let id: UUID
    let configuration: ProviderConfiguration
    let temperature: Double?
    let maxTokens: Int?
    let contextTokens: Int?

    init(_ config: ModelConfig, secrets: SecretBox, timeout: Duration) throws {
        id = try config.requireID()
        configuration = try config.providerConfiguration(secrets: secrets, timeout: timeout)
        temperature = config.temperature
        maxTokens = config.maxTokens
        contextTokens = config.contextTokens
    }
}

/// Turns stored model configurations into providers whose every call records its usage.
struct LLMGateway: Sendable {
    let configs: ModelConfigRepository
    let usageRecords: LLMUsageRepository
    let secrets: SecretBox
    let logger: Logger
    let httpClient: HTTPClient
    let invalidations: InvalidationBus
    /// `LLM_TIMEOUT_SECONDS`, applied to every call.
    let timeout: Duration
    /// Reading and decrypting the configuration cost more than half a millisecond of every
    /// chat message before the model was even asked. A change drops the entry on every
    /// replica at once; without Redis, other replicas see it within this time.
    static let activeModelTTL: Duration = .seconds(5)
    private let activeModels = ExpiringMap<UUID, ActiveModel>(maxEntries: 1_000)

    init(
        database: DatabaseService, secrets: SecretBox, logger: Logger, httpClient: HTTPClient, invalidations: InvalidationBus,
        timeout: Duration
    ) {
        configs = ModelConfigRepository(database: database)
        usageRecords = LLMUsageRepository(database: database)
        self.secrets = secrets
        self.logger = logger
        self.httpClient = httpClient
        self.invalidations = invalidations
        self.timeout = timeout
        invalidations.subscribe(.modelConfigs, activeModels.invalidate)
    }

    /// `HTTPClient.shared` opens at most 8 connections to a host and queues the rest; streamed
    /// answers hold theirs for their whole length, so one provider host gets many more.
    /// The application's lifecycle shuts it down (`HTTPClientLifecycle`).
    static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 2048)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func provider(for model: ActiveModel, context: UsageContext) -> MeteredProvider {
        MeteredProvider(
            base: model.configuration.makeProvider(httpClient: httpClient, logger: logger),
            recorder: UsageRecorder(usageRecords: usageRecords, model: model, logger: logger), context: context)
    }

    /// Embeddings through an OpenAI or OpenAI-compatible configuration; Anthropic has no embeddings API.
    func embedder(for model: ActiveModel, context: UsageContext, field: String) throws(APIError) -> MeteredEmbeddings {
        guard model.configuration.kind != .anthropic else {
            throw APIError.validation(field: field, "Anthropic has no embeddings API: choose an OpenAI or OpenAI-compatible configuration")
        }
        return MeteredEmbeddings(
            base: OpenAIEmbeddings(configuration: model.configuration, httpClient: httpClient, logger: logger),
            recorder: UsageRecorder(usageRecords: usageRecords, model: model, logger: logger), context: context)
    }

    /// An active configuration by id; `field` names the request field that referred to it.
    func activeModel(_ id: UUID, field: String) async throws -> ActiveModel {
        try await activeModel(id, ifMissing: .missingReference(field: field, "no model configuration with this id"))
    }

    func activeModel(_ id: UUID, ifMissing missing: @autoclosure () -> APIError) async throws -> ActiveModel {
        if let model = activeModels[id] { return model }
        guard let config = try await configs.config(withID: id) else { throw missing() }
        guard config.isActive else { throw APIError.conflict("the model configuration '\(config.name)' is disabled") }
        let model = try ActiveModel(config, secrets: secrets, timeout: timeout)
        activeModels.set(model, for: id, ttl: Self.activeModelTTL)
        return model
    }

    /// After a configuration changed or went, on every replica.
    func forget(_ id: UUID) async {
        await invalidations.publish(.modelConfig(id))
    }
}

struct UsageRecorder: Sendable {
    let usageRecords: LLMUsageRepository
    let configID: UUID?
    let provider: String
    let model: String
    let prices: (input: Double, output: Double)?
    let logger: Logger

    init(usageRecords: LLMUsageRepository, model active: ActiveModel, logger: Logger) {
        self.usageRecords = usageRecords
        configID = active.id
        provider = active.configuration.kind.rawValue
        model = active.configuration.model
        let configuration = active.configuration
        prices = configuration.inputPricePerMillion.flatMap { input in configuration.outputPricePerMillion.map { (input, $0) } }
        self.logger = logger
    }

    func cost(_ usage: Usage) -> Double? {
        prices.map { LLMCost.cost(usage: usage, inputPricePerMillion: $0.input, outputPricePerMillion: $0.output) }
    }

    /// A failed write is logged, never failing the call whose answer the user already has.
    func record(_ usage: Usage, _ context: UsageContext) async {
        let record = LLMUsageRecord()
        record.modelConfigID = configID
        record.provider = provider
        record.model = model
        record.inputTokens = usage.inputTokens
        record.outputTokens = usage.outputTokens
        record.cost = cost(usage)
        record.userID = context.userID
        record.source = context.source.rawValue
        do {
            try await usageRecords.record(record)
        } catch {
            logger.error("llm usage not recorded", metadata: ["error": "\(error)"])
        }
    }
}

/// Records the usage of every completion and stream of the provider it wraps.
struct MeteredProvider: LLMProvider {
    let base: any LLMProvider
    let recorder: UsageRecorder
    let context: UsageContext

    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let response = try await base.complete(request)
        if let usage = response.usage { await recorder.record(usage, context) }
        return response
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, Error> {
        let upstream = UpstreamEvents(base.stream(request))
        let (recorder, context) = (recorder, context)
        // Pulled in the consumer's own task, with no relay task in between; dropping this
        // stream drops `upstream`, which cancels the provider's request.
        return AsyncThrowingStream {
            let event = try await upstream.next()
            if case .usage(let usage)? = event { await recorder.record(usage, context) }
            return event
        }
    }
}

/// The provider stream's iterator, called by the one consumer of the metered stream, one call at a time.
private final class UpstreamEvents: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<ChatStreamEvent, Error>.Iterator

    init(_ stream: AsyncThrowingStream<ChatStreamEvent, Error>) { iterator = stream.makeAsyncIterator() }

    func next() async throws -> ChatStreamEvent? { try await iterator.next() }
}
