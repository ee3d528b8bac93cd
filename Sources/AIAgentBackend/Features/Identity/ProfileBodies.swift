import Foundation
import NIOCore

/// `/auth/me`'s JSON by user: the profile is a function of the principal alone, so it is
/// encoded once per loaded principal rather than on every call. An entry answers only the
/// principal revision it was encoded from, so a reloaded principal replaces it by itself.
final class ProfileBodies: Sendable {
    private let bodies = ExpiringMap<UUID, (revision: UUID, body: ByteBuffer)>()

    func body(for principal: Principal) throws -> ByteBuffer {
        if let cached = bodies[principal.userID], cached.revision == principal.revision { return cached.body }
        let permissions = principal.isSuperuser ? PermissionCatalog.allPermissions : Array(principal.permissions)
        let profile = AuthController.Profile(user: principal.profile, roles: principal.roles, permissions: permissions.sorted())
        let body = ByteBuffer(bytes: try JSONCoding.encoder.encode(profile))
        bodies.set((principal.revision, body), for: principal.userID, ttl: AccessControl.principalTTL)
        return body
    }
}
