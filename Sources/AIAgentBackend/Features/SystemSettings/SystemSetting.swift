import FluentKit
import Foundation
import Hummingbird

/// A platform setting changed at run time (key/value), table of revision 0001. A secret
/// setting's value is sealed by the `SecretBox` and never shown again.
final class SystemSetting: Model, @unchecked Sendable {
    static let schema = "system_settings"

    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "value") var value: String
    @OptionalField(key: "description") var description: String?
    @Field(key: "is_secret") var isSecret: Bool
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

struct SystemSettingResponse: Codable, ResponseEncodable {
    let key: String
    /// `***` for a secret setting.
    let value: String
    let description: String?
    let isSecret: Bool
    let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case key, value, description
        case isSecret = "is_secret"
        case updatedAt = "updated_at"
    }

    init(_ setting: SystemSetting) {
        key = setting.id ?? ""
        value = setting.isSecret ? Redaction.mask : setting.value
        description = setting.description
        isSecret = setting.isSecret
        updatedAt = setting.updatedAt
    }
}

struct SystemSettingUpdate: Decodable, LongTextInput {
    let value: String
    let description: String?
    /// Absent: kept as it was; for a new setting, true when the key names a secret (`smtp.password`).
    let isSecret: Bool?

    enum CodingKeys: String, CodingKey {
        case value, description
        case isSecret = "is_secret"
    }

    static let maxLengths = ["value": 10_000, "description": 500]
}

extension SystemSettingUpdate: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = ["value": .text(0...10_000), "description": .text(0...500)]
}
