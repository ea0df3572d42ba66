import Foundation
import Ports

/// Group commit for tracking events. Requests hand their events to a lane and wait; the lane's writer
/// stores everything that queued up while the previous transaction ran in one transaction, then
/// answers every waiting request at once. So a beacon is answered only after its events are committed,
/// while the database sees a few large transactions a second instead of one per request.
///
/// Events of one visitor always go to the same lane (sessions and visitors are never written by two
/// transactions at once). The queue is bounded: when `capacity` events are already waiting the
/// submission is refused at once with `IngestOverloaded` (the beacon answers 503 with Retry-After),
/// so memory stays flat under overload instead of growing.
public final class TrackingIngest: Sendable {
    public let store: any TrackingStore
    public let capacity: Int
    public let maxGroup: Int
    public let lanes: Int
    /// Runs after each batch is committed, with its events (attaching identities to visitors).
    let afterInsert: @Sendable ([TrackedEvent]) async throws -> Void
    /// With a spool, a beacon is answered as soon as its events are durably spooled (fdatasync'd), and one
    /// drainer moves them into the store in large transactions; without one, after its group commits.
    public let spool: (any DurableSpool)?
    let log: @Sendable (String) -> Void
    /// Records (beacons) and bytes the drainer takes into one transaction.
    public let drainRecords: Int

    struct Item: Sendable {
        var events: [TrackedEvent]
        var rules: SessionRules
        var done: CheckedContinuation<Int, any Error>
    }
    struct Lane: Sendable {
        var items: [Item] = []
        var running = false
    }
    struct State: Sendable {
        var lanes: [Lane]
        var waiting = 0
        var peakWaiting = 0
        var groups = 0
        var events = 0
        var failures = 0
        var writeSeconds = 0.0
        var draining = false
        var stopDraining = false
        var corruptRecords = 0
    }
    private let state: Mutex_<State>

    public init(store: any TrackingStore, lanes: Int = 2, capacity: Int = 20_000, maxGroup: Int = 2_000,
                spool: (any DurableSpool)? = nil, drainRecords: Int = 2_000, log: @escaping @Sendable (String) -> Void = { _ in },
                afterInsert: @escaping @Sendable ([TrackedEvent]) async throws -> Void = { _ in }) {
        self.store = store
        self.afterInsert = afterInsert
        self.spool = spool
        self.drainRecords = max(1, drainRecords)
        self.log = log
        self.lanes = max(1, lanes)
        self.capacity = max(1, capacity)
        self.maxGroup = max(1, maxGroup)
        state = Mutex_(State(lanes: Array(repeating: Lane(), count: max(1, lanes))))
    }

    /// Events waiting or being written now; the most there ever were; transactions committed, the events
    /// they held and the seconds they took; failed transactions.
    public var stats: (waiting: Int, peak: Int, groups: Int, events: Int, writeSeconds: Double, failures: Int) {
        let s = state.get()
        return (s.waiting, s.peakWaiting, s.groups, s.events, s.writeSeconds, s.failures)
    }

    /// Bytes spooled and not yet in the store (0 without a spool).
    public var spooledBytes: Int { spool?.pendingBytes ?? 0 }

    func lane(of e: TrackedEvent) -> Int {
        var h = Hasher()
        h.combine(e.workspaceID.raw)
        h.combine(e.visitorKey)
        return Int(UInt(bitPattern: h.finalize()) % UInt(lanes))
    }

