import Foundation
import Hummingbird
import Metrics

/// `GET /health` (readiness, used by the container health check): 200 while every
/// required dependency answers, 503 naming the failing check. `GET /health/live`
/// (liveness) answers while the process runs.
struct HealthController {
    let settings: Settings
    let database: DatabaseService
    let cache: FailoverCache
    /// A hung database must not hang the health check past the container's 10 s timeout.
    let checkTimeout: Duration = .seconds(3)

    func register(on router: Router<AppRequestContext>) {
        router.get("/health", use: health)
        router.get("/health/live") { _, _ in LiveReport(status: "alive") }
        router.get("/metrics", use: metrics)
    }

    struct CheckReport: Codable {
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

    struct HealthReport: Codable, ResponseEncodable {
        var status: String
        var service: String
        var version: String
        var environment: String
        var timestamp: Date
        var checks: [String: CheckReport]
    }

    struct LiveReport: Codable, ResponseEncodable {
        var status: String
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        let databaseCheck = await checkDatabase()
        let healthy = databaseCheck.status == "up"
        Gauge(label: "health_check_up", dimensions: [("check", "database")]).record(healthy ? 1 : 0)
        let report = HealthReport(
            status: healthy ? "healthy" : "unhealthy",
            service: "ai-agent-backend",
            version: Settings.version,
            environment: settings.environment.rawValue,
            timestamp: Date(),
            checks: ["database": databaseCheck, "cache": cacheCheck()]
        )
        var response = try context.responseEncoder.encode(report, from: request, context: context)
        response.status = healthy ? .ok : .serviceUnavailable
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// A cache on its memory fallback is degraded, not down: the service keeps working.
    private func cacheCheck() -> CheckReport {
        let status = cache.status
        return CheckReport(status: status.health.rawValue, backend: status.backend.rawValue, reason: status.reason)
    }

    private func checkDatabase() async -> CheckReport {
        let database = self.database
        let timeout = checkTimeout
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

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = AppMetrics.render()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
