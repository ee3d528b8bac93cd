import AsyncHTTPClient
import Hummingbird
import Logging
import Metrics
import RedisClient
import ServiceLifecycle

/// Builds the whole service from its settings; the CLI and the tests both start here.
public func buildApplication(settings: Settings, logger: Logger = Logger(label: "ai-agent-backend")) async throws -> some ApplicationProtocol {
    try await AppServices(settings: settings, logger: logger).makeApplication()
}

/// The service's parts, wired once: tests reach into them (the router's route list,
/// the access rules) while running the same application the CLI runs.
/// `@unchecked`: the router is a class, mutated only while `init` builds it.
struct AppServices: @unchecked Sendable {
    let settings: Settings
    let logger: Logger
    let database: DatabaseService
    let redis: RedisClient?
    let cache: FailoverCache
    let invalidations: InvalidationBus
    let hasher: PasswordHasher
    let access: AccessControl
    let gateway: LLMGateway
    let tools: ToolRegistry
    let agentEgress: EgressClient
    /// API test requests: `TESTING_ALLOWED_HOSTS`, internal addresses refused in production only.
    let testingEgress: EgressClient
    let jobs: JobQueue
    let systemLogs: SystemLogWriter
    /// Filled by the features with the handler of each job kind they enqueue.
    let jobHandlers = JobHandlers()
    /// Nil when `WORKER_CONCURRENCY=0`: this replica only enqueues.
    let jobWorker: JobWorker?
    /// Nil when `SCHEDULER_INTERVAL_MS=0`: this replica fires no schedules.
    let scheduler: Scheduler?
    /// pgvector where the database has it, else exact search in process; chosen at start.
    let vectorSearch: VectorSearchSelection
    /// Retrieval over knowledge bases, for chat, agents and test generation.
    let grounding: KnowledgeGrounding
    let catalog: RouteCatalog
    let contract: APIContract
    /// Nil when `CONSOLE_DIR` does not exist.
    let console: ConsoleAssets?
    let router: Router<AppRequestContext>

    init(settings: Settings, logger: Logger) async throws {
        if settings.enableMetrics { AppMetrics.bootstrap() }
        // WARNING-and-above records also go to `system_logs`, written by `systemLogs` off the request path.
        let systemLogBuffer = SystemLogBuffer(capacity: 10_000)
        var writerLogger = logger
        writerLogger.logLevel = settings.logLevel
        let logger = writerLogger.capturing(into: systemLogBuffer)
        self.settings = settings
        self.logger = logger
        database = try DatabaseService(settings: settings, logger: logger)
        if settings.enableMetrics {
            Gauge(label: "database_pool_size").record(database.poolSize)
        }
        redis = settings.redisEnabled ? try RedisClient(configuration: Self.redisConfiguration(settings), logger: logger) : nil
        cache = FailoverCache(
            configuration: CacheConfiguration(
                keyPrefix: settings.cachePrefix, defaultTTL: settings.cacheTTL,
                memoryMaxEntries: settings.cacheMemoryMaxEntries, redisEnabled: settings.redisEnabled),
            redis: redis,
            logger: logger
        )
        invalidations = InvalidationBus(redis: redis, channel: settings.cachePrefix + "invalidations", logger: logger)
        hasher = PasswordHasher(cost: settings.bcryptCost)
        let tokens = await TokenService(
            secret: settings.secretKey, cache: cache, revocations: RevocationStore(database: database),
            invalidations: invalidations, accessLifetime: settings.accessTokenLifetime, refreshLifetime: settings.refreshTokenLifetime)
        // A cache that was unreachable lost the revocations written meanwhile.
        cache.onRecovery { try? await tokens.republishRevocations() }
        access = AccessControl(
            tokens: tokens, database: database, cache: cache, trustedProxies: TrustedProxies(settings.trustedProxies),
            invalidations: invalidations)
        // Created last: an HTTP client must be shut down, which only the running application does.
        gateway = LLMGateway(
            database: database, secrets: SecretBox(settings: settings), logger: logger, httpClient: LLMGateway.makeHTTPClient(),
            invalidations: invalidations, timeout: settings.llmTimeout)
        agentEgress = EgressClient(
            policy: EgressPolicy(
                allowlist: settings.agentHTTPAllowlist, settingName: "AGENT_HTTP_ALLOWLIST",
                internalAddresses: .refused, ownAddresses: EgressPolicy.interfaceAddresses()))
        testingEgress = EgressClient(
            policy: EgressPolicy(
                allowlist: settings.testingAllowedHosts, settingName: "TESTING_ALLOWED_HOSTS",
                internalAddresses: settings.environment == .production ? .refused : .allowed, ownAddresses: EgressPolicy.interfaceAddresses()),
            allowsUnverifiedTLS: true)
        let knowledge = KnowledgeRepository(database: database)
        vectorSearch = VectorSearchSelection(database: database, repository: knowledge)
        grounding = KnowledgeGrounding(
            repository: knowledge, search: KnowledgeSearch(repository: knowledge, vectors: vectorSearch, gateway: gateway))
        tools = ToolRegistry.builtIn(settings: settings, egress: agentEgress, knowledge: grounding)
        jobs = JobQueue(database: database)
        systemLogs = SystemLogWriter(
            buffer: systemLogBuffer, repository: SystemLogRepository(database: database), retentionDays: settings.systemLogRetentionDays,
            logger: writerLogger)
        let workerConfiguration = JobWorkerConfiguration(settings: settings)
        jobWorker =
            workerConfiguration.slots > 0
            ? JobWorker(queue: jobs, handlers: jobHandlers, configuration: workerConfiguration, logger: logger) : nil
        let (database, jobs) = (database, jobs)
        scheduler = settings.schedulerInterval.map { Scheduler(database: database, jobs: jobs, interval: $0, logger: logger) }
        catalog = RouteCatalog()
        contract = APIContract()
        console = try ConsoleAssets.load(directory: settings.consoleDirectory)
        if console == nil { logger.warning("no web console: CONSOLE_DIR does not exist", metadata: ["path": "\(settings.consoleDirectory)"]) }
        router = buildRouter(
            settings: settings, database: database, cache: cache, access: access, catalog: catalog, contract: contract, console: console,
            hasher: hasher, gateway: gateway, tools: tools, invalidations: invalidations, grounding: grounding, systemLogs: systemLogs,
            logger: logger,
            runs: .init(
                jobs: jobs, handlers: jobHandlers, egress: testingEgress, maxBodyBytes: settings.testingMaxBodyBytes,
                notificationRetryDelays: settings.notificationRetryDelays, generationRepairRounds: settings.generationRepairRounds,
                generationMaxTokens: settings.generationMaxTokens))
    }

