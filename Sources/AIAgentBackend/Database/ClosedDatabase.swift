import FluentPostgresDriver
import Logging
import NIOCore
import SQLKit

/// What `DatabaseService.database` hands out once the pools are closed: work that outlives
/// the shutdown (a request cut off by SHUTDOWN_TIMEOUT that still stores its result) fails
/// with `ConnectionPoolError.shutdown` instead of crashing the process.
struct ClosedDatabase: Database, SQLDatabase {
    let context: DatabaseContext
    let dialect: any SQLDialect

    var logger: Logger { context.logger }
    var eventLoop: any EventLoop { context.eventLoop }
    var inTransaction: Bool { false }

    private func refused<T>() -> EventLoopFuture<T> { eventLoop.makeFailedFuture(ConnectionPoolError.shutdown) }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> { refused() }
    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> { refused() }
    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { refused() }
    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> { refused() }
    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> { refused() }
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> { refused() }
}
