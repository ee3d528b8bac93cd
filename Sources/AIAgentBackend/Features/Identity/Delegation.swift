import Foundation

/// What an administrator who is not a superuser may hand out: nothing beyond what they
/// hold themselves, so a delegated permission can never be widened into more.
/// - Only a superuser grants or removes the superuser flag, or acts on a superuser's account.
/// - Roles given to or taken from a user may carry only permissions the actor holds.
/// - Menu entries (permissions) given to or taken from a role likewise, and so does
///   activating or deactivating a role or changing an entry's permission code.
enum Delegation {
    static func refused(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    /// Refuses unless `actor` holds every code in `codes`; a superuser holds them all.
    static func requireHeld(_ codes: Set<String>, by actor: Principal, _ what: String) throws {
        guard !actor.isSuperuser else { return }
        let missing = codes.subtracting(actor.permissions)
        guard missing.isEmpty else {
            throw refused("\(what) carries permissions you do not hold: \(missing.sorted().joined(separator: ", "))")
        }
    }

    /// Refuses a non-superuser acting on a superuser's account.
    static func requireManageable(_ user: User, by actor: Principal) throws {
        guard actor.isSuperuser || !user.isSuperuser else { throw refused("only a superuser can change a superuser's account") }
    }
}
