import Foundation
import Ports

/// One event type OpsIQ publishes to the outbox: its name, what it means, the API-key scope a reader
/// of the change feed needs to see it, and a JSON Schema of its payload.
public struct EventType: Sendable, Equatable {
    public var name: String
    public var description: String
    /// The scope family it belongs to: a key reading `events.list` sees only types whose scope it holds.
    public var scope: String
    public var schema: JSONValue
    public init(_ name: String, _ description: String, scope: String, schema: JSONValue) {
        self.name = name; self.description = description; self.scope = scope; self.schema = schema
    }

    public var json: JSONValue {
        .object(["type": .string(name), "description": .string(description), "scope": .string(scope), "schema": schema])
    }
}

/// The one registry of event types. A test scans the sources for `publish("…")` and fails when a
/// published type is missing here, so the catalogue, the change feed and webhook subscriptions agree.
public enum EventCatalog {
    /// JSON Schema of an object payload: property name to type (`string`, `integer`, `number`, `boolean`,
    /// `string|null`, `integer|null`); every property listed is present in every event.
    static func payload(_ props: KeyValuePairs<String, String>) -> JSONValue {
        var p: [String: JSONValue] = [:]
        for (k, t) in props {
            let types = t.split(separator: "|").map { JSONValue.string(String($0)) }
            p[k] = .object(["type": types.count == 1 ? types[0] : .array(types)])
        }
        return .object(["$schema": .string("https://json-schema.org/draft/2020-12/schema"), "type": .string("object"),
                        "properties": .object(p), "required": .array(props.map { .string($0.key) })])
    }

    static let ticketRef: KeyValuePairs<String, String> = ["ticket_id": "string", "number": "integer"]

    public static let all: [EventType] = [
        EventType("ticket.created", "A ticket was opened (portal, email, API, admin or automation).", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "subject": "string", "department_id": "integer|null", "priority": "string",
                                   "status": "string", "customer_email": "string", "first_response_due_at": "string|null", "resolution_due_at": "string|null"])),
        EventType("ticket.replied", "A message was added to a ticket: a customer or staff reply, or an internal note (internal: true).", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "message_id": "integer", "author_kind": "string", "internal": "boolean"])),
        EventType("ticket.status_changed", "A ticket moved from one status to another (reason: update, reply, reopen, merge).", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "from": "string", "to": "string", "reason": "string"])),
        EventType("ticket.updated", "A ticket's subject, priority or department changed; only the changed fields are present besides the ticket.", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer"])),
        EventType("ticket.assigned", "A ticket was assigned to a team member (assignee_id null: unassigned).", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "assignee_id": "integer|null"])),
        EventType("ticket.locked", "A ticket's thread was locked or unlocked.", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "locked": "boolean"])),
        EventType("ticket.merged", "A duplicate ticket was merged into another.", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "into_ticket_id": "string", "into_number": "integer"])),
        EventType("ticket.attachment_added", "A file was attached to a ticket.", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "attachment_id": "integer", "message_id": "integer|null", "file_name": "string",
                                   "size": "integer", "internal": "boolean"])),
        EventType("ticket.sla_breached", "An SLA target (first response, next response, resolution) was missed.", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "priority": "string", "metric": "string", "due_at": "string",
                                   "department_id": "integer|null"])),
        EventType("ticket.escalated", "A breached ticket's priority was raised one step by its department's escalation rule.", scope: "tickets.read",
                  schema: payload(["ticket_id": "string", "number": "integer", "metric": "string", "from_priority": "string", "priority": "string",
                                   "department_id": "integer"])),
        EventType("canned_response.created", "A canned response was created.", scope: "tickets.read", schema: payload(["id": "integer", "shortcut": "string"])),
        EventType("canned_response.updated", "A canned response was edited.", scope: "tickets.read", schema: payload(["id": "integer", "shortcut": "string"])),
        EventType("canned_response.deleted", "A canned response was deleted.", scope: "tickets.read", schema: payload(["id": "integer"])),
        EventType("mailbox.created", "An IMAP mailbox was added.", scope: "settings.read", schema: payload(["mailbox_id": "integer", "name": "string"])),
        EventType("mailbox.updated", "An IMAP mailbox's settings changed.", scope: "settings.read", schema: payload(["mailbox_id": "integer", "name": "string"])),
        EventType("mailbox.deleted", "An IMAP mailbox was removed.", scope: "settings.read", schema: payload(["mailbox_id": "integer"])),
        EventType("email_template.updated", "An email template was edited (reset: true when put back to the built-in text).", scope: "settings.read",
                  schema: payload(["key": "string"])),
        EventType("workspace.created", "A site (workspace) was created.", scope: "settings.read",
                  schema: payload(["workspace_id": "integer", "name": "string", "domain": "string", "site_key": "string"])),
        EventType("workspace.updated", "A site's name or domain changed.", scope: "settings.read",
                  schema: payload(["workspace_id": "integer", "name": "string", "domain": "string"])),
        EventType("workspace.secret_rotated", "A site's identity secret was rotated.", scope: "settings.read", schema: payload(["workspace_id": "integer"])),
        EventType("user.created", "A team member account was created (installation-wide; not in a site's feed).", scope: "team.read",
                  schema: payload(["user_id": "integer", "email": "string", "role": "string"])),
        EventType("user.password_reset", "A team member reset their password (installation-wide).", scope: "team.read", schema: payload(["user_id": "integer"])),
        EventType("order.completed", "A customer completed an order or payment on a connected platform (Stripe checkout.session.completed or payment_intent.succeeded).",
                  scope: "events.read",
                  schema: payload(["order_id": "string", "platform": "string", "platform_event_id": "string", "amount": "number", "currency": "string",
                                   "customer_email": "string|null", "status": "string"])),
        EventType("webhook.endpoint_disabled", "An outbound webhook endpoint was disabled after too many consecutive failed deliveries (or a 410 Gone).",
                  scope: "settings.read",
                  schema: payload(["endpoint_id": "integer", "url": "string", "reason": "string", "disabled_at": "string", "consecutive_failures": "integer"])),
    ]

    static let byName: [String: EventType] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func find(_ name: String) -> EventType? { byName[name] }

    /// Whether `pattern` names this type: exactly, `family.*`, or `*`.
    public static func matches(_ pattern: String, _ type: String) -> Bool {
        if pattern == "*" || pattern == type { return true }
        if pattern.hasSuffix(".*") { return type.hasPrefix(String(pattern.dropLast(1))) }
        return false
    }

    /// Checks a subscription pattern names at least one catalogued type.
    public static func validatePattern(_ pattern: String, field: String) throws {
        guard all.contains(where: { matches(pattern, $0.name) }) else {
            throw DomainError.validation(field: field, message: "'\(pattern)' is not an event type (see events.catalog), a family like ticket.* or *")
        }
    }

    /// The types this actor may read in the feed: an API key by its scopes, Owners, Full Admins and the
    /// system everything. (Agents cannot call the feed at all; for the catalogue they are shown the ticket events.)
    public static func readable(by actor: Actor) -> [EventType] {
        switch actor {
        case .system: return all
        case .apiKey(let k): return all.filter { k.scopes.contains($0.scope) }
        case .user(let u, _): return u.role == .agent ? all.filter { $0.scope == "tickets.read" } : all
        }
    }
}
