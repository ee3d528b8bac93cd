import Hummingbird

// The reference for BENCHMARKS.md: a bare Hummingbird 2 hello-world route, measured by
// the same script and settings as the service's /health.
let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8081
let router = Router()
router.get("/hello") { _, _ in "Hello, world!" }

// The target of scripts/bench-api-testing: JSON for a status, a JSONPath and a header check.
struct Item: ResponseEncodable {
    let id: Int
    let name: String
    let tags: [String]
}
router.get("/items/{id}") { _, context -> EditedResponse<Item> in
    let id = try context.parameters.require("id", as: Int.self)
    return EditedResponse(
        headers: [.init("X-Item-Id")!: String(id)],
        response: Item(id: id, name: "item \(id)", tags: ["a", "b"])
    )
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
