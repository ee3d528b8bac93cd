/// How a request authenticates: an environment's preset, or a step's override. Strings are templates.
/// - `bearer`: `token`;
/// - `basic`: `username`, `password`;
/// - `api_key`: `name` and `value`, sent `in` a header or the query;
/// - `oauth2_client_credentials`: `token_url`, `client_id`, `client_secret`, `scope`; the token
///   is fetched, cached until it expires, and fetched again once on a 401. The client
///   authenticates with HTTP basic auth (`client_auth: basic`, the default, RFC 6749 §2.3.1)
///   or with `client_id` and `client_secret` in the form (`client_auth: body`).
struct RequestAuth: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        case none, bearer, basic
        case apiKey = "api_key"
        case oauth2ClientCredentials = "oauth2_client_credentials"
    }
    enum Placement: String, Codable, Sendable, CaseIterable { case header, query }
    enum ClientAuthentication: String, Codable, Sendable, CaseIterable { case basic, body }
    var type: Kind
    var token: String?
    var username: String?
    var password: String?
    var name: String?
    var value: String?
    var `in`: Placement?
    var tokenURL: String?
    var clientID: String?
    var clientSecret: String?
    var scope: String?
    var clientAuth: ClientAuthentication?

    enum CodingKeys: String, CodingKey {
        case type, token, username, password, name, value, `in`, scope
        case tokenURL = "token_url"
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case clientAuth = "client_auth"
    }
}

extension RequestAuth: LongTextInput {
    static let maxLengths = ["token": 10_000, "value": 10_000, "password": 1_000, "client_secret": 1_000, "token_url": 2_000, "scope": 1_000]
}
