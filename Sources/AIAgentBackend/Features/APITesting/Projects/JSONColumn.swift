import Foundation

/// The one place structured content of the API-testing tables (variables, steps, schemas,
/// tags, id lists) is turned into the JSON text the columns hold, and back.
enum JSONColumn {
    static func encode(_ value: some Encodable) -> String {
        // Our own Codable values always encode; "null" would only hide a bug, never a secret.
        String(decoding: (try? JSONCoding.encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ text: String, as type: T.Type = T.self) throws -> T {
        try JSONCoding.decoder.decode(T.self, from: Data(text.utf8))
    }

    static func decode<T: Decodable>(_ text: String?, as type: T.Type = T.self) throws -> T? {
        try text.map { try decode($0, as: T.self) }
    }
}

/// Names and tags: trimmed of spaces, then 1 to N characters.
enum TrimmedText {
    static func checked(_ text: String, field: String, length: ClosedRange<Int>) throws(APIError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard length.contains(trimmed.unicodeScalars.count) else {
            throw APIError.validation(field: field, "must be \(length.lowerBound) to \(length.upperBound) characters")
        }
        return trimmed
    }
}
