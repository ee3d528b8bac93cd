import NIOCore
import NIOPosix
import Synchronization

/// A TCP server on 127.0.0.1 that accepts connections, reads what comes and never answers:
/// the provider that hangs. Counts the connections the client still holds open.
final class SilentListener: Sendable {
    private let channel: any Channel
    private let counts: Counts

    var port: Int { channel.localAddress?.port ?? 0 }
    var accepted: Int { counts.accepted.load(ordering: .relaxed) }
    var open: Int { counts.open.load(ordering: .relaxed) }

    private final class Counts: Sendable {
        let accepted = Atomic(0)
        let open = Atomic(0)
    }

    private final class Silence: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let counts: Counts
        init(counts: Counts) { self.counts = counts }

        func channelActive(context: ChannelHandlerContext) {
            counts.accepted.add(1, ordering: .relaxed)
            counts.open.add(1, ordering: .relaxed)
        }

        func channelInactive(context: ChannelHandlerContext) {
            counts.open.subtract(1, ordering: .relaxed)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }

    private init(channel: any Channel, counts: Counts) {
        self.channel = channel
        self.counts = counts
    }

    static func start() async throws -> SilentListener {
        let counts = Counts()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.pipeline.addHandler(Silence(counts: counts)) }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentListener(channel: channel, counts: counts)
    }

    func stop() async { try? await channel.close() }
}
