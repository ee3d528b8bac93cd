import FluentKit
import Foundation
import Hummingbird

/// `/api/v1/system/settings`: read and change the platform's run-time settings. Secret
/// values are sealed at rest and masked in every answer.
struct SystemSettingsController {
    let systemSettings: SystemSettingRepository
    let secrets: SecretBox

    func register(on routes: SecuredRoutes) {
        let settings = routes.group("system/settings")
        let key = ["key": JSONSchema.string(maxLength: 100, pattern: Self.keyPattern)]
        settings.get(
            .permission(.settingsRead),
            RouteContract(
                "List settings", query: QueryParameter.paging,
                returns: ListPage<SystemSettingResponse>.self), use: list)
        settings.get(":key", .permission(.settingsRead), RouteContract("Get a setting", path: key, returns: SystemSettingResponse.self), use: get)
        settings.put(
            ":key", .permission(.settingsUpdate),
            RouteContract(
                "Create or replace a setting", path: key, body: SystemSettingUpdate.self,
                returns: SystemSettingResponse.self), use: put)
        settings.delete(":key", .permission(.settingsUpdate), RouteContract("Delete a setting", path: key), use: delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<SystemSettingResponse> {
        let page = try ListQuery(request)
        let (items, total) = try await systemSettings.list(page)
        return ListPage(items: items.map(SystemSettingResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> SystemSettingResponse {
        SystemSettingResponse(try await systemSettings.find(context.parameters.require("key")))
    }

    @Sendable func put(_ request: Request, context: AppRequestContext) async throws -> SystemSettingResponse {
        let key = try context.parameters.require("key")
        guard Self.isValidKey(key) else {
            throw APIError.validation(field: "key", "use lower-case letters, digits, '_' and '.', starting with a letter (at most 100)")
        }
        let update = try await request.decodeJSON(as: SystemSettingUpdate.self, context: context)
        let existing = try await systemSettings.setting(key)
        let setting =
            existing
            ?? {
                let setting = SystemSetting()
                setting.id = key
                return setting
            }()
        setting.isSecret = update.isSecret ?? existing?.isSecret ?? Redaction.isSecret(key)
        setting.value = setting.isSecret ? try secrets.seal(update.value) : update.value
        setting.description = update.description
        setting.updatedAt = Date()
        try await systemSettings.save(setting)
        return SystemSettingResponse(setting)
    }

    /// What `isValidKey` accepts, for the API contract.
    static let keyPattern = "^[a-z][a-z0-9_.]{0,99}$"

    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, key.count <= 100, ("a"..."z").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "." }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await systemSettings.delete(try await systemSettings.find(context.parameters.require("key")))
        return Response(status: .noContent)
    }
}
