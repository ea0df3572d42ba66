import Foundation
import Ports

/// Tracking events in multi-row INSERTs (one round trip per batch, the only way to reach tens of
/// thousands of rows a second); duplicates by (workspace, event id) are skipped by the unique index.
public struct SQLTrackingStore: TrackingStore {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static let columns = ["workspace_id", "event_uid", "visitor_key", "session_hint", "type", "name", "ts", "received_at", "url", "path", "title", "referrer",
                          "referrer_domain", "source", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "country", "device", "browser",
                          "browser_version", "os", "os_version", "ip", "screen", "lang", "engaged_ms", "scroll_pct", "props", "is_bot"]

    static func binds(_ e: TrackedEvent) -> [SQLValue] {
        [.int(e.workspaceID.raw), .text(e.eventUID), .text(e.visitorKey), .text(e.sessionHint), .text(e.type), .text(e.name), .int(e.ts.epochMillis),
         .int(e.receivedAt.epochMillis), .text(e.url), .text(e.path), .text(e.title), .text(e.referrer), .text(e.referrerDomain), .text(e.source),
         SQLValue(e.utm["source"]), SQLValue(e.utm["medium"]), SQLValue(e.utm["campaign"]), SQLValue(e.utm["term"]), SQLValue(e.utm["content"]),
         .text(e.country), .text(e.device), .text(e.browser), .text(e.browserVersion), .text(e.os), .text(e.osVersion), .text(e.ip), .text(e.screen),
         .text(e.lang), .int(e.engagedMs), .int(e.scrollPct), .text(e.props), SQLValue(e.isBot)]
    }

    public func insert(_ incoming: [TrackedEvent], rules: SessionRules) async throws -> Int {
        guard !incoming.isEmpty else { return 0 }
        let ignore = db.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
        let row = "(" + Array(repeating: "?", count: Self.columns.count).joined(separator: ", ") + ")"
        return try await db.transaction { tx in
            // Drop the events this workspace already has (retries), so sessions count each event once.
            var known = Set<String>()
            for ws in Set(incoming.map(\.workspaceID.raw)) {
                let uids = incoming.filter { $0.workspaceID.raw == ws }.map(\.eventUID)
                for chunk in stride(from: 0, to: uids.count, by: 200) {
                    let part = Array(uids[chunk..<min(uids.count, chunk + 200)])
                    let sql = "SELECT event_uid FROM tracking_events WHERE workspace_id = ? AND event_uid IN (\(Array(repeating: "?", count: part.count).joined(separator: ", ")))"
                    for r in try await tx.query(sql, [.int(ws)] + part.map { .text($0) }) { known.insert("\(ws)|\(try r.string("event_uid"))") }
                }
            }
            var seenInBatch = Set<String>()
            let events = incoming.filter { e in
                let k = "\(e.workspaceID.raw)|\(e.eventUID)"
                return !known.contains(k) && seenInBatch.insert(k).inserted
            }
            if events.isEmpty { return 0 }
            var inserted = 0
            // Chunks of 200 rows stay under SQLite's bound-parameter limit (32766) and MariaDB's packet size.
            for chunk in stride(from: 0, to: events.count, by: 200) {
                let part = events[chunk..<min(events.count, chunk + 200)]
                inserted += try await tx.execute("\(ignore) tracking_events (\(Self.columns.joined(separator: ", "))) VALUES " + Array(repeating: row, count: part.count).joined(separator: ", "),
                                                 part.flatMap(Self.binds)).affectedRows
            }
            // Visitors: first and last seen.
            var latest: [String: (WorkspaceID, Date, String)] = [:]
            for e in events {
                let k = "\(e.workspaceID.raw)|\(e.visitorKey)"
                if let cur = latest[k], cur.1 >= e.ts { continue }
                latest[k] = (e.workspaceID, e.ts, e.country)
            }
            for (key, v) in latest.sorted(by: { $0.key < $1.key }) {
                let vk = String(key.split(separator: "|", maxSplits: 1)[1])
                try await tx.execute("\(ignore) visitors (workspace_id, visitor_key, first_seen_at, last_seen_at, country) VALUES (?, ?, ?, ?, ?)",
                                     [.int(v.0.raw), .text(vk), .int(v.1.epochMillis), .int(v.1.epochMillis), .text(v.2)])
                try await tx.execute("UPDATE visitors SET last_seen_at = ? WHERE workspace_id = ? AND visitor_key = ? AND last_seen_at < ?",
                                     [.int(v.1.epochMillis), .int(v.0.raw), .text(vk), .int(v.1.epochMillis)])
            }
            try await assignSessions(events, rules: rules, in: tx)
            return inserted
        }
    }

