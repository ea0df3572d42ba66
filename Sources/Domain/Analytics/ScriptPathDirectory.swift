import Foundation
import Ports

/// Which custom script paths (`tracking.script_path`) are in use, and by which sites. The web process asks
/// on every GET of a path ending in .js, so the map is cached: reloaded after `ttl`, and at once after a
/// settings change made in this process (`invalidate()`); other processes see a change within `ttl`.
public final class ScriptPathDirectory: Sendable {
    public static let settingName = "tracking.script_path"
    let db: any SQLDatabase
    let workspaces: any WorkspaceStore
    let settings: SettingsService
    let clock: any TimeSource
    public let ttl: TimeInterval

    struct Snapshot: Sendable { let paths: [String: [WorkspaceID]]; let loadedAt: Date }
    private let snapshot = Mutex_<Snapshot?>(nil)

    public init(db: any SQLDatabase, workspaces: any WorkspaceStore, settings: SettingsService, clock: any TimeSource, ttl: TimeInterval = 30) {
        self.db = db; self.workspaces = workspaces; self.settings = settings; self.clock = clock; self.ttl = ttl
    }

    /// Forgets the cached map; the next lookup reads the settings again.
    public func invalidate() { snapshot.set(nil) }

    /// The sites whose script is served at `path` (empty: not a script path).
    public func sites(atPath path: String) async throws -> [WorkspaceID] {
        try await current()[path] ?? []
    }

    /// Every custom path in use, with its sites.
    public func current() async throws -> [String: [WorkspaceID]] {
        let now = clock.now()
        if let s = snapshot.get(), now.timeIntervalSince(s.loadedAt) < ttl, now >= s.loadedAt { return s.paths }
        let paths = try await load()
        snapshot.set(Snapshot(paths: paths, loadedAt: now))
        return paths
    }

    /// The custom path a site's snippet should use, read fresh (nil: the default /widget.php).
    public func customPath(for workspace: WorkspaceID) async throws -> String? {
        guard let p = try await settings.value(Self.settingName, workspace: workspace)?.stringValue, !p.isEmpty else { return nil }
        return p
    }

    /// Reads the installation default once and each site's override: 1 + N small queries.
    func load() async throws -> [String: [WorkspaceID]] {
        func path(_ raw: String?) -> String? {
            guard let raw, let p = try? JSONValue.parse(raw).stringValue, !p.isEmpty else { return nil }
            return p
        }
        let sites = try await db.read { try await workspaces.all(in: $0) }
        let global = path(try await settings.store.values(workspace: 0)[Self.settingName])
        var out: [String: [WorkspaceID]] = [:]
        for site in sites {
            let local = try await settings.store.values(workspace: site.id.raw)[Self.settingName]
            // A site override (even "") wins over the installation default.
            let effective = local != nil ? path(local) : global
            if let p = effective { out[p, default: []].append(site.id) }
        }
        return out
    }
}
