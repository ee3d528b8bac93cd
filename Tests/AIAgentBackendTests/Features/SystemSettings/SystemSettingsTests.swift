import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct SystemSettingsTests {
    @Test(arguments: DatabaseKind.allCases)
    func createReadListUpdateDelete(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let token = try await client.login().accessToken
            for key in ["site.name", "site.theme", "upload.max_files"] {
                try await client.call(.put, "/api/v1/system/settings/\(key)", token: token, json: #"{"value":"v-\#(key)"}"#) { response in
                    #expect(response.status == .ok)
                    let body = try response.json()
                    #expect(body["key"] == .string(key))
                }
            }
            try await client.call(
                .put, "/api/v1/system/settings/site.name", token: token, json: #"{"value":"Agent Lab","description":"shown in the title"}"#
            ) { response in
                let body = try response.json()
                #expect(body["value"] == .string("Agent Lab"))
                #expect(body["updated_at"]?.string != nil)
            }
            try await client.call(.get, "/api/v1/system/settings?page=1&page_size=2", token: token) { response in
                let body = try response.json()
                #expect(body["total"] == .number(3))
                #expect(body["page_size"] == .number(2))
                guard case .array(let items) = body["items"] else { Issue.record("no items"); return }
                #expect(items.map { $0["key"] } == [.string("site.name"), .string("site.theme")])
            }
            try await client.call(.get, "/api/v1/system/settings?page_size=1000", token: token) { response in
                #expect(response.status == .unprocessableContent)
                let error = try response.errorBody().error
                #expect(error.details?["field"] == "page_size")
            }
            try await client.call(.put, "/api/v1/system/settings/Bad%20Key", token: token, json: #"{"value":"x"}"#) { response in
                #expect(response.status == .unprocessableContent)
            }
            try await client.call(.delete, "/api/v1/system/settings/site.theme", token: token) { #expect($0.status == .noContent) }
            try await client.call(.get, "/api/v1/system/settings/site.theme", token: token) { #expect($0.status == .notFound) }
        }
    }
}
