import Crypto
import Foundation
import NIOCore

/// The web console's files (`CONSOLE_DIR`), read once at start. Every file but `index.html`
/// is served as `/assets/NAME.HASH.ext`, the hash taken over its content, so it can be cached
/// for a year; references between files (`"./app.js"` in a module, `"/assets/app.js"` in the
/// page) are rewritten to the hashed names first, so a changed module changes the name of every
/// file that imports it. Each file is kept plain and gzip-compressed.
struct ConsoleAssets: Sendable {
    struct Asset: Sendable {
        let contentType: String
        let plain: ByteBuffer
        let gzipped: ByteBuffer
    }

    enum LoadError: Error, CustomStringConvertible {
        case missingIndex(String)
        case importCycle([String])

        var description: String {
            switch self {
            case .missingIndex(let directory): "the console folder \(directory) has no index.html"
            case .importCycle(let names): "the console's files reference each other in a cycle: \(names.joined(separator: " → "))"
            }
        }
    }

    let index: Asset
    /// By hashed name, e.g. `app.3f2a9c1b0d.js`.
    let assets: [String: Asset]
    /// The hashed name of each file, by its name in the folder.
    let hashedNames: [String: String]

    /// Nil when the folder does not exist (an API-only deployment).
    static func load(directory: String) throws -> ConsoleAssets? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where !name.hasPrefix(".") {
            let path = "\(directory)/\(name)"
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            files[name] = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        return try ConsoleAssets(files: files, directory: directory)
    }

    init(files: [String: [UInt8]], directory: String) throws {
        guard let indexBytes = files["index.html"] else { throw LoadError.missingIndex(directory) }
        var resolver = Resolver(files: files.filter { $0.key != "index.html" })
        for name in resolver.files.keys.sorted() { try resolver.resolve(name, chain: []) }
        index = try Self.asset(named: "index.html", bytes: resolver.rewrite(indexBytes, name: "index.html"))
        var assets: [String: Asset] = [:]
        for (name, hashed) in resolver.hashedNames { assets[hashed] = try Self.asset(named: name, bytes: resolver.rewritten[name]!) }
        self.assets = assets
        hashedNames = resolver.hashedNames
    }

    private static func asset(named name: String, bytes: [UInt8]) throws -> Asset {
        Asset(contentType: contentType(of: name), plain: ByteBuffer(bytes: bytes), gzipped: ByteBuffer(bytes: try Gzip.compress(bytes)))
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last.map({ $0.lowercased() }) {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }

    /// Hashes files after the files they reference, depth first.
    private struct Resolver {
        let files: [String: [UInt8]]
        var rewritten: [String: [UInt8]] = [:]
        var hashedNames: [String: String] = [:]
        static let textTypes: Set<Substring> = ["js", "css", "json", "svg", "html"]

        init(files: [String: [UInt8]]) { self.files = files }

        mutating func resolve(_ name: String, chain: [String]) throws {
            guard hashedNames[name] == nil else { return }
            guard !chain.contains(name) else { throw LoadError.importCycle(chain + [name]) }
            let bytes = files[name]!
            if isText(name) {
                for other in referenced(by: bytes, excluding: name) { try resolve(other, chain: chain + [name]) }
            }
            let content = isText(name) ? rewrite(bytes, name: name) : bytes
            let digest = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined().prefix(10)
            rewritten[name] = content
            hashedNames[name] = Self.hashed(name, digest: String(digest))
        }

        private func isText(_ name: String) -> Bool { name.split(separator: ".").last.map(Self.textTypes.contains) ?? false }

        private func referenced(by bytes: [UInt8], excluding name: String) -> [String] {
            let text = String(decoding: bytes, as: UTF8.self)
            return files.keys.sorted().filter { $0 != name && (text.contains("./\($0)\"") || text.contains("/assets/\($0)\"")) }
        }

        /// Only double-quoted references are rewritten: the console's files quote them so.
        func rewrite(_ bytes: [UInt8], name: String) -> [UInt8] {
            var text = String(decoding: bytes, as: UTF8.self)
            for (original, hashed) in hashedNames where original != name {
                text = text.replacingOccurrences(of: "./\(original)\"", with: "./\(hashed)\"")
                text = text.replacingOccurrences(of: "/assets/\(original)\"", with: "/assets/\(hashed)\"")
            }
            return Array(text.utf8)
        }

        static func hashed(_ name: String, digest: String) -> String {
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "\(name).\(digest)" }
            return "\(name[..<dot]).\(digest)\(name[dot...])"
        }
    }
}
