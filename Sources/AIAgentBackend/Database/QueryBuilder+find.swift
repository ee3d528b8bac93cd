import FluentKit

extension QueryBuilder {
    /// The row with this id among the query's rows, or a 404 naming the resource:
    /// `find(id, or404: "user")` answers "no user 5C1D…" when there is none.
    func find(_ id: Model.IDValue, or404 resource: String) async throws -> Model {
        guard let model = try await filter(\._$id == id).first() else {
            // A textual key (a setting's) is quoted, so an empty or spaced one stays visible.
            let shownID = id is String ? "'\(id)'" : "\(id)"
            throw APIError.notFound("no \(resource) \(shownID)")
        }
        return model
    }
}

extension Model {
    /// The row with this id, or a 404 naming the resource (see ``QueryBuilder/find(_:or404:)``).
    static func find(_ id: IDValue, on database: any Database, or404 resource: String) async throws -> Self {
        try await query(on: database).find(id, or404: resource)
    }
}
