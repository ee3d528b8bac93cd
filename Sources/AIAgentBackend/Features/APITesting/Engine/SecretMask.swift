import Foundation

/// The secrets of one case iteration (the environment's, secret extractions, credentials and
/// OAuth tokens), masked in everything the engine records, in the forms they travel in.
struct SecretMask: Sendable {
    private(set) var secrets: [String] = []

    init(_ values: some Sequence<String>) {
        for value in values { add(value) }
    }

    mutating func add(_ value: String) {
        guard !value.isEmpty else { return }
        var forms = [value]
        // As they appear in a URL or a form body.
        if let encoded = value.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed), encoded != value { forms.append(encoded) }
        for form in forms where !secrets.contains(form) { secrets.append(form) }
        secrets.sort { $0.count > $1.count }
    }

    func apply(_ text: String) -> String {
        secrets.isEmpty ? text : Redaction.replacing(secrets, in: text)
    }

    /// A header: by its name (`Authorization`, `Cookie`, `Set-Cookie`, `X-Api-Key`...) and value, then the known secrets.
    func header(name: String, value: String) -> HeaderField {
        HeaderField(name: name, value: apply(Redaction.redact(value, key: name)))
    }

    func apply(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(apply(text))
        case .array(let items): .array(items.map(apply))
        case .object(let object): .object(object.mapValues(apply))
        default: value
        }
    }
}

extension CharacterSet {
    /// RFC 3986 unreserved characters: everything else in a query name or value is encoded.
    static let urlQueryValueAllowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
}
