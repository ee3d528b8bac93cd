import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Settings with a fresh upload directory of their own.
func knowledgeSettings(_ kind: DatabaseKind) async throws -> Settings {
    var settings = try await TestDatabases.settings(kind)
    settings.uploadDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("uploads-\(UUID().uuidString)").path
    return settings
}

extension TestClientProtocol {
    func createKnowledgeBase(_ body: [String: Any], token: String) async throws -> String {
        try await call(.post, "/api/v1/knowledge-bases", token: token, json: jsonText(body)) { response in
            #expect(response.status == .created, "create knowledge base: \(String(buffer: response.body))")
            return try #require(try response.json()["id"]?.string)
        }
    }

    /// Posts `data` as the `file` part of a form; the response's status and JSON.
    func upload(_ data: Data, filename: String, to base: String, token: String) async throws -> (HTTPResponse.Status, [String: JSONAny]) {
        let boundary = "knowledge-\(UUID().uuidString)"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n".utf8)
        body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8) + data + Data("\r\n--\(boundary)--\r\n".utf8)
        return try await execute(
            uri: "/api/v1/knowledge-bases/\(base)/documents", method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "multipart/form-data; boundary=\(boundary)"],
            body: ByteBuffer(bytes: body)
        ) { response in (response.status, try response.json()) }
    }

    /// Uploads and returns the new document's id.
    func addDocument(_ text: String, filename: String, to base: String, token: String) async throws -> String {
        try await addDocument(Data(text.utf8), filename: filename, to: base, token: token)
    }

    func addDocument(_ data: Data, filename: String, to base: String, token: String) async throws -> String {
        let (status, json) = try await upload(data, filename: filename, to: base, token: token)
        #expect(status == .created, "upload \(filename): \(json)")
        return try #require(json["id"]?.string)
    }

    /// Polls the document until its ingestion ended (ready or failed).
    func waitForDocument(_ id: String, in base: String, token: String) async throws -> [String: JSONAny] {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let document = try await call(.get, "/api/v1/knowledge-bases/\(base)/documents/\(id)", token: token) { try $0.json() }
            if ["ready", "failed"].contains(document["status"]?.string) { return document }
            guard ContinuousClock.now < deadline else {
                Issue.record("document \(id) still \(document["status"]?.string ?? "?") after a minute")
                return document
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func search(_ base: String, _ body: [String: Any], token: String) async throws -> [String: JSONAny] {
        try await call(.post, "/api/v1/knowledge-bases/\(base)/search", token: token, json: jsonText(body)) { response in
            #expect(response.status == .ok, "search: \(String(buffer: response.body))")
            return try response.json()
        }
    }
}
