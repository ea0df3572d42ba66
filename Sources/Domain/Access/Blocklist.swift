import Foundation
import Ports

/// The IP blocklist. Each process keeps the parsed list in memory and reloads it from the database
/// every few seconds (and at once after its own changes), so a block applies to every web process
/// without a query per request.
public final class Blocklist: Sendable {
    public let store: any BlockedNetworkStore
    let clock: any TimeSource
    let refreshEvery: TimeInterval
    private let cache = Mutex_<(loadedAt: Date, entries: [(CIDR, BlockedNetwork)])>((.distantPast, []))

    public init(store: any BlockedNetworkStore, clock: any TimeSource, refreshEvery: TimeInterval = 10) {
        self.store = store; self.clock = clock; self.refreshEvery = refreshEvery
    }

    public func invalidate() { cache.set((.distantPast, [])) }

    func entries() async throws -> [(CIDR, BlockedNetwork)] {
        let now = clock.now()
        let c = cache.get()
        if now.timeIntervalSince(c.loadedAt) < refreshEvery { return c.entries }
        let fresh: [(CIDR, BlockedNetwork)]
        do {
            fresh = try await store.all().compactMap { b in CIDR(b.cidr).map { ($0, b) } }
        } catch where c.loadedAt != .distantPast {
            return c.entries  // the database is away: the last list still applies
        }
        cache.set((now, fresh))
        return fresh
    }

    /// The block that applies to `ip`: installation-wide entries always, a site's entries when `workspace` is that site.
    public func match(_ ip: String, workspace: WorkspaceID? = nil) async throws -> BlockedNetwork? {
        let list = try await entries()
        guard !list.isEmpty, let addr = IPAddress(ip) else { return nil }
        let now = clock.now()
        return list.first { cidr, b in
            (b.expiresAt.map { $0 > now } ?? true) && (b.workspaceID == nil || b.workspaceID == workspace) && cidr.contains(addr)
        }?.1
    }

    /// Parses and normalises an entry; refuses one that would lock the person adding it out of the admin.
    public static func validate(_ raw: String, requesterIP: String?, installationWide: Bool) throws -> CIDR {
        guard let c = CIDR(raw) else {
            throw DomainError.validation(field: "cidr", message: "'\(raw)' is not an IP address or CIDR range (examples: 203.0.113.7, 198.51.100.0/24, 2001:db8::/32)")
        }
        if installationWide, let ip = requesterIP.flatMap(IPAddress.init), c.contains(ip) {
            throw DomainError.validation(field: "cidr", message: "this range contains your own address (\(ip)); blocking it would lock you out of the admin")
        }
        return c
    }
}