    /// Short timeouts: a Redis that stops answering should send requests to the memory
    /// cache within a second, not after the client's default five.
    static func redisConfiguration(_ settings: Settings) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: settings.redisURL, password: settings.redisPassword)
        configuration.connectTimeout = .seconds(1)
        configuration.commandTimeout = .seconds(1)
        return configuration
    }

    func makeApplication() -> some ApplicationProtocol {
        let connections = UnservedConnections()
        var app = Application(
            router: router,
            server: connections.http1(configuration: .init(additionalChannelHandlers: [QuiesceGraceHandler()])),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
            logger: logger
        )
        app.addServices(
            DatabaseLifecycle(database: database), CacheLifecycle(cache: cache, redis: redis), invalidations, HasherLifecycle(hasher: hasher),
            HTTPClientLifecycle(client: gateway.httpClient), agentEgress, testingEgress, systemLogs)
        // Added last, so stopped first once the HTTP server has: the connections it never took
        // are served, and running jobs end or are released, while the database is open.
        if let jobWorker { app.addServices(jobWorker) }
        if let scheduler { app.addServices(scheduler) }
        app.addServices(UnservedConnectionsLifecycle(connections: connections, logger: logger))
        let (settings, logger, database, cache, hasher, jobWorker, scheduler, systemLogs, vectorSearch) = (
            settings, logger, database, cache, hasher, jobWorker, scheduler, systemLogs, vectorSearch
        )
        app.beforeServerStarts {
            logger.info(
                "starting",
                metadata: [
                    "environment": "\(settings.environment.rawValue)", "database": "\(database.url.redacted)", "version": "\(Settings.version)",
                ])
            await cache.probeAtStart()
            // The seed's lifespan hook: bring the schema to head before taking traffic.
            if settings.autoMigrate {
                // A SIGTERM while the database is still away stops the wait at once.
                try await cancelWhenGracefulShutdown { try await database.waitUntilReachable(timeout: settings.databaseConnectTimeout) }
                let applied = try await SchemaMigrator(database: database, logger: logger).upgrade()
                logger.info("schema at head", metadata: ["applied": "\(applied.count)"])
                try await IdentitySeeder(database: database, hasher: hasher, adminPassword: settings.adminPassword, logger: logger).seedIfEmpty()
            }
            // After the migrations, which install pgvector where they can.
            await vectorSearch.select(logger: logger)
            systemLogs.startWriting()
            jobWorker?.startClaiming()
            scheduler?.startFiring()
        }
        return app
    }
}

