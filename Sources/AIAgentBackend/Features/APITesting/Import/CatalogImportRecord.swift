import FluentKit
import Foundation
import Hummingbird

/// One import into a project: where it came from, who ran it, and its report.
final class CatalogImportRecord: Model, @unchecked Sendable {
    static let schema = "imports"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Enum(key: "format") var format: ImportFormat
    @OptionalField(key: "title") var title: String?
    @OptionalField(key: "source_filename") var sourceFilename: String?
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    /// `ImportReport`: operation keys and field names only, never a variable's value.
    @Field(key: "report") var reportJSON: String

    init() {}
}

/// What an import did, by operation key (`"GET /pets/{id}"`).
struct ImportReport: Codable, ResponseEncodable, Sendable {
    var id: UUID
    var projectID: UUID
    var format: ImportFormat
    var title: String?
    var sourceFilename: String?
    var createdBy: UUID?
    var createdAt: Date?
    /// The environment that received the document's base URLs and variables, if it had any.
    var environmentID: UUID?
    var created: [CreatedOperation] = []
    var updated: [UpdatedOperation] = []
    var removed: [RemovedOperation] = []
    var skipped: [SkippedItem] = []
    var warnings: [ImportWarning] = []
    var flaggedCases: [FlaggedCase] = []

    enum CodingKeys: String, CodingKey {
        case id, format, title, created, updated, removed, skipped, warnings
        case projectID = "project_id"
        case sourceFilename = "source_filename"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case environmentID = "environment_id"
        case flaggedCases = "flagged_cases"
    }

    struct CreatedOperation: Codable, Sendable {
        var operationKey: String
        var endpointID: UUID
        /// The starter case, when `create_cases` asked for one.
        var caseID: UUID?

        enum CodingKeys: String, CodingKey {
            case operationKey = "operation_key"
            case endpointID = "endpoint_id"
            case caseID = "case_id"
        }
    }

    struct UpdatedOperation: Codable, Sendable {
        var operationKey: String
        var endpointID: UUID
        /// Of `path`, `summary`, `tags`, `parameters`, `request_body`, `responses`, `deprecated`.
        var changed: [String]

        enum CodingKeys: String, CodingKey {
            case changed
            case operationKey = "operation_key"
            case endpointID = "endpoint_id"
        }
    }

    struct RemovedOperation: Codable, Sendable {
        var operationKey: String
        var endpointID: UUID

        enum CodingKeys: String, CodingKey {
            case operationKey = "operation_key"
            case endpointID = "endpoint_id"
        }
    }

    struct SkippedItem: Codable, Sendable {
        var item: String
        var reason: String
    }

    struct FlaggedCase: Codable, Sendable {
        var caseID: UUID
        /// The removed operation the case tested.
        var operationKey: String

        enum CodingKeys: String, CodingKey {
            case caseID = "case_id"
            case operationKey = "operation_key"
        }
    }
}

/// An import in a list: the report's counts, not its items.
struct ImportSummary: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let format: ImportFormat
    let title: String?
    let sourceFilename: String?
    let createdBy: UUID?
    let createdAt: Date?
    let created: Int
    let updated: Int
    let removed: Int
    let flaggedCases: Int

    enum CodingKeys: String, CodingKey {
        case id, format, title, created, updated, removed
        case sourceFilename = "source_filename"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case flaggedCases = "flagged_cases"
    }

    init(_ record: CatalogImportRecord) throws {
        let report = try JSONColumn.decode(record.reportJSON, as: ImportReport.self)
        id = try record.requireID()
        format = record.format
        title = record.title
        sourceFilename = record.sourceFilename
        createdBy = record.createdBy
        createdAt = record.createdAt
        created = report.created.count
        updated = report.updated.count
        removed = report.removed.count
        flaggedCases = report.flaggedCases.count
    }
}
