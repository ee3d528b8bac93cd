import Foundation
import NIOCore

/// The one function that keeps secrets out of what is stored or shown (audit records,
/// logs, later test evidence): by the name of a field, and by the look of a value.
enum Redaction {
    static let mask = "***"
    static let secretKeyFragments = [
        "password", "passwd", "token", "secret", "api_key", "apikey", "api-key", "authorization", "credential",
        "access_key", "accesskey", "private_key", "cookie",
    ]

    /// A field whose name says it holds a secret.
    static func isSecret(_ key: String) -> Bool {
        contains(key.lowercased(), anyOf: secretKeyBytes)
    }

    private static let secretKeyBytes = secretKeyFragments.map { Array($0.utf8) }

    /// Byte-wise: `String.contains` costs many times more, and every header of every API test step passes here.
    private static func contains(_ lowered: String, anyOf fragments: [[UInt8]]) -> Bool {
        var lowered = lowered
        return lowered.withUTF8 { text in
            fragments.contains { fragment in
                guard let first = fragment.first, fragment.count <= text.count else { return false }
                return (0...(text.count - fragment.count)).contains { start in
                    text[start] == first && text[start..<(start + fragment.count)].elementsEqual(fragment)
                }
            }
        }
    }

    /// A value that looks like a credential wherever it appears: a bearer or basic
    /// credential, a provider key (`sk-…`, `AKIA…`, `ghp_…`, `xox…-`), one of our access tokens
    /// (`aab_pat_…`), or a JWT.
    static func looksLikeCredential(_ value: String) -> Bool {
        // The shortest credential below has 13 characters: most words and header values are shorter.
        guard value.utf8.count >= 13 else { return false }
        let padded = value.first?.isWhitespace == true || value.last?.isWhitespace == true
        let trimmed = padded ? value.trimmingCharacters(in: .whitespaces) : value
        let lowered = trimmed.lowercased()
        if lowered.hasPrefix("bearer ") || lowered.hasPrefix("basic ") { return trimmed.count > 12 }
        for prefix in ["sk-", "sk_", "pk_live_", "rk_live_", "akia", "asia", "ghp_", "gho_", "github_pat_", "xoxb-", "xoxp-", "glpat-", "aab_pat_"]
        where lowered.hasPrefix(prefix) {
            return trimmed.count >= prefix.count + 12
        }
        return isJWT(trimmed)
    }

    /// A long random-looking string: many characters, no spaces, letters mixed with digits.
    /// Masked only in fields named like secrets' relatives (`key`, `auth`, …) to spare ids and hashes elsewhere.
    static func looksRandom(_ value: String) -> Bool {
        guard value.count >= 20, !value.contains(" ") else { return false }
        let scalars = value.unicodeScalars
        let digits = scalars.filter { CharacterSet.decimalDigits.contains($0) }.count
        let letters = scalars.filter { CharacterSet.letters.contains($0) }.count
        return digits >= 3 && letters >= 6
    }

    private static let keyLikeFragments = ["key", "auth", "sign", "pass", "pwd", "cred"].map { Array($0.utf8) }

    private static func isJWT(_ value: String) -> Bool {
        guard value.hasPrefix("eyJ") else { return false }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { $0.count >= 4 }
    }

    /// The value as it may be shown under `key`: masked whole when the key or the value says
    /// secret, else with every credential-looking word in it masked.
    static func redact(_ value: String, key: String?) -> String {
        let loweredKey = key?.lowercased()
        if let loweredKey, contains(loweredKey, anyOf: secretKeyBytes) { return mask }
        if looksLikeCredential(value) { return mask }
        if let loweredKey, contains(loweredKey, anyOf: keyLikeFragments), looksRandom(value) { return mask }
        guard value.contains(where: \.isWhitespace) else { return value }
        var words = value.split(omittingEmptySubsequences: false, whereSeparator: \.isWhitespace).map(String.init)
        var changed = false
        for index in words.indices {
            let afterScheme = index > 0 && ["bearer", "basic", "token"].contains(words[index - 1].lowercased())
            if (afterScheme && words[index].count >= 8) || looksLikeCredential(words[index]) {
                words[index] = mask
                changed = true
            }
        }
        return changed ? words.joined(separator: " ") : value
    }

    /// `text` with every occurrence of each known secret value masked (API test evidence:
    /// the values are known, wherever they appear). Pass `secrets` longest first (as
    /// `SecretMask` keeps them), so a secret holding another is masked whole.
    static func replacing(_ secrets: [String], in text: String) -> String {
        var text = text
        for secret in secrets where !secret.isEmpty && text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: mask)
        }
        return text
    }

    /// A JSON request body, secrets masked and cut to `limit` characters.
    static func summary(of body: ByteBuffer, limit: Int) -> String? {
        guard body.readableBytes > 0 else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed]) else {
            return "(\(body.readableBytes) bytes, not JSON)"
        }
        let masked = mask(object, key: nil)
        guard let data = try? JSONSerialization.data(withJSONObject: masked, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    /// Recursion is bounded: JSONSerialization refuses documents nested deeper than 512 levels.
    static func mask(_ value: Any, key: String?) -> Any {
        switch value {
        case let object as [String: Any]:
            // `{"name", "value", "secret": true}` (a secret variable) and an API-key auth preset hold a secret `value`.
            let secretValue = object["secret"] as? Bool == true || object["type"] as? String == "api_key"
            return object.reduce(into: [String: Any]()) { result, entry in
                result[entry.key] = isSecret(entry.key) || (secretValue && entry.key == "value") ? mask : mask(entry.value, key: entry.key)
            }
        case let array as [Any]:
            return array.map { mask($0, key: key) }
        case let string as String:
            return redact(string, key: key)
        default:
            return value
        }
    }
}
