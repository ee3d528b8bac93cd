import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import AIAgentBackend

/// The built server on a PATH without poppler's pdftotext: a PDF upload is a 422 naming the package.
@Suite struct MissingPDFToolTests {
    @Test func aPDFWithoutPdftotextIsRefusedNamingThePackage() async throws {
        let directory = try BuiltBinary.temporaryDirectory()
        let port = RawSocket.freePort()
        let process = try BuiltBinary.startServer(
            in: directory, port: port, environment: ["PATH": "\(directory)/no-tools", "UPLOAD_DIR": "\(directory)/uploads"])
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)/api/v1"
        try await Self.waitUntilLive("http://127.0.0.1:\(port)/health/live")

        let login = try await Self.send(
            .POST, "\(base)/auth/login", body: Data(#"{"username":"admin","password":"\#(TestDatabases.adminPassword)"}"#.utf8))
        let token = try #require(login.json["access_token"]?.stringValue)
        let created = try await Self.send(.POST, "\(base)/knowledge-bases", token: token, body: Data(#"{"name":"Papers"}"#.utf8))
        let id = try #require(created.json["id"]?.stringValue)

        let boundary = "pdf-boundary"
        var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"paper.pdf\"\r\n\r\n".utf8)
        form += Data("%PDF-1.4\n%%EOF\n".utf8) + Data("\r\n--\(boundary)--\r\n".utf8)
        let upload = try await Self.send(
            .POST, "\(base)/knowledge-bases/\(id)/documents", token: token, body: form, contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(upload.status == 422)
        #expect(upload.json["error"]?["message"]?.stringValue?.contains("poppler-utils") == true, "\(upload.json)")
        // A text file goes in as usual.
        let text = Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n\r\nplain words\r\n--\(boundary)--\r\n".utf8)
        let accepted = try await Self.send(
            .POST, "\(base)/knowledge-bases/\(id)/documents", token: token, body: text, contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(accepted.status == 201)
    }

    static func send(
        _ method: HTTPMethod, _ url: String, token: String? = nil, body: Data, contentType: String = "application/json"
    ) async throws -> (status: UInt, json: JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "content-type", value: contentType)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: bytes))) ?? .null)
    }

    static func waitUntilLive(_ url: String) async throws {
        for _ in 0..<200 {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(1)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the server did not start on \(url)")
        throw TestSetupError()
    }
}
