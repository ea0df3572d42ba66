import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP proxy in front of the test MariaDB, so a test can take "the database" away (refuse
/// new connections and cut the open ones) and give it back, the way a restart looks to a client.
final class TCPProxy: Sendable {
    let targetHost: String
    let targetPort: Int
    let port: Int
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let listener = Mutex<(any Channel)?>(nil)
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Picks a free port now; listening starts with `start()`.
    init(targetHost: String, targetPort: Int) throws {
        self.targetHost = targetHost
        self.targetPort = targetPort
        let probe = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        port = probe.localAddress!.port!
        try probe.close().wait()
    }

    func start() async throws {
        let host = targetHost, tport = targetPort
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] child in
                ClientBootstrap(group: child.eventLoop).connect(host: host, port: tport).flatMap { upstream in
                    let a = Glue(), b = Glue()
                    a.partner = b
                    b.partner = a
                    self.track(child)
                    self.track(upstream)
                    return child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(a)
                        try upstream.pipeline.syncOperations.addHandler(b)
                    }
                }
            }
        let ch = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        listener.withLock { $0 = ch }
    }

    private func track(_ ch: any Channel) {
        let id = ObjectIdentifier(ch)
        open.withLock { $0[id] = ch }
        ch.closeFuture.whenComplete { [self] _ in _ = open.withLock { $0.removeValue(forKey: id) } }
    }

    /// Stops listening and cuts every open connection.
    func stop() async {
        let l = listener.withLock { c -> (any Channel)? in defer { c = nil }; return c }
        try? await l?.close().get()
        let all = open.withLock { $0.values.map { $0 } }
        for c in all { try? await c.close().get() }
    }

    func shutdown() async {
        await stop()
        try? await group.shutdownGracefully()
    }
}

/// Copies bytes from one channel to its partner.
private final class Glue: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var partner: Glue?
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil; partner = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.send(unwrapInboundIn(data))
    }

    func send(_ buffer: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
