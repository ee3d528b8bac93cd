import Foundation

/// How a channel reaches its service: `url`, and for webhook, DingTalk and Feishu an
/// optional signing `secret`.
struct ChannelConfig: Codable, Sendable, Equatable {
    var url: String?
    var secret: String?

    /// The fields a type reads; any other is refused, so a misplaced setting is not silently ignored.
    static func fields(of type: ChannelType) -> Set<String> {
        switch type {
        case .webhook, .dingtalk, .feishu: ["url", "secret"]
        case .wecom, .slack: ["url"]
        }
    }

    var presentFields: Set<String> {
        let values: [(String, Any?)] = [("url", url), ("secret", secret)]
        return Set(values.compactMap { $0.1 == nil ? nil : $0.0 })
    }

    /// Checks the config (secrets already sealed or opened) for `type`; errors name `config.FIELD`.
    func validate(for type: ChannelType) throws(APIError) {
        if let extra = presentFields.subtracting(Self.fields(of: type)).sorted().first {
            throw APIError.validation(field: "config.\(extra)", "is not used by \(type.rawValue) channels")
        }
        guard let url, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased()), parsed.host?.isEmpty == false
        else { throw APIError.validation(field: "config.url", "must be an absolute http(s) URL") }
    }
}

extension ChannelConfig: LongTextInput, SchemaRefining {
    static let maxLengths = ["url": 2_000, "secret": 1_000]
    static let fieldSchemas: [String: JSONSchema] = [
        "url": .string(format: "uri", maxLength: 2_000, pattern: "^[hH][tT][tT][pP][sS]?://[^/?#]")
    ]
}

/// Seals a channel's signing `secret` before it is stored, masks it in responses and opens
/// it to send. Sending the mask back, or leaving the field out, keeps
/// the stored secret; an empty string removes it; any other value replaces it.
struct ChannelSecrets: Sendable {
    let box: SecretBox

    private static let secretFields: [WritableKeyPath<ChannelConfig, String?>] = [\.secret]

    func seal(_ input: ChannelConfig, keeping stored: ChannelConfig?) throws -> ChannelConfig {
        var sealed = input
        for field in Self.secretFields {
            switch input[keyPath: field] {
            case nil, SecretValues.mask?: sealed[keyPath: field] = stored?[keyPath: field]
            case ""?: sealed[keyPath: field] = nil
            case let plain?: sealed[keyPath: field] = try box.seal(plain)
            }
        }
        return sealed
    }

    static func masked(_ config: ChannelConfig) -> ChannelConfig {
        var masked = config
        for field in secretFields where masked[keyPath: field] != nil { masked[keyPath: field] = SecretValues.mask }
        return masked
    }

    /// The plain config, and its secrets' plain text (to keep them out of delivery errors).
    func open(_ config: ChannelConfig) throws -> (config: ChannelConfig, secrets: [String]) {
        var opened = config
        var secrets: [String] = []
        for field in Self.secretFields {
            guard let sealed = config[keyPath: field] else { continue }
            let plain = try box.open(sealed)
            opened[keyPath: field] = plain
            secrets.append(plain)
        }
        return (opened, secrets)
    }
}
