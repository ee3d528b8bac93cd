import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct CasesTests {
    static var steps: [[String: Any]] {
        [
            [
                "name": "list",
                "request": ["method": "GET", "url": "{{base_url}}/pets", "body": ["type": "raw", "raw": String(repeating: "x", count: 5_000)]],
                "assert": [["type": "status", "equals": 200]],
            ]
        ]
    }

    @Test(arguments: DatabaseKind.allCases)
    func crudFiltersAndErrors(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Cases", token: fixture.tester)
            let endpointID = try await client.create(
                "/api/v1/projects/\(projectID)/endpoints", ["method": "GET", "path": "/pets"], token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/cases"
            let first = try await client.create(
                uri,
                ["name": "List pets", "tags": ["smoke"], "priority": "p0", "endpoint_id": endpointID, "steps": Self.steps, "variables": ["n": 3]],
                token: fixture.tester)
            let second = try await client.create(uri, ["name": "Other", "steps": []], token: fixture.tester)

            let stored = try await client.call(.get, "\(uri)/\(first)", token: fixture.tester) { try $0.json() }
            #expect(stored["endpoint_id"]?.string == endpointID && stored["flagged"] == .bool(false) && stored["priority"]?.string == "p0")
            #expect(stored["steps"]?.array?.first?["request"]?["body"]?["raw"]?.string?.count == 5_000)
            #expect(stored["steps"]?.array?.first?["assert"]?.array?.first?["equals"] == .number(200))
            #expect(stored[path: "variables"]?["n"] == .number(3))

            func ids(_ query: String) async throws -> [String] {
                try await client.call(.get, "\(uri)?\(query)", token: fixture.tester) { response in
                    #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                    return try response.json()["items"]?.array?.compactMap { $0["id"]?.string } ?? []
                }
            }
            #expect(try await ids("tag=smoke") == [first])
            #expect(try await ids("priority=p2") == [second])
            #expect(try await ids("endpoint_id=\(endpointID)") == [first])
            #expect(try await ids("search=list") == [first])
            #expect(try await ids("flagged=false").count == 2)

            // Unlinking, and the flag an import sets can only be cleared.
            let unlinked = try await client.call(.put, "\(uri)/\(first)", token: fixture.tester, json: #"{"endpoint_id": null}"#) { try $0.json() }
            #expect(unlinked["endpoint_id"] == nil && unlinked["name"]?.string == "List pets")
            try await fixture.services.database.sql.raw("UPDATE test_cases SET flagged = true, flag_reason = 'operation removed'").run()
            #expect(try await ids("flagged=true").count == 2)
            let cleared = try await client.call(.put, "\(uri)/\(first)", token: fixture.tester, json: jsonText(["flagged": false])) { try $0.json() }
            #expect(cleared["flagged"] == .bool(false) && cleared["flag_reason"] == nil)

            let errors: [(String, [String: Any], HTTPResponse.Status, String)] = [
                ("POST", ["name": "no steps"], .unprocessableContent, "steps"),
                ("POST", ["name": "x", "steps": [], "priority": "p9"], .unprocessableContent, "priority"),
                ("POST", ["name": "x", "steps": [["name": "s", "wait": ["ms": "soon"]]]], .unprocessableContent, "steps[0].wait.ms"),
                ("PUT", ["flagged": true], .unprocessableContent, "flagged"),
                ("PUT", ["data": ["columns": ["a", "b"], "rows": [["1"]]]], .unprocessableContent, "data.rows[0]"),
                ("PUT", ["endpoint_id": UUID().uuidString], .notFound, "endpoint_id"),
            ]
            for (method, body, status, field) in errors {
                let target = method == "POST" ? uri : "\(uri)/\(second)"
                let error = try await client.failure(method == "POST" ? .post : .put, target, token: fixture.tester, json: jsonText(body), status)
                #expect(error.details?["field"] == field, "\(body): \(error.message)")
            }
            // An endpoint of another project is not one of this project's.
            let other = try await client.project(named: "Other", token: fixture.tester)
            let foreign = try await client.create("/api/v1/projects/\(other)/endpoints", ["method": "GET", "path": "/x"], token: fixture.tester)
            _ = try await client.failure(.put, "\(uri)/\(second)", token: fixture.tester, json: jsonText(["endpoint_id": foreign]), .notFound)
            _ = try await client.failure(.get, "/api/v1/projects/\(other)/cases/\(first)", token: fixture.tester, .notFound)

            try await client.call(.delete, "\(uri)/\(second)", token: fixture.tester) { #expect($0.status == .noContent) }
            _ = try await client.failure(.get, "\(uri)/\(second)", token: fixture.tester, .notFound)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func csvUploadFillsTheData(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Data", token: fixture.tester)
            let caseURI =
                "/api/v1/projects/\(projectID)/cases/\(try await client.create("/api/v1/projects/\(projectID)/cases", ["name": "c", "steps": []], token: fixture.tester))"
            let csv = "\u{FEFF}name,note,amount\r\nalice,\"says \"\"hi\"\", twice\",10\r\nbob,\"two\nlines\",\r\n\r\n"
            let uploaded = try await client.execute(
                uri: "\(caseURI)/data", method: .post, headers: [.authorization: "Bearer \(fixture.tester)", .contentType: "text/csv"],
                body: ByteBuffer(string: csv)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.json()
            }
            #expect(uploaded[path: "data", "columns"] == .array([.string("name"), .string("note"), .string("amount")]))
            #expect(
                uploaded[path: "data", "rows"]
                    == .array([
                        .array([.string("alice"), .string("says \"hi\", twice"), .string("10")]),
                        .array([.string("bob"), .string("two\nlines"), .string("")]),
                    ]))

            let boundary = "XyZ123"
            let multipart =
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rows.csv\"\r\nContent-Type: text/csv\r\n\r\nid\n1\n2\r\n--\(boundary)--\r\n"
            let fromForm = try await client.execute(
                uri: "\(caseURI)/data", method: .post,
                headers: [.authorization: "Bearer \(fixture.tester)", .contentType: "multipart/form-data; boundary=\(boundary)"],
                body: ByteBuffer(string: multipart)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.json()
            }
            #expect(fromForm[path: "data", "rows"] == .array([.array([.string("1")]), .array([.string("2")])]))

            let bad: [(String, String)] = [
                ("a,b\n1,2\n3\n", "line 3"),
                ("a,b\n1,\"open\n2,3\n", "line 2"),
                ("a,b\n1,x\"y\n", "line 2"),
                ("a,a\n1,2\n", "line 1"),
                ("", "line 1"),
            ]
            for (text, line) in bad {
                try await client.execute(
                    uri: "\(caseURI)/data", method: .post, headers: [.authorization: "Bearer \(fixture.tester)", .contentType: "text/csv"],
                    body: ByteBuffer(string: text)
                ) { response in
                    #expect(response.status == .unprocessableContent, "\(text)")
                    let error = try response.errorBody().error
                    #expect(error.details?["field"] == "csv" && error.message.contains(line), "\(text): \(error.message)")
                }
            }
            let kept = try await client.call(.get, caseURI, token: fixture.tester) { try $0.json() }
            #expect(kept[path: "data", "columns"] == .array([.string("id")]), "a bad file leaves the data as it was")
        }
    }
}