    /// Extends the visitor's open session or starts a new one, event by event in time order.
    func assignSessions(_ events: [TrackedEvent], rules: SessionRules, in tx: any SQLConnection) async throws {
        var open: [String: TrackedSession] = [:]
        var sessionWorkspace: [Int64: Int64] = [:]
        var dirty: Set<Int64> = []
        var members: [Int64: [String]] = [:]
        let timeoutMs = Int64(rules.timeout * 1000)
        for e in events.sorted(by: { $0.ts < $1.ts }) {
            let key = "\(e.workspaceID.raw)|\(e.visitorKey)"
            if open[key] == nil, let r = try await tx.queryFirst(
                "SELECT * FROM tracking_sessions WHERE workspace_id = ? AND visitor_key = ? ORDER BY last_at DESC LIMIT 1", [.int(e.workspaceID.raw), .text(e.visitorKey)]) {
                open[key] = try Self.decodeSession(r)
                sessionWorkspace[open[key]!.id] = e.workspaceID.raw
            }
            let isPage = e.type == "pageview"
            let converts = e.type == "custom" && rules.conversionEvents.contains(e.name)
            if var s = open[key], e.ts.epochMillis - s.lastAt.epochMillis <= timeoutMs, e.ts.epochMillis >= s.startedAt.epochMillis - timeoutMs {
                s.lastAt = max(s.lastAt, e.ts)
                s.events += 1
                if isPage {
                    s.pageviews += 1
                    s.exitPath = e.path
                    if s.entryPath.isEmpty { s.entryPath = e.path }
                }
                s.engagedMs += e.engagedMs
                if converts { s.converted = true }
                open[key] = s
                dirty.insert(s.id)
                members[s.id, default: []].append(e.eventUID)
            } else {
                let sql = "INSERT INTO tracking_sessions (workspace_id, visitor_key, started_at, last_at, entry_path, exit_path, pageviews, events, engaged_ms, source, referrer_domain, utm_campaign, country, device, browser, os, is_bot, converted) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                let id = try await tx.execute(sql, [
                    .int(e.workspaceID.raw), .text(e.visitorKey), .int(e.ts.epochMillis), .int(e.ts.epochMillis), .text(isPage ? e.path : ""), .text(isPage ? e.path : ""),
                    .int(isPage ? 1 : 0), .int(e.engagedMs), .text(e.source), .text(e.referrerDomain), SQLValue(e.utm["campaign"]), .text(e.country), .text(e.device),
                    .text(e.browser), .text(e.os), SQLValue(e.isBot), SQLValue(converts)]).lastInsertID
                open[key] = TrackedSession(id: id, visitorKey: e.visitorKey, startedAt: e.ts, lastAt: e.ts, entryPath: isPage ? e.path : "", exitPath: isPage ? e.path : "",
                                           pageviews: isPage ? 1 : 0, events: 1, engagedMs: e.engagedMs, source: e.source, country: e.country, device: e.device, converted: converts)
                sessionWorkspace[id] = e.workspaceID.raw
                members[id, default: []].append(e.eventUID)
            }
        }
        for s in open.values where dirty.contains(s.id) {
            try await tx.execute("UPDATE tracking_sessions SET last_at = ?, exit_path = ?, entry_path = ?, pageviews = ?, events = ?, engaged_ms = ?, converted = ? WHERE id = ?",
                                 [.int(s.lastAt.epochMillis), .text(s.exitPath), .text(s.entryPath), .int(Int64(s.pageviews)), .int(Int64(s.events)), .int(s.engagedMs), SQLValue(s.converted), .int(s.id)])
        }
        for (id, uids) in members {
            guard let ws = sessionWorkspace[id] else { continue }
            for chunk in stride(from: 0, to: uids.count, by: 200) {
                let part = Array(uids[chunk..<min(uids.count, chunk + 200)])
                try await tx.execute("UPDATE tracking_events SET session_id = ? WHERE workspace_id = ? AND event_uid IN (\(Array(repeating: "?", count: part.count).joined(separator: ", ")))",
                                     [.int(id), .int(ws)] + part.map { .text($0) })
            }
        }
    }

    static func decodeSession(_ r: SQLRow) throws -> TrackedSession {
        TrackedSession(id: try r.int("id"), visitorKey: try r.string("visitor_key"), startedAt: try r.date("started_at"), lastAt: try r.date("last_at"),
                       entryPath: try r.string("entry_path"), exitPath: try r.string("exit_path"), pageviews: Int(try r.int("pageviews")), events: Int(try r.int("events")),
                       engagedMs: try r.int("engaged_ms"), source: try r.string("source"), country: try r.string("country"), device: try r.string("device"),
                       converted: try r.bool("converted"))
    }

    public func sessions(_ workspace: WorkspaceID, limit: Int) async throws -> [TrackedSession] {
        try await db.read { conn in
            try await conn.query("SELECT * FROM tracking_sessions WHERE workspace_id = ? ORDER BY started_at, id LIMIT ?", [.int(workspace.raw), .int(Int64(limit))]).map(Self.decodeSession)
        }
    }

    public func events(_ workspace: WorkspaceID, limit: Int) async throws -> [TrackedEvent] {
        try await db.read { conn in
            try await conn.query("SELECT * FROM tracking_events WHERE workspace_id = ? ORDER BY ts, id LIMIT ?", [.int(workspace.raw), .int(Int64(limit))]).map { r in
                var utm: [String: String] = [:]
                for k in ["source", "medium", "campaign", "term", "content"] { if let v = try r.optionalString("utm_\(k)") { utm[k] = v } }
                return TrackedEvent(workspaceID: workspace, eventUID: try r.string("event_uid"), visitorKey: try r.string("visitor_key"), sessionHint: try r.string("session_hint"),
                                    type: try r.string("type"), name: try r.string("name"), ts: try r.date("ts"), receivedAt: try r.date("received_at"), url: try r.string("url"),
                                    path: try r.string("path"), title: try r.string("title"), referrer: try r.string("referrer"), referrerDomain: try r.string("referrer_domain"),
                                    source: try r.string("source"), utm: utm, country: try r.string("country"), device: try r.string("device"), browser: try r.string("browser"),
                                    browserVersion: try r.string("browser_version"), os: try r.string("os"), osVersion: try r.string("os_version"), ip: try r.string("ip"),
                                    screen: try r.string("screen"), lang: try r.string("lang"), engagedMs: try r.int("engaged_ms"), scrollPct: try r.int("scroll_pct"),
                                    props: try r.string("props"), isBot: try r.bool("is_bot"))
            }
        }
    }

    public func count(_ workspace: WorkspaceID) async throws -> Int {
        try await db.read { conn in Int(try await conn.queryFirst("SELECT COUNT(*) AS n FROM tracking_events WHERE workspace_id = ?", [.int(workspace.raw)])?.int("n") ?? 0) }
    }
}