    /// Stores `events` (one visitor's, as a beacon carries) and returns when they are committed.
    /// Throws `IngestOverloaded` without waiting when the queue is full, or the store's error.
    public func submit(_ events: [TrackedEvent], rules: SessionRules) async throws -> Int {
        guard let first = events.first else { return 0 }
        if let spool {
            do { try await spool.append(TrackedEventCodec.encode(events, rules: rules)) } catch let full as SpoolFull {
                throw IngestOverloaded(waiting: full.pendingBytes, unit: "bytes in the spool")
            }
            startDraining()
            return events.count
        }
        let lane = lane(of: first)
        return try await withCheckedThrowingContinuation { (done: CheckedContinuation<Int, any Error>) in
            enum Outcome: Sendable { case full, queued, start }
            let outcome: Outcome = state.withLock { s in
                if s.waiting + events.count > capacity && s.waiting > 0 { return .full }
                s.waiting += events.count
                s.peakWaiting = max(s.peakWaiting, s.waiting)
                s.lanes[lane].items.append(Item(events: events, rules: rules, done: done))
                if s.lanes[lane].running { return .queued }
                s.lanes[lane].running = true
                return .start
            }
            switch outcome {
            case .full: done.resume(throwing: IngestOverloaded(waiting: capacity))
            case .queued: break
            // High priority: the writer's statements must not queue behind the parsing of the requests it will answer.
            case .start: Task(priority: .high) { await self.drain(lane) }
            }
        }
    }

    /// The lane's writer: takes what has queued (up to `maxGroup` events), stores it in one transaction,
    /// answers those requests, and goes on until the lane is empty.
    func drain(_ lane: Int) async {
        while true {
            let group: [Item] = state.withLock { s in
                var taken: [Item] = []
                var n = 0
                while let next = s.lanes[lane].items.first, taken.isEmpty || n + next.events.count <= maxGroup {
                    taken.append(next)
                    n += next.events.count
                    s.lanes[lane].items.removeFirst()
                }
                if taken.isEmpty { s.lanes[lane].running = false }
                return taken
            }
            if group.isEmpty { return }
            var rules: [WorkspaceID: SessionRules] = [:]
            for item in group { rules[item.events[0].workspaceID] = item.rules }
            let result: Result<Int, any Error>
            let started = ContinuousClock.now
            do {
                let events = group.flatMap(\.events)
                let n = try await store.insert(events, rules: rules)
                try await afterInsert(events)
                result = .success(n)
            } catch { result = .failure(error) }
            let took = ContinuousClock.now - started
            let n = group.reduce(0) { $0 + $1.events.count }
            state.withLock { s in
                s.waiting -= n
                if case .success = result { s.groups += 1; s.events += n } else { s.failures += 1 }
                s.writeSeconds += Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            }
            for item in group {
                switch result {
                case .success: item.done.resume(returning: item.events.count)
                case .failure(let e): item.done.resume(throwing: e)
                }
            }
        }
    }
}

extension TrackingIngest {
    /// Starts the spool's drainer (once; a no-op without a spool). Call at start-up so that events spooled
    /// before a crash or a restart reach the store even before the next beacon arrives.
    public func startDraining() {
        guard let spool else { return }
        let start: Bool = state.withLock { s in
            if s.draining { return false }
            s.draining = true; s.stopDraining = false
            return true
        }
        if start { Task(priority: .high) { await self.drainSpool(spool) } }
    }

    /// Asks the drainer to stop after its current batch (what is left stays in the spool for the next start).
    public func stopDraining() { state.withLock { $0.stopDraining = true } }

