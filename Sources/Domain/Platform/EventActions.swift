import Foundation
import Ports

/// The event catalogue and the `since_id` change feed as actions: `events.catalog`, `events.list`, and
/// the CRM names the spec gives them (`crm.events.catalog`, `crm.events.list`, scope `crm.read`).
/// A reader sees only the event types its scopes cover (ticket events need `tickets.read`, …).
public enum EventActions {
    static let staff: Set<Role> = [.owner, .fullAdmin, .agent]

    public static func eventJSON(_ e: StoredEvent) -> JSONValue {
        .object(["id": .int(e.sequence), "event_id": .string(e.eventID), "type": .string(e.type),
                 "created_at": .string(ISO8601DateFormatter().string(from: e.createdAt)),
                 "data": (try? JSONValue.parse(e.payload)) ?? .object([:])])
    }

    /// The type names to read: the requested patterns (each must be readable) or every readable type.
    static func types(_ inv: ActionInvocation) throws -> [String] {
        let readable = EventCatalog.readable(by: inv.actor)
        guard let wanted = inv.strings("types"), !wanted.isEmpty else { return readable.map(\.name) }
        var out: [String] = []
        for (i, p) in wanted.enumerated() {
            try EventCatalog.validatePattern(p, field: "types[\(i)]")
            for t in EventCatalog.all where EventCatalog.matches(p, t.name) {
                guard readable.contains(t) else {
                    throw DomainError.forbidden("reading \(t.name) needs the scope \(t.scope), which this caller lacks")
                }
                if !out.contains(t.name) { out.append(t.name) }
            }
        }
        return out
    }

    public static func register(into r: inout ActionRegistry, outbox: Outbox, db: any SQLDatabase) {
        for (prefix, scope) in [("events", "events.read"), ("crm.events", "crm.read")] {
            r.register(ActionDefinition(name: "\(prefix).catalog", summary: "Every event type OpsIQ publishes, with its description, the scope that reads it and a JSON Schema of its payload.",
                                        scope: scope, roles: staff, risk: .read, workspaceScoped: false) { inv in
                let readable = Set(EventCatalog.readable(by: inv.actor).map(\.name))
                return .object(["events": .array(EventCatalog.all.map { t in
                    guard case .object(var o) = t.json else { return t.json }
                    o["readable"] = .bool(readable.contains(t.name))
                    return .object(o)
                })])
            })
            // Agents see only their departments' tickets; the feed is the whole site's, so it is for admins and keys.
            r.register(ActionDefinition(name: "\(prefix).list", summary: "The durable change feed: this site's events after since_id, oldest first. Page with next_since_id; nothing committed is ever skipped.",
                                        scope: scope, roles: [.owner, .fullAdmin], risk: .read, workspaceScoped: true,
                                        params: [ActionParam("since_id", .integer(min: 0), "Return events after this id (0 or absent: from the start)."),
                                                 ActionParam("limit", .integer(min: 1, max: 500), "Page size (default 100)."),
                                                 ActionParam("types", .array(.string(maxLength: 100), maxItems: 50), "Only these types (names or families like ticket.*).")]) { inv in
                let since = inv.int("since_id") ?? 0
                let limit = Int(inv.int("limit") ?? 100)
                let names = try types(inv)
                let events = names.isEmpty ? [] : try await outbox.feed(inv.workspace!.id, since: since, limit: limit, types: names, db: db)
                return .object(["events": .array(events.map(eventJSON)), "next_since_id": .int(events.last?.sequence ?? since),
                                "has_more": .bool(events.count == limit)])
            })
        }
    }
}
