import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import AIAgentBackend

/// Hot lists write their JSON with `JSONWriter`; everything else uses `JSONCoding.encoder`.
/// Both must produce the same documents.
@Suite struct JSONWriterTests {
    private func user(_ name: String, created: Date?, optionalsSet: Bool, roles: [String]?) throws -> UserResponse {
        let user = User()
        user.id = UUID()
        user.username = name
        user.status = optionalsSet ? .active : .disabled
        user.isSuperuser = optionalsSet
        if optionalsSet {
            user.nickname = "Nick \"the quote\" \\ back/slash\n\ttab \u{01}\u{1F} é 😀"
            user.email = "a@example.com"
            user.mobile = "+1 555"
            user.avatarURL = "https://example.com/a.png?x=1&y=</script>"
            user.$department.id = UUID()
            user.lastLoginAt = Date(timeIntervalSince1970: 1_700_000_000.999)
            user.updatedAt = Date(timeIntervalSince1970: -86_400.5)
        }
        user.createdAt = created
        return try UserResponse(user, roles: roles)
    }

    private func jsonObject(_ bytes: some Sequence<UInt8>) throws -> NSObject {
        try #require(JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? NSObject)
    }

    @Test(
        arguments: [
            0, 951_782_400, 951_868_799.75, 1_700_000_000.5, 4_102_444_799, -1, -11_670_998_400,
        ] as [Double])
    func usersMatchJSONEncoder(createdAt seconds: Double) throws {
        for (optionalsSet, roles) in [(true, ["admin", "viewer"]), (false, nil), (true, [])] {
            let value = try user("user-\(seconds)", created: Date(timeIntervalSince1970: seconds), optionalsSet: optionalsSet, roles: roles)
            let written = JSONWriter.encode(value)
            let encoded = try JSONCoding.encoder.encode(value)
            #expect(try jsonObject(written.readableBytesView) == jsonObject(encoded), "\(String(buffer: written))")
        }
    }

    @Test func pagesMatchJSONEncoder() throws {
        let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/api/v1/users?page=3&page_size=2")
        let request = try ListQuery(Request(head: head, body: .init(buffer: ByteBuffer())))
        let items = try [
            user("a", created: Date(timeIntervalSince1970: 1), optionalsSet: true, roles: nil),
            user("b", created: nil, optionalsSet: false, roles: ["x"]),
        ]
        for page in [ListPage(items: items, total: 12, request: request), ListPage(items: [], total: 0, request: request)] {
            let written = JSONWriter.encode(page)
            #expect(try jsonObject(written.readableBytesView) == jsonObject(JSONCoding.encoder.encode(page)), "\(String(buffer: written))")
        }
    }
}
