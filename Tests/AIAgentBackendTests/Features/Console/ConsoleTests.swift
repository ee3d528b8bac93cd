import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct ConsoleTests {
    static let files: [String: String] = [
        "index.html": #"<script type="module" src="/assets/app.js"></script><link rel="stylesheet" href="/assets/console.css">"#,
        "app.js": #"import { api } from "./api.js"; api();"#,
        "api.js": "export function api() {}",
        "console.css": "body { margin: 0; }",
    ]

    static func assets(_ files: [String: String]) throws -> ConsoleAssets {
        try ConsoleAssets(files: files.mapValues { Array($0.utf8) }, directory: "test")
    }

    @Test func namesCarryTheHashOfTheRewrittenContent() throws {
        let assets = try Self.assets(Self.files)
        let app = try #require(assets.hashedNames["app.js"])
        let api = try #require(assets.hashedNames["api.js"])
        #expect(app.range(of: #"^app\.[0-9a-f]{10}\.js$"#, options: .regularExpression) != nil)
        #expect(String(buffer: try #require(assets.assets[app]).plain).contains(#"from "./\#(api)""#), "imports name the hashed module")
        let index = String(buffer: assets.index.plain)
        let css = try #require(assets.hashedNames["console.css"])
        #expect(index.contains(#"/assets/\#(app)""#) && index.contains(#"/assets/\#(css)""#))

        var changed = Self.files
        changed["api.js"] = "export function api() { return 1; }"
        let next = try Self.assets(changed)
        #expect(next.hashedNames["api.js"] != api)
        #expect(next.hashedNames["app.js"] != app, "a module whose import changed gets a new name too")
        #expect(next.hashedNames["console.css"] == assets.hashedNames["console.css"])
    }

    @Test func anImportCycleStopsTheStart() throws {
        var files = Self.files
        files["api.js"] = #"import "./app.js";"#
        #expect(throws: ConsoleAssets.LoadError.self) { try Self.assets(files) }
        #expect(throws: ConsoleAssets.LoadError.self) { try Self.assets(files.filter { $0.key != "index.html" }) }
    }

    @Test func theRepositoryConsoleLoads() throws {
        let assets = try #require(try ConsoleAssets.load(directory: Self.repositoryRoot.appendingPathComponent("Console").path))
        #expect(assets.hashedNames["app.js"] != nil)
        #expect(try ConsoleAssets.load(directory: "/nonexistent-console") == nil)
    }

    static var repositoryRoot: URL {
        var root = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { root.deleteLastPathComponent() }
        return root
    }

    @Test func servesTheConsoleBesideTheAPI() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in Self.files { try Data(text.utf8).write(to: directory.appendingPathComponent(name)) }
        var settings = try await TestDatabases.settings(.sqlite)
        settings.consoleDirectory = directory.path
        let app = try #require(try Self.assets(Self.files).hashedNames["app.js"])
        try await withApp(settings) { client in
            for path in ["/", "/system/users", "/chat/some-session?x=1"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.headers[.cacheControl] == "no-cache")
                    #expect(response.headers[.contentSecurityPolicy] == ConsoleMiddleware.contentSecurityPolicy)
                    #expect(response.headers[.xContentTypeOptions] == "nosniff")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
                    #expect(String(buffer: response.body).contains("/assets/\(app)"))
                }
            }
            let policy = ConsoleMiddleware.contentSecurityPolicy
            #expect(!policy.contains("unsafe") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))

            try await client.execute(uri: "/assets/\(app)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(response.headers[.contentEncoding] == nil)
                #expect(String(buffer: response.body).hasPrefix("import"))
            }
            try await client.execute(uri: "/assets/\(app)", method: .get, headers: [.acceptEncoding: "br, gzip"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.vary] == "Accept-Encoding")
                let text = try Self.gunzip(Data(buffer: response.body))
                #expect(text.hasPrefix("import"))
            }
            try await client.execute(uri: "/assets/\(app)", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
            for path in ["/assets/app.js", "/api/v1/nothing-here", "/api", "/health/nothing", "/docs/nothing"] {
                try await client.execute(uri: path, method: .get) { response in
                    let error = try response.errorBody().error
                    #expect(response.status == .notFound && error.code == "not_found", "\(path)")
                }
            }
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(String(buffer: response.body).contains("<title>API reference"))
                #expect(response.headers[.contentSecurityPolicy] != ConsoleMiddleware.contentSecurityPolicy)
            }
            try await client.execute(uri: "/health", method: .get) { response in
                let body = try response.json()
                #expect(body["status"] == .string("healthy"))
            }
        }
    }

    /// Decompressed by the system's gzip, not by the code under test.
    static func gunzip(_ data: Data) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(data)
        try input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: result, as: UTF8.self)
    }
}

@Suite struct ConsoleSourceTests {
    static var files: [(name: String, text: String)] {
        get throws {
            let folder = ConsoleTests.repositoryRoot.appendingPathComponent("Console")
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map {
                ($0, try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8))
            }
        }
    }

    static func catalogue(_ name: String) throws -> [String: String] {
        let data = try Data(contentsOf: ConsoleTests.repositoryRoot.appendingPathComponent("Console/\(name)"))
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    /// Every `t("key")` of the scripts, and every menu path of the seeded tree, in both languages.
    @Test func everyMessageKeyIsInBothCatalogues() throws {
        let english = try Self.catalogue("messages-en.json")
        let chinese = try Self.catalogue("messages-zh-CN.json")
        #expect(Set(english.keys).subtracting(chinese.keys).isEmpty, "missing from zh-CN: \(Set(english.keys).subtracting(chinese.keys).sorted())")
        #expect(Set(chinese.keys).subtracting(english.keys).isEmpty, "missing from en: \(Set(chinese.keys).subtracting(english.keys).sorted())")
        var used: Set<String> = []
        for file in try Self.files where file.name.hasSuffix(".js") {
            for match in file.text.matches(of: #/\bt\("([^"]+)"/#) { used.insert(String(match.output.1)) }
        }
        var pending = PermissionCatalog.tree
        while let entry = pending.popLast() {
            if let path = entry.path { used.insert("menu.\(path)") }
            pending += entry.children
        }
        #expect(used.count > 100)
        for key in used.sorted() {
            #expect(english[key] != nil, "\(key) is missing from messages-en.json")
            #expect(chinese[key] != nil, "\(key) is missing from messages-zh-CN.json")
        }
    }

    /// Markup never comes from data: the scripts build nodes (dom.js, markdown.js) and never parse HTML.
    @Test func noScriptParsesMarkup() throws {
        for file in try Self.files where file.name.hasSuffix(".js") {
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setHTMLUnsafe"] {
                #expect(!file.text.contains(sink), "\(file.name) uses \(sink)")
            }
        }
        let index = try #require(try Self.files.first { $0.name == "index.html" }?.text)
        #expect(!index.contains("<script>") && !index.contains("style="), "no inline script or style: the CSP forbids them")
    }
}
