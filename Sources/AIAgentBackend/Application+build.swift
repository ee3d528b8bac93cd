import Hummingbird
import Logging
import Metrics
import ServiceLifecycle

/// Builds the whole service from its settings; the CLI and the tests both start here.
public func buildApplication(settings: Settings, logger: Logger = Logger(label: "ai-agent-backend")) async throws -> some ApplicationProtocol {
    if settings.enableMetrics { AppMetrics.bootstrap() }
    let logger = {
        var logger = logger
        logger.logLevel = settings.logLevel
        return logger
    }()

    let database = try DatabaseService(settings: settings, logger: logger)
    if settings.enableMetrics {
        Gauge(label: "database_pool_size").record(database.poolSize)
    }
    let router = buildRouter(settings: settings, database: database)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
        logger: logger
    )
    app.addServices(DatabaseLifecycle(database: database))
    app.beforeServerStarts {
        logger.info("starting", metadata: [
            "environment": "\(settings.environment.rawValue)", "database": "\(database.url.redacted)", "version": "\(Settings.version)",
        ])
        // The seed's lifespan hook: bring the schema to head before taking traffic.
        if settings.autoMigrate {
            try await database.waitUntilReachable(timeout: settings.databaseConnectTimeout)
            let applied = try await Migrator(database: database, logger: logger).upgrade()
            logger.info("schema at head", metadata: ["applied": "\(applied.count)"])
        }
    }
    return app
}

func buildRouter(settings: Settings, database: DatabaseService) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    // Filled after the routes are added; ErrorMiddleware reads it to answer 405.
    let routeTable = RouteTableBox()
    router.add(middleware: RequestObservationMiddleware(maxBodySize: settings.maxBodySize, recordMetrics: settings.enableMetrics))
    router.add(middleware: ErrorMiddleware(routes: routeTable))
    HealthController(settings: settings, database: database).register(on: router)
    let api = router.group("api/v1")
    SystemSettingsController(database: database).register(on: api)
    routeTable.set(RouteTable(router.routes))
    return router
}

/// Closes the database pools after the HTTP server has drained (services stop in reverse order).
struct DatabaseLifecycle: Service {
    let database: DatabaseService

    func run() async throws {
        try? await gracefulShutdown()
        await database.shutdown()
    }
}