public struct SQLTrackingMaintenance: TrackingMaintenance {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    /// Deletes by primary key in small batches, so each statement holds its locks only briefly and
    /// beacons keep being written while old data goes.
    func deleteBatch(_ table: String, timeColumn: String, _ workspace: WorkspaceID, before: Date, batch: Int) async throws -> Int {
        let ids = try await db.read { conn in
            try await conn.query("SELECT id FROM \(table) WHERE workspace_id = ? AND \(timeColumn) < ? ORDER BY \(timeColumn) LIMIT ?",
                                 [.int(workspace.raw), .int(before.epochMillis), .int(Int64(batch))]).map { try $0.int("id") }
        }
        guard !ids.isEmpty else { return 0 }
        return try await db.write { conn in
            try await conn.execute("DELETE FROM \(table) WHERE id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))", ids.map { .int($0) }).affectedRows
        }
    }

    public func deleteEvents(_ workspace: WorkspaceID, before: Date, batch: Int) async throws -> Int {
        try await deleteBatch("tracking_events", timeColumn: "ts", workspace, before: before, batch: batch)
    }

    public func deleteSessions(_ workspace: WorkspaceID, before: Date, batch: Int) async throws -> Int {
        try await deleteBatch("tracking_sessions", timeColumn: "last_at", workspace, before: before, batch: batch)
    }

    public func activeVisitors(_ workspace: WorkspaceID, since: Date, limit: Int) async throws -> [(visitorKey: String, lastSeen: Date, path: String, country: String, device: String)] {
        try await db.read { conn in
            try await conn.query("""
                SELECT s.visitor_key, s.last_at, s.exit_path, s.entry_path, s.country, s.device FROM tracking_sessions s
                WHERE s.workspace_id = ? AND s.last_at >= ? AND s.is_bot = 0 ORDER BY s.last_at DESC LIMIT ?
                """, [.int(workspace.raw), .int(since.epochMillis), .int(Int64(limit))]).map {
                let exit = try $0.string("exit_path")
                return (try $0.string("visitor_key"), try $0.date("last_at"), exit.isEmpty ? try $0.string("entry_path") : exit, try $0.string("country"), try $0.string("device"))
            }
        }
    }
}
