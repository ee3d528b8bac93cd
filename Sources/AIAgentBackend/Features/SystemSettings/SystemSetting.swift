import FluentKit
import Foundation
import Hummingbird

/// A platform setting changed at run time (key/value), table of revision 0001.
final class SystemSetting: Model, @unchecked Sendable {
    static let schema = "system_settings"

    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "value") var value: String
    @OptionalField(key: "description") var description: String?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

struct SystemSettingResponse: Codable, ResponseEncodable {
    let key: String
    let value: String
    let description: String?
    let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case key, value, description
        case updatedAt = "updated_at"
    }

    init(_ setting: SystemSetting) {
        key = setting.id ?? ""
        value = setting.value
        description = setting.description
        updatedAt = setting.updatedAt
    }
}

struct SystemSettingUpdate: Decodable {
    let value: String
    let description: String?
}
