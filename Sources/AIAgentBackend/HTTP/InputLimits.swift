/// Bounds on every JSON body the API accepts, checked on the raw bytes before anything
/// is decoded or done with them: nesting depth, and the length of every string, which
/// may not hold a NUL either (databases and C libraries would silently cut it there).
///
/// Every string is at most ``defaultMaxLength`` characters unless the input type names
/// its longer fields (by JSON key, wherever the key appears) in ``LongTextInput``.
enum InputLimits {
    static let maxDepth = 32
    static let defaultMaxLength = 255
    /// The whole query string of a request, in bytes (checked by `RequestObservationMiddleware`).
    static let maxQueryLength = 2_048

    /// Throws a 422 naming the first field over its bound; leaves malformed JSON to the decoder.
    /// With `fields`, a top-level key outside them is refused too.
    static func check(_ bytes: some Collection<UInt8>, maxLengths: [String: Int], fields: Set<String>? = nil) throws(APIError) {
        var scanner = Scanner(maxLengths: maxLengths, fields: fields)
        for byte in bytes { try scanner.consume(byte) }
    }

    private struct Scanner {
        let maxLengths: [String: Int]
        let fields: Set<String>?
        /// One entry per open object or array: whether it is an object, and the key that
        /// names what is inside it (an array's strings take the key of the array).
        var containers: [(isObject: Bool, key: String)] = []
        var inString = false
        var escape = 0  // 0: none; 1: after a backslash; 2...5: inside \uXXXX
        var unicodeEscape: UInt32 = 0
        var stringIsKey = false
        var length = 0
        var keyBytes: [UInt8] = []
        /// In an object, true until the colon that ends a key.
        var expectingKey = false
        var pendingKey = ""

        init(maxLengths: [String: Int], fields: Set<String>?) {
            self.maxLengths = maxLengths
            self.fields = fields
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
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard containers.count < InputLimits.maxDepth else {
                    throw APIError.validation(field: fieldName, "nests deeper than \(InputLimits.maxDepth) levels")
                }
                let isObject = byte == UInt8(ascii: "{")
                containers.append((isObject, containers.isEmpty ? "" : (containers.last!.isObject ? pendingKey : currentKey)))
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
                    if unicodeEscape == 0 { throw APIError.validation(field: stringField, "must not contain NUL characters") }
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
                    if let fields, containers.count == 1, !fields.contains(pendingKey) {
                        throw APIError.validation(field: pendingKey.isEmpty ? "body" : pendingKey, "is not a field of this request")
                    }
                }
            case 0:
                throw APIError.validation(field: stringField, "must not contain NUL characters")
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
            let key = containers.last?.isObject == true ? pendingKey : currentKey
            let limit = maxLengths[key] ?? InputLimits.defaultMaxLength
            if length > limit { throw APIError.validation(field: key.isEmpty ? "body" : key, "must be at most \(limit) characters") }
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
