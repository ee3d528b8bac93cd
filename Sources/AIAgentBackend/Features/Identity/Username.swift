import Foundation

/// Usernames as stored and looked up. Unicode offers many look-alikes of a name (`аdmin`
/// with a Cyrillic а, fullwidth `ａｄｍｉｎ`, `ADMIN`, `café` in two encodings), so a
/// username is folded (NFKC, then lower-cased) and must then be 3 to 64 ASCII letters,
/// digits, `.`, `_`, `-` or `@`. Stored names are folded, so they are unique regardless
/// of case. Names in any script belong in the nickname, which is free text.
enum Username {
    static let lengths = 3...64

    /// The folded form of `raw`, or nil when it is not an acceptable username.
    static func normalized(_ raw: String) -> String? {
        let folded = raw.precomposedStringWithCompatibilityMapping.lowercased()
        guard lengths.contains(folded.utf8.count), folded.utf8.allSatisfy(isAllowed) else { return nil }
        return folded
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "@"):
            true
        default: false
        }
    }
}
