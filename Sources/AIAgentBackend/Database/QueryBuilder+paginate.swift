import FluentKit

extension QueryBuilder {
    /// One page of the query's rows, in the query's order, and how many rows it matches in all.
    /// The builder is left as it was (the page is read from a copy).
    func paginate(_ page: ListQuery) async throws -> (items: [Model], total: Int) {
        // `count()` drops the sorts, which PostgreSQL refuses beside an aggregate.
        let total = try await count()
        let items = try await copy().range(page.range).all()
        return (items, total)
    }
}