func buildRouter(
    settings: Settings, database: DatabaseService, cache: FailoverCache, access: AccessControl, catalog: RouteCatalog,
    contract: APIContract, console: ConsoleAssets?, hasher: PasswordHasher, gateway: LLMGateway, tools: ToolRegistry,
    invalidations: InvalidationBus, grounding: KnowledgeGrounding, systemLogs: SystemLogWriter, logger: Logger, runs: APITestingRoutes.RunServices
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    // Filled after the routes are added; ErrorMiddleware reads the table to answer 405,
    // the contract check and the OpenAPI controller read the document.
    let routeTable = RouteTableBox()
    router.add(middleware: RequestObservationMiddleware(maxBodySize: settings.maxBodySize, metrics: settings.enableMetrics ? HTTPMetrics() : nil))
    router.add(middleware: CORSMiddleware(allowedOrigins: Set(settings.corsOrigins)))
    if settings.validateResponses { router.add(middleware: ResponseContractMiddleware(contract: contract)) }
    router.add(middleware: ErrorMiddleware(routes: routeTable))
    if let console { router.add(middleware: ConsoleMiddleware(assets: console)) }
    HealthController(
        probe: HealthProbe(settings: settings, database: database, cache: cache, vectors: grounding.search.vectors),
        metricsEnabled: settings.enableMetrics,
        metricsToken: settings.metricsToken
    )
    .register(on: router, catalog: catalog)
    let openAPI = OpenAPIController(contract: contract)
    openAPI.registerReference(on: router, catalog: catalog)
    // One of each, shared by the controllers: a repository's caches serve every route.
    let users = UserRepository(database: database, invalidations: invalidations)
    let roles = RoleRepository(database: database)
    let menus = MenuRepository(database: database)
    let departments = DepartmentRepository(database: database)
    let auditLogs = AuditLogRepository(database: database)
    let agents = AgentRepository(database: database)
    let apiGroup = router.group("api/v1").add(middleware: AuditMiddleware(auditLogs: auditLogs, trustedProxies: access.trustedProxies))
    let api = SecuredRoutes(
        group: apiGroup, basePath: "/api/v1", access: access, catalog: catalog, rateLimiter: RateLimiter(cache: cache, settings: settings))
    AuthController(users: users, menus: menus, profileBodies: ProfileBodies(), access: access, hasher: hasher, cache: cache, settings: settings)
        .register(on: api)
    AccessTokensController(tokens: AccessTokenRepository(database: database), users: users, access: access).register(on: api)
    UsersController(users: users, roles: roles, departments: departments, access: access, hasher: hasher, settings: settings).register(on: api)
    RolesController(roles: roles, menus: menus, access: access).register(on: api)
    MenusController(menus: menus, access: access).register(on: api)
    DepartmentsController(departments: departments).register(on: api)
    AuditController(auditLogs: auditLogs).register(on: api)
    SystemSettingsController(systemSettings: SystemSettingRepository(database: database), secrets: SecretBox(settings: settings)).register(on: api)
    ModelsController(configs: gateway.configs, agents: agents, gateway: gateway).register(on: api)
    UsageController(usage: gateway.usageRecords).register(on: api)
    DashboardController(queries: DashboardQueries(database: database), usage: gateway.usageRecords).register(on: api)
    SystemLogsController(logs: systemLogs.repository, writer: systemLogs).register(on: api)
    AgentsController(agents: agents, configs: gateway.configs, gateway: gateway, tools: tools).register(on: api)
    ChatController(
        sessions: ChatSessionRepository(database: database, invalidations: invalidations), agents: agents, gateway: gateway, tools: tools,
        grounding: grounding, contextTokens: settings.chatContextTokens
    ).register(on: api)
    APITestingRoutes.register(
        on: api, database: database, secretBox: SecretBox(settings: settings), gateway: gateway, grounding: grounding, runs: runs)
    KnowledgeRoutes.register(on: api, search: grounding.search, runs: runs, uploadDirectory: settings.uploadDirectory, logger: logger)
    openAPI.register(on: api)
    let routes = router.routes.map { (method: $0.method.rawValue, path: RequestObservationMiddleware.routeLabel($0.path.description)) }
    routeTable.set(RouteTable(routes))
    contract.complete(with: catalog.all)
    return router
}

/// Probes Redis in the background while the cache serves from memory; closes the
/// Redis connections at shutdown.
struct CacheLifecycle: Service {
    static let probeInterval: Duration = .seconds(2)
    let cache: FailoverCache
    let redis: RedisClient?

    func run() async throws {
        await cancelWhenGracefulShutdown { await cache.runProbe(interval: Self.probeInterval) }
        await redis?.close()
    }
}

struct HasherLifecycle: Service {
    let hasher: PasswordHasher

    func run() async throws {
        try? await gracefulShutdown()
        try await hasher.pool.shutdownGracefully()
    }
}

/// Shuts an HTTP client down once the HTTP server has drained.
struct HTTPClientLifecycle: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

/// Closes the database pools after the HTTP server has drained (services stop in reverse order).
struct DatabaseLifecycle: Service {
    let database: DatabaseService

    func run() async throws {
        try? await gracefulShutdown()
        await database.shutdown()
    }
}
