import Hummingbird

// The reference for BENCHMARKS.md: a bare Hummingbird 2 hello-world route, measured by
// the same script and settings as the service's /health.
let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8081
let router = Router()
router.get("/hello") { _, _ in "Hello, world!" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