    /// Waits until everything spooled so far is in the store (tests, shutdown), or `timeout` passes.
    @discardableResult
    public func waitUntilDrained(timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while (spool?.pendingBytes ?? 0) > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// The one consumer of the spool: a batch of beacons at a time into one transaction, acknowledged only
    /// after it committed. A failing store is retried (with backoff) until it works: nothing spooled is dropped,
    /// and a batch stored but not acknowledged (crash) is stored again harmlessly, as events are de-duplicated by id.
    func drainSpool(_ spool: any DurableSpool) async {
        var backoff = 0.05
        while !state.withLock({ $0.stopDraining }) {
            let batch: SpoolBatch
            do {
                guard let b = try await spool.next(maxRecords: drainRecords, maxBytes: 16 << 20, wait: .milliseconds(200)) else { continue }
                batch = b
            } catch {
                log("tracking spool unreadable: \(error)")
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            var events: [TrackedEvent] = []
            var rules: [WorkspaceID: SessionRules] = [:]
            for record in batch.records {
                do {
                    let (e, r) = try TrackedEventCodec.decode(record)
                    if let ws = e.first?.workspaceID { rules[ws] = r }
                    events += e
                } catch {
                    state.withLock { $0.corruptRecords += 1 }
                    log("skipped a spool record that cannot be read: \(error)")
                }
            }
            while !events.isEmpty {
                let started = ContinuousClock.now
                do {
                    _ = try await store.insert(events, rules: rules)
                    try await afterInsert(events)
                    let took = ContinuousClock.now - started
                    state.withLock { s in
                        s.groups += 1; s.events += events.count
                        s.writeSeconds += Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
                    }
                    backoff = 0.05
                    break
                } catch {
                    state.withLock { $0.failures += 1 }
                    log("storing spooled tracking events failed, retrying in \(backoff) s: \(error)")
                    try? await Task.sleep(for: .seconds(backoff))
                    backoff = min(backoff * 2, 5)
                }
            }
            while true {
                do { try await spool.acknowledge(batch.end); break } catch {
                    log("acknowledging the tracking spool failed: \(error)")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        state.withLock { $0.draining = false }
    }
}

/// The ingestion queue is full: the caller should answer 503 and let the client retry.
public struct IngestOverloaded: Error, CustomStringConvertible {
    /// What is waiting: events in the in-memory queue, or bytes in the spool.
    public let waiting: Int
    public let unit: String
    public init(waiting: Int, unit: String = "events") { self.waiting = waiting; self.unit = unit }
    public var description: String { "the tracking queue is full (\(waiting) \(unit) waiting to be written)" }
}

/// What the beacon needs to know about a site, kept in memory for a few seconds: the workspace and its
/// tracking settings. A settings change made in this process is seen at once; other processes' within `ttl`.
public final class TrackingSiteCache: Sendable {
    public struct Site: Sendable {
        public var workspace: Workspace
        public var settings: [SettingsService.Resolved]
        public var rules: SessionRules
        /// Excluded IPs and pages (tracking.excluded_ips, tracking.excluded_paths).
        public var exclusions: TrackingExclusions
        public func flag(_ name: String) -> Bool {
            if case .bool(true)? = settings.first(where: { $0.name == name })?.value { return true }
            return false
        }
        public func text(_ name: String) -> String { settings.first(where: { $0.name == name })?.value.stringValue ?? "" }
    }
    struct Entry: Sendable { var site: Site?; var loadedAt: Date; var generation: Int }

    let lookup: @Sendable (String) async throws -> Workspace?
    let settings: SettingsService
    let clock: any TimeSource
    let ttl: TimeInterval
    let maxEntries: Int
    private let entries = Mutex_<[String: Entry]>([:])

    public init(settings: SettingsService, clock: any TimeSource, ttl: TimeInterval = 5, maxEntries: Int = 10_000,
                lookup: @escaping @Sendable (String) async throws -> Workspace?) {
        self.settings = settings; self.clock = clock; self.ttl = ttl; self.maxEntries = maxEntries; self.lookup = lookup
    }

    /// The site with this key, or nil when there is none (remembered too, so a flood of bad keys costs no queries).
    public func site(_ siteKey: String) async throws -> Site? {
        let now = clock.now(), generation = settings.changes.value
        let cached = entries.withLock({ $0[siteKey] })
        if let e = cached, e.generation == generation, now.timeIntervalSince(e.loadedAt) < ttl, e.loadedAt <= now {
            return e.site
        }
        var site: Site?
        do {
            if let ws = try await lookup(siteKey) {
                let resolved = try await settings.resolved(workspace: ws.id)
                site = Site(workspace: ws, settings: resolved, rules: SettingsService.sessionRules(from: resolved), exclusions: TrackingExclusions(settings: resolved))
            }
        } catch {
            // The database is away (restart, failover): keep serving a known site from the last copy rather than
            // refusing its beacons; they are spooled and stored when the database is back.
            if let e = cached, e.site != nil { return e.site }
            throw error
        }
        entries.withLock { map in
            if map.count >= maxEntries { map.removeAll(keepingCapacity: true) }
            map[siteKey] = Entry(site: site, loadedAt: now, generation: generation)
        }
        return site
    }

    /// Forget everything (a site was changed or its secret rotated).
    public func invalidate() { entries.set([:]) }
}
