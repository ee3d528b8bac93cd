/// Bounds on every JSON body the API accepts, checked on the raw bytes before anything
/// is decoded or done with them, against the schema the body's type declares
/// (``RequestShape``): nesting depth; fields the type does not declare, at any level; and
/// the length of every string, which may not hold a NUL either (databases and C libraries
/// would silently cut it there).
///
/// A declared string is at most ``defaultMaxLength`` characters unless its type names it
/// longer in ``LongTextInput``; a string inside free-form JSON (a test's request body, an
/// imported schema) at most ``freeFormMaxLength``, and may hold anything, since it is stored
/// as encoded JSON.
enum InputLimits {
    static let maxDepth = 32
    static let defaultMaxLength = 255
    static let freeFormMaxLength = 100_000
    /// The whole query string of a request, in bytes (checked by `RequestObservationMiddleware`).
    static let maxQueryLength = 2_048

    /// Throws a 422 naming the first field out of bounds; leaves malformed JSON to the decoder.
    static func check(_ bytes: some Collection<UInt8>, against shape: RequestShape) throws(APIError) {
        var scanner = Scanner(shape: shape)
        for byte in bytes { try scanner.consume(byte) }
    }

    private struct Scanner {
        let shape: RequestShape
        /// One entry per open object or array: whether it is an object, the key that names
        /// what is inside it (an array's strings take the key of the array), and its schema
        /// (nil: free-form).
        var containers: [(isObject: Bool, key: String, schema: JSONSchema?)] = []
        /// The schema of the value after the last key read (nil: free-form).
        var pendingSchema: JSONSchema?
        /// The bound of the string being read, and whether it is a declared one (no NUL).
        var limit = 0
        var refusesNUL = true
        var inString = false
        var escape = 0  // 0: none; 1: after a backslash; 2...5: inside \uXXXX
        var unicodeEscape: UInt32 = 0
        var stringIsKey = false
        var length = 0
        var keyBytes: [UInt8] = []
        /// In an object, true until the colon that ends a key.
        var expectingKey = false
        var pendingKey = ""

        init(shape: RequestShape) {
            self.shape = shape
        }

        var currentKey: String { containers.last?.key ?? "" }

        mutating func consume(_ byte: UInt8) throws(APIError) {
            if inString {
                try consumeInString(byte)
                return
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                stringIsKey = expectingKey && containers.last?.isObject == true
                length = 0
                keyBytes.removeAll(keepingCapacity: true)
                if !stringIsKey {
                    // A declared string has its own bound; free-form JSON one for all.
                    let declared = shape.resolved(valueSchema, as: .string)
                    limit = declared.map { $0.maxLength ?? InputLimits.defaultMaxLength } ?? InputLimits.freeFormMaxLength
                    refusesNUL = declared != nil
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard containers.count < InputLimits.maxDepth else {
                    throw APIError.validation(field: fieldName, "nests deeper than \(InputLimits.maxDepth) levels")
                }
                let isObject = byte == UInt8(ascii: "{")
                let key = containers.isEmpty ? "" : (containers.last!.isObject ? pendingKey : currentKey)
                containers.append((isObject, key, shape.resolved(valueSchema, as: isObject ? .object : .array)))
                expectingKey = isObject
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = containers.popLast()
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = containers.last?.isObject == true
            case UInt8(ascii: ":"):
                expectingKey = false
            default:
                break
            }
        }

        private mutating func consumeInString(_ byte: UInt8) throws(APIError) {
            switch escape {
            case 1:
                escape = byte == UInt8(ascii: "u") ? 2 : 0
                unicodeEscape = 0
                if escape == 0 { try counted(byte) }
                return
            case 2...5:
                unicodeEscape = unicodeEscape << 4 | UInt32(hexValue(byte))
                escape += 1
                if escape == 6 {
                    escape = 0
                    if unicodeEscape == 0 { try refuseNUL() }
                    try counted(UInt8(ascii: "?"))
                }
                return
            default:
                break
            }
            switch byte {
            case UInt8(ascii: "\\"):
                escape = 1
            case UInt8(ascii: "\""):
                inString = false
                if stringIsKey {
                    pendingKey = String(decoding: keyBytes, as: UTF8.self)
                    pendingSchema = try fieldSchema(pendingKey)
                }
            case 0:
                try refuseNUL()
            case 0x80..<0xC0:
                if stringIsKey { keyBytes.append(byte) }  // a continuation byte: same character
            default:
                try counted(byte)
            }
        }

        /// One more character of the current string.
        private mutating func counted(_ byte: UInt8) throws(APIError) {
            length += 1
            if stringIsKey {
                keyBytes.append(byte)
                if length > InputLimits.defaultMaxLength {
                    throw APIError.validation(field: fieldName, "has a key longer than \(InputLimits.defaultMaxLength) characters")
                }
                return
            }
            if length > limit {
                let key = containers.last?.isObject == true ? pendingKey : currentKey
                throw APIError.validation(field: key.isEmpty ? "body" : key, "must be at most \(limit) characters")
            }
        }

        /// The schema of the value being read: the root, an object's field, or an array's item.
        private var valueSchema: JSONSchema? {
            guard let container = containers.last else { return shape.root }
            return container.isObject ? pendingSchema : container.schema?.items
        }

        /// The schema of an object's field; a field the object's schema does not allow is refused.
        private func fieldSchema(_ key: String) throws(APIError) -> JSONSchema? {
            guard let object = containers.last?.schema else { return nil }
            if let property = object.properties?[key] { return property }
            switch object.additionalProperties {
            case .schema(let values)?: return values
            case .allowed(false)?: throw APIError.validation(field: key.isEmpty ? "body" : key, "is not a field of this request")
            default: return nil
            }
        }

        /// In a declared string; free-form JSON and keys are stored encoded, where a NUL is harmless.
        private func refuseNUL() throws(APIError) {
            if !stringIsKey, refusesNUL { throw APIError.validation(field: stringField, "must not contain NUL characters") }
        }

        private var stringField: String {
            let key = stringIsKey ? "" : (containers.last?.isObject == true ? pendingKey : currentKey)
            return key.isEmpty ? "body" : key
        }

        private var fieldName: String { currentKey.isEmpty ? "body" : currentKey }

        private func hexValue(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: 0
            }
        }
    }
}

/// An input type with fields longer than ``InputLimits/defaultMaxLength``: JSON key →
/// most characters. The keys and numbers are the documented limits of the API.
protocol LongTextInput {
    static var maxLengths: [String: Int] { get }
}
