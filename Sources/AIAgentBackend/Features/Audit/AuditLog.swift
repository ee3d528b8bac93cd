import FluentKit
import Foundation
import Hummingbird
import Synchronization

final class AuditLog: Model, @unchecked Sendable {
    static let schema = "audit_logs"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "user_id") var userID: UUID?
    @OptionalField(key: "username") var username: String?
    @Field(key: "action") var action: String
    @Field(key: "resource_type") var resourceType: String
    @OptionalField(key: "resource_id") var resourceID: String?
    @Field(key: "method") var method: String
    @Field(key: "route") var route: String
    @Field(key: "status") var status: Int
    @OptionalField(key: "ip") var ip: String?
    @OptionalField(key: "user_agent") var userAgent: String?
    @Field(key: "duration_ms") var durationMs: Double
    @OptionalField(key: "summary") var summary: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

extension AuditLog {
    /// A record of `request` as the API answered it; the caller adds who acted, the action and the resource.
    convenience init(_ request: Request, _ context: AppRequestContext, trustedProxies: TrustedProxies, status: Int) {
        self.init()
        method = request.method.rawValue
        route = RequestObservationMiddleware.routeLabel(context.endpointPath)
        self.status = status
        ip = trustedProxies.clientAddress(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor])
        userAgent = request.headers[.userAgent].map { String($0.prefix(500)) }
        durationMs = 0
        createdAt = Date()
    }
}

/// What the handler of a mutating request tells the audit record: who acted (when the
/// token check or a login established it) and which resource was created.
final class AuditTrail: Sendable {
    private struct State {
        var principal: Principal?
        var resourceID: String?
    }
    private let state = Mutex(State())

    var principal: Principal? {
        get { state.withLock { $0.principal } }
        set { state.withLock { $0.principal = newValue } }
    }

    var resourceID: String? {
        get { state.withLock { $0.resourceID } }
        set { state.withLock { $0.resourceID = newValue } }
    }
}

struct AuditLogResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let userID: UUID?
    let username: String?
    let action: String
    let resourceType: String
    let resourceID: String?
    let method: String
    let route: String
    let status: Int
    let ip: String?
    let userAgent: String?
    let durationMs: Double
    let summary: String?
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, username, action, method, route, status, ip, summary
        case userID = "user_id"
        case resourceType = "resource_type"
        case resourceID = "resource_id"
        case userAgent = "user_agent"
        case durationMs = "duration_ms"
        case createdAt = "created_at"
    }

    init(_ log: AuditLog) throws {
        id = try log.requireID()
        userID = log.userID
        username = log.username
        action = log.action
        resourceType = log.resourceType
        resourceID = log.resourceID
        method = log.method
        route = log.route
        status = log.status
        ip = log.ip
        userAgent = log.userAgent
        durationMs = log.durationMs
        summary = log.summary
        createdAt = log.createdAt
    }
}
