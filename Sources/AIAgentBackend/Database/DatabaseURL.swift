import Foundation

/// The `DATABASE_URL` forms the service accepts, normalised the way the original's
/// `database_url_sync` did (`postgresql+asyncpg://` → `postgres://`).
public enum DatabaseURL: Sendable, Equatable {
    case sqlite(path: String)
    case sqliteMemory
    /// A `postgres://user:password@host:port/database?sslmode=…` URL.
    case postgres(url: String)

    static let accepted = "sqlite:///PATH, sqlite:///:memory:, postgresql://user:password@host:5432/db (also postgres:// and postgresql+asyncpg://)"

    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite://") {
            let rest = text.dropFirst("sqlite://".count)
            // `sqlite:///./x.db` is relative, `sqlite:////abs/x.db` is absolute, as in SQLAlchemy.
            guard rest.hasPrefix("/") else { throw DatabaseURLError() }
            let path = String(rest.dropFirst())
            if path == ":memory:" {
                self = .sqliteMemory
            } else if path.isEmpty {
                throw DatabaseURLError()
            } else {
                self = .sqlite(path: path)
            }
            return
        }
        guard let schemeEnd = text.range(of: "://") else { throw DatabaseURLError() }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let driverless = scheme.split(separator: "+").first.map(String.init) ?? scheme
        guard driverless == "postgresql" || driverless == "postgres" else { throw DatabaseURLError() }
        let normalised = "postgres://" + text[schemeEnd.upperBound...]
        guard let components = URLComponents(string: normalised), let host = components.host, !host.isEmpty,
            components.path.count > 1
        else { throw DatabaseURLError() }
        self = .postgres(url: normalised)
    }

    public var isSQLite: Bool {
        if case .postgres = self { return false }
        return true
    }

    /// The form a user writes in DATABASE_URL (password included).
    public var urlString: String {
        switch self {
        case .sqlite(let path): "sqlite:///\(path)"
        case .sqliteMemory: "sqlite:///:memory:"
        case .postgres(let url): url
        }
    }

    /// Safe to log: the password is replaced.
    public var redacted: String { Self.redactingPassword(urlString) }

    static func redactingPassword(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}

struct DatabaseURLError: Error {}
