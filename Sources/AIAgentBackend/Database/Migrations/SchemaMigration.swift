import FluentKit

/// One revision of the schema, like an Alembic revision: an ordered id, a name, and
/// the steps to apply and to undo it. Both run inside a transaction.
public protocol SchemaMigration: Sendable {
    /// Ordered, unique id such as "0001".
    var revision: String { get }
    var name: String { get }
    func upgrade(on database: any Database) async throws
    func downgrade(on database: any Database) async throws
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case unknownRevision(String)
    case unknownAppliedRevision(String)
    case wrongDirection(String)
    /// `migrate create` could not write the new revision.
    case cannotCreate(String)

    public var description: String {
        switch self {
        case .unknownRevision(let revision): "unknown revision '\(revision)' (use 'head', 'base' or an id from 'migrate history')"
        case .unknownAppliedRevision(let revision): "the database is at revision '\(revision)', which this build does not know"
        case .wrongDirection(let message), .cannotCreate(let message): message
        }
    }
}
