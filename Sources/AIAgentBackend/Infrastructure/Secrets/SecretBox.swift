import Crypto
import Foundation

/// Encrypts secrets at rest (model API keys, secret settings, environment secrets, notification
/// credentials) with AES-GCM. The key is `ENCRYPTION_KEY`, or derived from `SECRET_KEY` with
/// HKDF, so a deployment without the extra variable still encrypts. `SecretRotation` re-seals
/// them all under a new key.
struct SecretBox: Sendable {
    private let key: SymmetricKey
    /// Marks the format, so a later scheme can be told apart.
    private static let prefix = "v1:"

    init(settings: Settings) {
        if let raw = settings.encryptionKey {
            key = SymmetricKey(data: raw)
        } else {
            key = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Data(settings.secretKey.utf8)),
                salt: Data("ai-agent-backend".utf8), info: Data("model-api-keys".utf8), outputByteCount: 32)
        }
    }

    /// A box of the given 32 bytes, as `ENCRYPTION_KEY` holds them.
    init(key: Data) {
        self.key = SymmetricKey(data: key)
    }

    /// The 32 bytes of an `ENCRYPTION_KEY` value (base64), or nil when it is not one.
    static func parseKey(_ text: String) -> Data? {
        guard let key = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count == 32 else { return nil }
        return key
    }

    func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        // `combined` is non-nil for the default 12-byte nonce.
        return Self.prefix + box.combined!.base64EncodedString()
    }

    func open(_ sealed: String) throws(APIError) -> String {
        guard sealed.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))),
            let box = try? AES.GCM.SealedBox(combined: data), let plain = try? AES.GCM.open(box, using: key)
        else { throw Self.decryptionFailed }
        return String(decoding: plain, as: UTF8.self)
    }

    static let decryptionFailed = APIError(
        .internalServerError, code: "key_decryption_failed",
        message: "the stored API key cannot be decrypted; was ENCRYPTION_KEY/SECRET_KEY changed? re-enter the key")

    /// What responses show of a key: `sk-…abcd`, or `…` alone when showing 7 characters would reveal too much.
    static func mask(_ key: String) -> String {
        key.count < 16 ? "…" : "\(key.prefix(3))…\(key.suffix(4))"
    }
}
