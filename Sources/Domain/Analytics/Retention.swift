import Foundation
import Ports

/// The daily retention task: raw events and sessions older than each site's retention setting are
/// deleted in bounded batches, with a pause between batches so ingestion is never locked out.
public struct RetentionTask: Sendable {
    public static let jobKind = "analytics.retention"
    public let db: any SQLDatabase
    public let workspaces: any WorkspaceStore
    public let settings: SettingsService
    public let maintenance: any TrackingMaintenance
    public let clock: any TimeSource
    public var batch = 5_000
    public var pause: TimeInterval = 0.05

    public init(db: any SQLDatabase, workspaces: any WorkspaceStore, settings: SettingsService, maintenance: any TrackingMaintenance, clock: any TimeSource) {
        self.db = db; self.workspaces = workspaces; self.settings = settings; self.maintenance = maintenance; self.clock = clock
    }

    /// Returns how many events and sessions were deleted.
    @discardableResult
    public func run() async throws -> (events: Int, sessions: Int) {
        var totals = (events: 0, sessions: 0)
        for ws in try await db.read({ try await workspaces.all(in: $0) }) {
            let days = try await settings.value("retention.days", workspace: ws.id)?.intValue ?? 395
            let cutoff = clock.now().addingTimeInterval(-Double(days) * 86400)
            while true {
                let n = try await maintenance.deleteEvents(ws.id, before: cutoff, batch: batch)
                totals.events += n
                if n < batch { break }
                try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
            }
            while true {
                let n = try await maintenance.deleteSessions(ws.id, before: cutoff, batch: batch)
                totals.sessions += n
                if n < batch { break }
                try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
            }
            // The per-visitor page and Geo days of the daily rollups: one pass over the site's visitors, a batch at a time.
            var after = ""
            while let last = try await maintenance.deletePresenceDays(ws.id, before: cutoff, after: after, batch: batch) {
                after = last
                try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
            }
        }
        return totals
    }
}
