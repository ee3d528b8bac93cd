import Crypto
import Foundation
import Hummingbird
import Metrics
import Synchronization

/// `GET /health` (readiness, used by the container health check): 200 while every
/// required dependency answers, 503 naming the failing check. `GET /health/live`
/// (liveness) answers while the process runs. `GET /metrics` for Prometheus, unless
/// `ENABLE_METRICS=false`: then it is an unknown route (404).
struct HealthController {
    let probe: HealthProbe
    let metricsEnabled: Bool
    let metricsToken: String?

    func register(on router: Router<AppRequestContext>, catalog: RouteCatalog) {
        router.get("/health", use: health)
        router.get("/health/live") { _, _ in LiveReport(status: "alive") }
        if metricsEnabled { router.get("/metrics", use: metrics) }
        catalog.add(
            RouteDeclaration(
                method: .get, path: "/health", access: .anyone,
                contract: RouteContract(
                    "Readiness",
                    description: "200 while every required dependency answers, 503 naming the failing check (the container health check).",
                    returns: HealthProbe.Report.self, alsoFor: [.serviceUnavailable])))
        catalog.add(
            RouteDeclaration(
                method: .get, path: "/health/live", access: .anyone,
                contract: RouteContract(
                    "Liveness: answers while the process runs", returns: LiveReport.self)))
        if metricsEnabled {
            catalog.add(
                RouteDeclaration(
                    method: .get, path: "/metrics", access: .anyone,
                    contract: RouteContract(
                        "Prometheus metrics", description: "With METRICS_TOKEN set, needs it as a bearer token.",
                        success: .media("text/plain", description: "Prometheus text exposition format"), errors: [.unauthorized])))
        }
    }

    struct LiveReport: Codable, ResponseEncodable {
        var status: String
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        let snapshot = await probe.snapshot()
        return Response(
            status: snapshot.healthy ? .ok : .serviceUnavailable,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: snapshot.body)
        )
    }

    /// With `METRICS_TOKEN` set, Prometheus presents it as a bearer token.
    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = metricsToken {
            let presented = request.headers[.authorization].flatMap(AccessControl.bearerToken) ?? ""
            guard SHA256.hash(data: Data(presented.utf8)) == SHA256.hash(data: Data(token.utf8)) else {
                var error = AuthError.missingToken.apiError
                error.message = "the metrics need the bearer token of METRICS_TOKEN"
                throw error
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: AppMetrics.render()))
        )
    }
}

/// Runs the health checks and encodes the report. Concurrent probes share one run and
/// its result is reused for `maxAge`, so a flood of health checks costs the database one
/// query a second instead of queueing behind each other (SQLite has one connection).
final class HealthProbe: Sendable {
    struct CheckReport: Codable, Sendable {
        var status: String
        var latencyMs: Double?
        var error: String?
        var backend: String?
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case status, error, backend, reason
            case latencyMs = "latency_ms"
        }
    }

    struct Report: Codable {
        var status: String
        var service: String
        var version: String
        var environment: String
        var timestamp: Date
        var checks: [String: CheckReport]
    }

    struct Snapshot: Sendable {
        let healthy: Bool
        let body: ByteBuffer
        let at: ContinuousClock.Instant
    }

    private struct State {
        var last: Snapshot?
        var inFlight: Task<Snapshot, Never>?
    }

    let settings: Settings
    let database: DatabaseService
    let cache: FailoverCache
    let maxAge: Duration
    /// The knowledge bases' vector search, chosen at start: its name and why.
    let vectors: any VectorSearchBackend
    /// A hung database must not hang the health check past the container's 10 s timeout.
    let timeout: Duration
    private let state = Mutex(State())

    init(
        settings: Settings, database: DatabaseService, cache: FailoverCache, vectors: any VectorSearchBackend, maxAge: Duration = .seconds(1),
        timeout: Duration = .seconds(3)
    ) {
        self.settings = settings
        self.vectors = vectors
        self.database = database
        self.cache = cache
        self.maxAge = maxAge
        self.timeout = timeout
    }

    func snapshot() async -> Snapshot {
        enum Next { case ready(Snapshot), wait(Task<Snapshot, Never>) }
        let now = ContinuousClock.now
        let next: Next = state.withLock { state in
            if let last = state.last, now - last.at < maxAge { return .ready(last) }
            if let inFlight = state.inFlight { return .wait(inFlight) }
            let task = Task { await self.run() }
            state.inFlight = task
            return .wait(task)
        }
        switch next {
        case .ready(let snapshot): return snapshot
        case .wait(let task): return await task.value
        }
    }

    private func run() async -> Snapshot {
        let databaseCheck = await checkDatabase()
        let healthy = databaseCheck.status == "up"
        Gauge(label: "health_check_up", dimensions: [("check", "database")]).record(healthy ? 1 : 0)
        // A cache on its memory fallback is degraded, not down: the service keeps working.
        let cacheStatus = cache.status
        let report = Report(
            status: healthy ? "healthy" : "unhealthy",
            service: "ai-agent-backend",
            version: Settings.version,
            environment: settings.environment.rawValue,
            timestamp: Date(),
            checks: [
                "database": databaseCheck,
                "cache": CheckReport(status: cacheStatus.health.rawValue, backend: cacheStatus.backend.rawValue, reason: cacheStatus.reason),
                "vector_search": CheckReport(status: "up", backend: vectors.name, reason: vectors.reason),
            ]
        )
        let body = (try? JSONCoding.encoder.encode(report)).map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
        let snapshot = Snapshot(healthy: healthy, body: body, at: .now)
        state.withLock { $0 = State(last: snapshot, inFlight: nil) }
        return snapshot
    }

    private func checkDatabase() async -> CheckReport {
        let (database, timeout) = (self.database, self.timeout)
        do {
            let latency = try await withThrowingTaskGroup(of: Duration?.self) { group in
                group.addTask { try await database.ping() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            guard let latency else { return CheckReport(status: "down", error: "timed out after \(timeout)") }
            return CheckReport(status: "up", latencyMs: (latency.secondsDouble * 100_000).rounded() / 100)
        } catch {
            // The kind of failure only: connection strings and SQL stay in the server log.
            return CheckReport(status: "down", error: "database unreachable")
        }
    }
}
