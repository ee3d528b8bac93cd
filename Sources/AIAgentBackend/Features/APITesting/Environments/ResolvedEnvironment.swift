/// An environment as a run uses it: secrets decrypted, ready for templating. Built by the
/// environment repository when a run starts; never stored or sent.
struct ResolvedEnvironment: Sendable {
    /// By service name; `default` is `{{base_url}}`, another is `{{base_url.NAME}}`.
    var baseURLs: [String: String]
    /// The environment's variables over the project's (the lower two levels of precedence).
    var variables: [String: JSONValue]
    /// Plain text of every secret in scope: redacted wherever it would be stored.
    var secretValues: Set<String>
    var headers: [String: String]
    var auth: RequestAuth
    var verifyTLS: Bool
    var timeout: Duration
    var followRedirects: Bool
    var maxRedirects: Int

    static let empty = ResolvedEnvironment(
        baseURLs: [:], variables: [:], secretValues: [], headers: [:], auth: RequestAuth(type: .none), verifyTLS: true,
        timeout: .seconds(30), followRedirects: true, maxRedirects: 5)
}
