import NIOCore
import NIOHTTPTypes

/// At shutdown Hummingbird closes every connection that is not inside a request. A connection
/// accepted a moment before, whose request has not been read yet, would be closed unread, and
/// a proxy cannot safely send a POST again once it has sent it. So the shutdown notice for
/// such a connection waits until its first request starts (it is then answered, and closed)
/// or until `grace` passes.
final class QuiesceGraceHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let grace: TimeAmount = .seconds(1)
    private var hasReadARequest = false
    private var heldNotice: Scheduled<Void>?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        guard !hasReadARequest else { return }
        hasReadARequest = true
        if let heldNotice {
            heldNotice.cancel()
            self.heldNotice = nil
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, !hasReadARequest, heldNotice == nil else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        heldNotice = context.eventLoop.assumeIsolated().scheduleTask(in: Self.grace) {
            self.heldNotice = nil
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        heldNotice?.cancel()
        heldNotice = nil
    }
}
