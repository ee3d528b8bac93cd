import Foundation
import Logging
import RedisClient
import ServiceLifecycle
import Synchronization

/// An in-process cache entry, or all of one kind, that a change made stale.
struct Invalidation: Codable, Hashable, Sendable {
    /// One kind of in-process cache. An unknown topic (a newer replica's) fails to decode,
    /// and the receiver then drops everything.
    enum Topic: String, Codable, Sendable, CaseIterable {
        case principals, sessions, chatSessions, modelConfigs, userList, accessTokens
    }

    let topic: Topic
    /// The entry to drop; nil drops every entry of the topic.
    let key: String?

    static func principal(_ userID: UUID) -> Invalidation { Invalidation(topic: .principals, key: userID.uuidString) }
    static let allPrincipals = Invalidation(topic: .principals, key: nil)
    /// A token family (login session) that was revoked.
    static func session(_ family: String) -> Invalidation { Invalidation(topic: .sessions, key: family) }
    static func chatSession(_ id: UUID) -> Invalidation { Invalidation(topic: .chatSessions, key: id.uuidString) }
    static func modelConfig(_ id: UUID) -> Invalidation { Invalidation(topic: .modelConfigs, key: id.uuidString) }
    static let userList = Invalidation(topic: .userList, key: nil)
    /// A personal access token that was revoked, by the hash its row is found by.
    static func accessToken(hash: String) -> Invalidation { Invalidation(topic: .accessTokens, key: hash) }
}

/// Tells every replica to drop in-process cache entries that a change made stale, so that
/// a disabled user or a deleted session stops working everywhere at once rather than when
/// each replica's short TTL runs out.
///
/// Publishing applies locally at once, then goes to one Redis channel that every replica
/// holds one subscription to (``run()``). Without Redis (disabled, or away) it is local
/// only and the caches' TTLs bound the staleness elsewhere; after each (re)subscription
/// every subscriber drops everything, since what was published meanwhile was not heard.
final class InvalidationBus: Service, Sendable {
    typealias Handler = @Sendable (_ key: String?) -> Void

    private struct Message: Codable {
        /// The replica that published: it applied the invalidation already and ignores its echo.
        let origin: UUID
        let invalidation: Invalidation
    }

    static let initialBackoff: Duration = .milliseconds(100)
    static let maxBackoff: Duration = .seconds(2)

    let channel: String
    let replicaID = UUID()
    private let redis: RedisClient?
    private let logger: Logger
    private let handlers = Mutex<[Invalidation.Topic: [Handler]]>([:])
    /// Whether this replica's subscription is up. While it is not, Redis is most likely away
    /// too, and publishing does not wait for a connection attempt to fail.
    private let listening = Atomic<Bool>(false)

    /// `redis` nil: local only (`REDIS_ENABLED=false`).
    init(redis: RedisClient?, channel: String, logger: Logger) {
        self.redis = redis
        self.channel = channel
        self.logger = logger
    }

    /// Whether this replica hears the others' invalidations now.
    var isListening: Bool { listening.load(ordering: .relaxed) }

    /// `handler` runs on every invalidation of `topic`, local or remote; it must be quick.
    func subscribe(_ topic: Invalidation.Topic, _ handler: @escaping Handler) {
        handlers.withLock { $0[topic, default: []].append(handler) }
    }

    /// Applies `invalidation` here, then sends it to the other replicas. Never throws: a
    /// message Redis did not take leaves them on their TTLs.
    func publish(_ invalidation: Invalidation) async {
        apply(invalidation)
        guard let redis, isListening else { return }
        do {
            let message = try JSONEncoder().encode(Message(origin: replicaID, invalidation: invalidation))
            try await redis.publish(.bytes(Array(message)), to: channel)
        } catch {
            logger.warning("invalidation not published", metadata: ["topic": "\(invalidation.topic.rawValue)", "error": "\(error)"])
        }
    }

    /// Holds the subscription until graceful shutdown, subscribing again with backoff
    /// whenever it is lost.
    func run() async throws {
        guard let redis else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown { await self.listen(redis) }
    }

    private func listen(_ redis: RedisClient) async {
        var backoff = Self.initialBackoff
        var outage = false
        while !Task.isCancelled {
            do {
                let subscription = try await redis.subscribe(to: [channel])
                // Whatever was published while unsubscribed is dropped before this replica says it listens.
                dropEverything()
                listening.store(true, ordering: .relaxed)
                if outage { logger.info("invalidations subscribed again", metadata: ["channel": "\(channel)"]) }
                outage = false
                backoff = Self.initialBackoff
                for try await message in subscription { receive(message) }
            } catch {
                if !outage, !Task.isCancelled {
                    logger.warning(
                        "invalidations not received from Redis; caches fall back on their TTLs",
                        metadata: ["error": "\(error)"])
                }
                outage = true
            }
            listening.store(false, ordering: .relaxed)
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, Self.maxBackoff)
        }
    }

    private func receive(_ published: RedisPubSubMessage) {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(published.payload.readableBytesView)) else {
            logger.debug("unreadable invalidation; dropping every entry", metadata: ["payload": "\(published.string.prefix(200))"])
            dropEverything()
            return
        }
        if message.origin != replicaID { apply(message.invalidation) }
    }

    private func apply(_ invalidation: Invalidation) {
        for handler in handlers.withLock({ $0[invalidation.topic] ?? [] }) { handler(invalidation.key) }
    }

    /// Empties every subscriber's entries on this replica only.
    func dropEverything() {
        for topic in Invalidation.Topic.allCases { apply(Invalidation(topic: topic, key: nil)) }
    }
}

extension ExpiringMap where Key == UUID {
    /// Drops the entry `key` names, or every entry for nil (or a key that is no id).
    func invalidate(_ key: String?) {
        if let id = key.flatMap(UUID.init(uuidString:)) { remove(id) } else { removeAll() }
    }
}

extension ExpiringMap where Key == String {
    /// Drops the entry `key` names, or every entry for nil.
    func invalidate(_ key: String?) {
        if let key { remove(key) } else { removeAll() }
    }
}
