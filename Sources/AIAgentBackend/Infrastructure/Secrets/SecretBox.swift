import Crypto
import Foundation

/// Encrypts model API keys at rest with AES-GCM. The key is `ENCRYPTION_KEY`, or derived
/// from `SECRET_KEY` with HKDF, so a deployment without the extra variable still encrypts.
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
