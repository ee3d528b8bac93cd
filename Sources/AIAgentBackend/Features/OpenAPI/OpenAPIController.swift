import Foundation
import Hummingbird

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document built from every route's declared
/// contract; `GET /docs`: an interactive reference rendered from it in the browser, with
/// nothing loaded from elsewhere.
struct OpenAPIController: Sendable {
    let contract: APIContract

    func register(on routes: SecuredRoutes) {
        routes.get(
            "openapi.json", .anyone,
            RouteContract(
                "This document", success: .media("application/json", description: "The OpenAPI 3.1 document of the API"))
        ) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: contract.document?.json ?? [])))
        }
    }

    func registerReference(on router: Router<AppRequestContext>, catalog: RouteCatalog) {
        router.get("/docs") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: APIReferencePage.html)))
        }
        catalog.add(
            RouteDeclaration(
                method: .get, path: "/docs", access: .anyone,
                contract: RouteContract(
                    "Interactive API reference", success: .media("text/html", description: "A self-contained page rendering this document"))))
    }
}
