import Domain
import Hummingbird
import NIOCore
import Ports

/// The request context of every route: the client's address (after trusted-proxy rules) and, on
/// admin pages, the signed-in identity.
struct AppContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer.
    let peer: String
    /// The client as best known: the peer, or the forwarded address when the peer is a trusted proxy.
    var clientIP: String
    /// True when the client reached us over HTTPS (directly or through a trusted proxy).
    var secure: Bool = false
    /// The country a CDN in front of us reported (CF-IPCountry), only when the peer is a trusted proxy.
    var cdnCountry: String? = nil
    var identity: AuthenticatedSession? = nil
    /// Workspaces an Agent's departments give them.
    var agentWorkspaces: Set<WorkspaceID> = []

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? ""
        clientIP = peer
    }

    var actor: Actor? {
        identity.map { .user($0.user, agentWorkspaces: agentWorkspaces) }
    }
}
