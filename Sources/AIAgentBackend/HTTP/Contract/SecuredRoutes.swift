import HTTPTypes
import Hummingbird
import Synchronization

/// Every route the service declares, with its access and contract: the source of the
/// OpenAPI document, the route-walking permission test and the response check.
final class RouteCatalog: Sendable {
    private let declarations = Mutex<[RouteDeclaration]>([])
    private let index = Mutex<[String: Int]>([:])

    func add(_ declaration: RouteDeclaration) {
        declarations.withLock { declarations in
            index.withLock { $0["\(declaration.method.rawValue) \(declaration.path)"] = declarations.count }
            declarations.append(declaration)
        }
    }

    var all: [RouteDeclaration] { declarations.withLock { $0 } }

    /// The declaration of a route, by method and template (`/api/v1/users/:id`).
    func declaration(_ method: HTTPRequest.Method, _ path: String) -> RouteDeclaration? {
        guard let position = index.withLock({ $0["\(method.rawValue) \(path)"] }) else { return nil }
        return declarations.withLock { $0[position] }
    }
}

/// Registers routes with their access and contract: the access check runs before the
/// handler, and the declaration goes into the `RouteCatalog`.
///
///     users.get(":id", .permission(.userRead), RouteContract("Get a user", returns: UserResponse.self), use: get)
struct SecuredRoutes {
    let group: RouterGroup<AppRequestContext>
    let basePath: String
    let access: AccessControl
    let catalog: RouteCatalog
    /// Counts the routes whose contract names a rate limit; none counted when nil.
    var rateLimiter: RateLimiter? = nil

    func group(_ path: String) -> SecuredRoutes {
        SecuredRoutes(
            group: group.group(RouterPath(path)), basePath: Self.join(basePath, path), access: access, catalog: catalog, rateLimiter: rateLimiter)
    }

    typealias Handler<Output: ResponseGenerator> = @Sendable (Request, AppRequestContext) async throws -> Output

    func get(_ path: String, _ requirement: Access, _ contract: RouteContract, use handler: @escaping Handler<some ResponseGenerator>) {
        on(path, .get, requirement, contract, handler)
    }

    func get(_ requirement: Access, _ contract: RouteContract, use handler: @escaping Handler<some ResponseGenerator>) {
        on("", .get, requirement, contract, handler)
    }

    func post(_ path: String, _ requirement: Access, _ contract: RouteContract, use handler: @escaping Handler<some ResponseGenerator>) {
        on(path, .post, requirement, contract, handler)
    }

    func post(_ requirement: Access, _ contract: RouteContract, use handler: @escaping Handler<some ResponseGenerator>) {
        on("", .post, requirement, contract, handler)
    }

    func put(_ path: String, _ requirement: Access, _ contract: RouteContract, use handler: @escaping Handler<some ResponseGenerator>) {
        on(path, .put, requirement, contract, handler)
    }

    func put(_ requirement: Access, _ contract: RouteContract, use handler: @escaping Handler<some ResponseGenerator>) {
        on("", .put, requirement, contract, handler)
    }

    func delete(_ path: String, _ requirement: Access, _ contract: RouteContract, use handler: @escaping Handler<some ResponseGenerator>) {
        on(path, .delete, requirement, contract, handler)
    }

    func delete(_ requirement: Access, _ contract: RouteContract, use handler: @escaping Handler<some ResponseGenerator>) {
        on("", .delete, requirement, contract, handler)
    }

    private func on(
        _ path: String, _ method: HTTPRequest.Method, _ requirement: Access, _ contract: RouteContract,
        _ handler: @escaping Handler<some ResponseGenerator>
    ) {
        catalog.add(RouteDeclaration(method: method, path: Self.join(basePath, path), access: requirement, contract: contract))
        let (access, rateLimiter) = (self.access, contract.rateLimit == nil ? nil : self.rateLimiter)
        group.on(RouterPath(path), method: method) { request, context in
            var context = context
            context.principal = try await access.authorize(request, context: context, requirement)
            context.audit?.principal = context.principal
            try contract.checkQuery(of: request)
            if let rateLimiter, let kind = contract.rateLimit, let principal = context.principal { try await rateLimiter.admit(kind, principal) }
            return try await handler(request, context)
        }
    }

    static func join(_ base: String, _ path: String) -> String {
        let parts = (base.split(separator: "/") + path.split(separator: "/")).map(String.init)
        return "/" + parts.joined(separator: "/")
    }
}
