import Foundation

/// How a channel reaches its service. Chat and webhook channels use `url` (and, for
/// webhook, DingTalk and Feishu, an optional signing `secret`); e-mail uses the SMTP fields.
struct ChannelConfig: Codable, Sendable, Equatable {
    var url: String?
    var secret: String?
    var host: String?
    /// 587 unless told.
    var port: Int?
    var username: String?
    var password: String?
    var from: String?
    var to: [String]?
    /// On unless told: credentials are only ever sent over STARTTLS.
    var starttls: Bool?

    static let defaultSMTPPort = 587

    /// The fields a type reads; any other is refused, so a misplaced setting is not silently ignored.
    static func fields(of type: ChannelType) -> Set<String> {
        switch type {
        case .webhook, .dingtalk, .feishu: ["url", "secret"]
        case .wecom, .slack: ["url"]
        case .email: ["host", "port", "username", "password", "from", "to", "starttls"]
        }
    }

    var presentFields: Set<String> {
        let values: [(String, Any?)] = [
            ("url", url), ("secret", secret), ("host", host), ("port", port), ("username", username), ("password", password),
            ("from", from), ("to", to), ("starttls", starttls),
        ]
        return Set(values.compactMap { $0.1 == nil ? nil : $0.0 })
    }

    /// Checks the config (secrets already sealed or opened) for `type`; errors name `config.FIELD`.
    func validate(for type: ChannelType) throws(APIError) {
        if let extra = presentFields.subtracting(Self.fields(of: type)).sorted().first {
            throw APIError.validation(field: "config.\(extra)", "is not used by \(type.rawValue) channels")
        }
        guard type == .email else {
            guard let url, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased()), parsed.host?.isEmpty == false
            else { throw APIError.validation(field: "config.url", "must be an absolute http(s) URL") }
            return
        }
        guard let host, !host.isEmpty, !host.contains(where: { $0.isWhitespace || "/@:".contains($0) }) else {
            throw APIError.validation(field: "config.host", "is required: the SMTP server's host name or IPv4 address")
        }
        if let port { _ = try APIError.checked(port, field: "config.port", in: 1...65_535) }
        if (username == nil) != (password == nil) { throw APIError.validation(field: "config.password", "goes with a username") }
        if password != nil, starttls == false { throw APIError.validation(field: "config.password", "is sent only over STARTTLS") }
        guard let from, Self.isAddress(from) else { throw APIError.validation(field: "config.from", "must be an e-mail address") }
        guard let to, !to.isEmpty else { throw APIError.validation(field: "config.to", "must list at least one address") }
        if let index = to.firstIndex(where: { !Self.isAddress($0) }) {
            throw APIError.validation(field: "config.to[\(index)]", "must be an e-mail address")
        }
    }

    /// `local@domain`, without spaces, brackets or separators that could bend an SMTP command.
    static func isAddress(_ text: String) -> Bool {
        text.utf8.count <= 254 && text.wholeMatch(of: /[^\s@<>,;"]+@[^\s@<>,;"]+/) != nil
    }
}

extension ChannelConfig: LongTextInput, SchemaRefining {
    static let maxLengths = ["url": 2_000, "secret": 1_000, "password": 1_000]
    static let fieldSchemas: [String: JSONSchema] = [
        "url": .string(format: "uri", maxLength: 2_000, pattern: "^[hH][tT][tT][pP][sS]?://[^/?#]"),
        "port": .integer(minimum: 1, maximum: 65_535),
        "to": .array(of: .string(maxLength: 254), maxItems: 100),
    ]
}

/// Seals a channel's secrets (the signing `secret`, the SMTP `password`) before they are
/// stored, masks them in responses and opens them to send. Sending the mask back, or leaving the field out, keeps
/// the stored secret; an empty string removes it; any other value replaces it.
struct ChannelSecrets: Sendable {
    let box: SecretBox

    private static let secretFields: [WritableKeyPath<ChannelConfig, String?>] = [\.secret, \.password]

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

    /// `config` with each stored secret passed through `transform` (key rotation re-seals them).
    static func mapSecrets(of config: ChannelConfig, _ transform: (String) throws -> String) rethrows -> ChannelConfig {
        var mapped = config
        for field in secretFields {
            if let value = config[keyPath: field] { mapped[keyPath: field] = try transform(value) }
        }
        return mapped
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
