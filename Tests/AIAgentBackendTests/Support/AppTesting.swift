import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Builds the real application for `settings` and runs `body` against it in process.
func withApp(_ settings: Settings, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let app = try await buildApplication(settings: settings)
    try await app.test(.router, body)
}

extension TestResponse {
    func json<T: Decodable>(_ type: T.Type = [String: JSONAny].self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: body))
    }

    func errorBody() throws -> ErrorBody { try json(ErrorBody.self) }
}

/// Enough of a JSON value to assert on responses without declaring a type for each.
enum JSONAny: Decodable, Equatable {
    case string(String), number(Double), bool(Bool), object([String: JSONAny]), array([JSONAny]), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONAny].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONAny].self)) }
    }

    subscript(key: String) -> JSONAny? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var number: Double? { if case .number(let value) = self { value } else { nil } }
}

extension Dictionary where Key == String, Value == JSONAny {
    subscript(path first: String, _ rest: String...) -> JSONAny? {
        rest.reduce(self[first]) { $0?[$1] }
    }
}
