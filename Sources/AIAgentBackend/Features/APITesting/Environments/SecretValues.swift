import Foundation

/// A named value of a project or environment, as sent: a secret one may carry the mask
/// (or no value) to keep what is stored.
struct Variable: Codable, Sendable, Equatable {
    var name: String
    var value: String?
    var secret: Bool?
}

extension Variable: LongTextInput, SchemaRefining {
    static let maxLengths = ["value": 10_000]
    static let fieldSchemas: [String: JSONSchema] = ["name": SecretValues.nameSchema]
}

/// A variable as stored: a secret value sealed by the `SecretBox`.
struct StoredVariable: Codable, Sendable, Equatable {
    var name: String
    var value: String
    var secret: Bool
}

/// A variable as answered: a secret value is the mask.
struct VariableResponse: Codable, Sendable {
    let name: String
    let value: String
    let secret: Bool

    init(_ stored: StoredVariable) {
        name = stored.name
        value = stored.secret ? SecretValues.mask : stored.value
        secret = stored.secret
    }
}

/// Seals secret variables and auth credentials before they are stored, masks them in
/// responses and opens them for a run. Sending the mask back, or no value, keeps the
/// stored secret; any other value replaces it.
struct SecretValues: Sendable {
    let box: SecretBox
    static let mask = "***"

    /// Whether `name` can be a variable's (or a base URL's service) name: `{{name}}` in templates.
    static func isName(_ name: String) -> Bool {
        name.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_.\-]{0,99}/) != nil
    }
    static let nameSchema = JSONSchema.string(maxLength: 100, pattern: #"^[A-Za-z_][A-Za-z0-9_.\-]*$"#)

    // MARK: - Variables

    /// `input` ready to store; `stored` holds the previous values, `field` names the list in errors.
    func seal(_ input: [Variable], keeping stored: [StoredVariable], field: String) throws -> [StoredVariable] {
        var seen = Set<String>()
        return try input.enumerated().map { index, variable in
            let pointer = "\(field)[\(index)]"
            guard Self.isName(variable.name) else {
                throw APIError.validation(field: "\(pointer).name", "must start with a letter or _ and hold only letters, digits, _ . -")
            }
            guard seen.insert(variable.name).inserted else { throw APIError.validation(field: "\(pointer).name", "is repeated") }
            guard variable.secret == true else { return StoredVariable(name: variable.name, value: variable.value ?? "", secret: false) }
            if variable.value == nil || variable.value == Self.mask {
                guard let previous = stored.first(where: { $0.name == variable.name && $0.secret }) else {
                    throw APIError.validation(field: "\(pointer).value", "is required for a new secret")
                }
                return previous
            }
            return StoredVariable(name: variable.name, value: try box.seal(variable.value!), secret: true)
        }
    }

    /// Name → plain value, and the plain text of the secrets among them.
    func open(_ stored: [StoredVariable]) throws -> (values: [String: JSONValue], secrets: Set<String>) {
        var values: [String: JSONValue] = [:]
        var secrets = Set<String>()
        for variable in stored {
            let value = variable.secret ? try box.open(variable.value) : variable.value
            if variable.secret { secrets.insert(value) }
            values[variable.name] = .string(value)
        }
        return (values, secrets)
    }

    // MARK: - Auth

    /// The credential fields of an auth preset: an API key's `value` is one, other types' `value` is unused.
    private static func secretFields(of type: RequestAuth.Kind) -> [WritableKeyPath<RequestAuth, String?>] {
        [\.token, \.password, \.clientSecret] + (type == .apiKey ? [\.value] : [])
    }

    /// `input` ready to store; a credential sent as the mask or left out keeps the stored one of the same auth type.
    func seal(_ input: RequestAuth, keeping stored: RequestAuth?) throws -> RequestAuth {
        var sealed = input
        for field in Self.secretFields(of: input.type) {
            if input[keyPath: field] == nil || input[keyPath: field] == Self.mask {
                sealed[keyPath: field] = stored?.type == input.type ? stored?[keyPath: field] : nil
            } else if let plain = input[keyPath: field] {
                sealed[keyPath: field] = try box.seal(plain)
            }
        }
        return sealed
    }

    /// The plain text of a preset's credentials, for one never sealed (the command line's environment file).
    static func credentials(of auth: RequestAuth) -> Set<String> {
        Set(secretFields(of: auth.type).compactMap { auth[keyPath: $0] })
    }

    static func masked(_ auth: RequestAuth) -> RequestAuth {
        var masked = auth
        for field in secretFields(of: auth.type) where masked[keyPath: field] != nil { masked[keyPath: field] = mask }
        return masked
    }

    /// `auth` with each stored credential passed through `transform` (key rotation re-seals them).
    static func mapCredentials(of auth: RequestAuth, _ transform: (String) throws -> String) rethrows -> RequestAuth {
        var mapped = auth
        for field in secretFields(of: auth.type) {
            if let value = auth[keyPath: field] { mapped[keyPath: field] = try transform(value) }
        }
        return mapped
    }

    /// The plain preset, and its credentials' plain text.
    func open(_ auth: RequestAuth) throws -> (auth: RequestAuth, secrets: Set<String>) {
        var opened = auth
        var secrets = Set<String>()
        for field in Self.secretFields(of: auth.type) {
            guard let sealed = auth[keyPath: field] else { continue }
            let plain = try box.open(sealed)
            opened[keyPath: field] = plain
            secrets.insert(plain)
        }
        return (opened, secrets)
    }
}
