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

    public func insert(_ events: [TrackedEvent]) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        let ignore = db.dialect == .mariadb ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO"
        let row = "(" + Array(repeating: "?", count: Self.columns.count).joined(separator: ", ") + ")"
        return try await db.transaction { tx in
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
            return inserted
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

public struct SQLVisitorLookup: VisitorLookup {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    public func visitorKey(_ workspace: WorkspaceID, email: String) async throws -> String? {
        try await db.read { conn in
            try await conn.queryFirst("SELECT visitor_key FROM visitors WHERE workspace_id = ? AND email = ? ORDER BY last_seen_at DESC LIMIT 1",
                                      [.int(workspace.raw), .text(email)])?.string("visitor_key")
        }
    }

    public func attachIdentity(_ workspace: WorkspaceID, visitorKey: String, email: String?, customerID: String?, name: String?) async throws {
        try await db.write { conn in
            try await conn.execute("UPDATE visitors SET email = COALESCE(?, email), customer_id = COALESCE(?, customer_id), name = COALESCE(?, name) WHERE workspace_id = ? AND visitor_key = ?",
                                   [SQLValue(email), SQLValue(customerID), SQLValue(name), .int(workspace.raw), .text(visitorKey)])
        }
    }
}
