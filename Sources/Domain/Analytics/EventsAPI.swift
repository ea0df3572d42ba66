import Foundation
import Ports

/// Server-side events (`events.send` and `POST /api/v1/events`): named in dot notation, joined to the
/// visitor timeline by the customer's email.
public enum EventsAPI {
    /// `order.completed`, `pricing.plan_selected`: lower-case words joined by dots, at least two parts.
    public static func validName(_ name: String) -> Bool {
        guard name.count <= 120 else { return false }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return false }
        return parts.allSatisfy { p in
            guard let first = p.first, first.isASCII, first.isLowercase else { return false }
            return p.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
        }
    }

    /// The visitor key a customer's server-side events are filed under: the visitor already identified
    /// with that email, else a stable key derived from the email.
    public static func visitorKey(email: String, existing: String?, digests: any Digests) -> String {
        existing ?? "e" + digests.sha256Hex("email:" + email).prefix(31)
    }

    public static func register(into r: inout ActionRegistry, tracking: any TrackingStore, visitors: any VisitorLookup, settings: SettingsService,
                                digests: any Digests, clock: any TimeSource, random: any RandomSource) {
        r.register(ActionDefinition(name: "events.send", summary: "Record a server-side event (dot notation, e.g. subscription.upgraded) on a customer's timeline.",
                                    scope: "events.write", roles: [.owner, .fullAdmin], risk: .write, workspaceScoped: true,
                                    params: [ActionParam("event", .string(maxLength: 120), required: true, "The event name in dot notation, past tense: order.completed."),
                                             ActionParam("customer_email", .string(maxLength: 190, format: "email"), "The customer it is about; joins their visitor timeline."),
                                             ActionParam("customer_id", .string(maxLength: 190), "Your own id for the customer."),
                                             ActionParam("properties", .object, "Anything else about the event (at most 16 KB)."),
                                             ActionParam("event_id", .string(maxLength: 64), "Your id for this event; sending it again is a no-op.")]) { inv in
            let name = inv.string("event") ?? ""
            guard validName(name) else {
                throw DomainError.validation(field: "event", message: "'\(name)' does not follow the naming convention: lower-case words in dot notation, like order.completed or pricing.plan_selected")
            }
            var email = inv.string("customer_email")?.trimmingCharacters(in: .whitespaces).lowercased()
            if let e = email, e.isEmpty { email = nil }
            if let e = email, !(e.contains("@") && e.contains(".") && !e.contains(" ")) {
                throw DomainError.validation(field: "customer_email", message: "must be an email address")
            }
            let props = inv.params["properties"]?.encoded() ?? "{}"
            guard props.utf8.count <= 16_384 else { throw DomainError.validation(field: "properties", message: "must be at most 16 KB") }
            let uid = inv.string("event_id").map { "api_" + $0 } ?? "srv_" + random.hexToken()
            guard uid.count <= 64, uid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw DomainError.validation(field: "event_id", message: "must be letters, digits, - or _ (at most 60)")
            }
            let ws = inv.workspace!
            var key = "server"
            if let email {
                key = visitorKey(email: email, existing: try await visitors.visitorKey(ws.id, email: email), digests: digests)
            } else if let cid = inv.string("customer_id") {
                key = "c" + digests.sha256Hex("customer:" + cid).prefix(31)
            }
            let now = clock.now()
            let stored = try await tracking.insert([TrackedEvent(
                workspaceID: ws.id, eventUID: uid, visitorKey: String(key), sessionHint: "", type: "server", name: name, ts: now, receivedAt: now,
                url: "", path: "", title: "", referrer: "", referrerDomain: "", source: "Direct", utm: [:], country: "Unknown", device: "server",
                browser: "", browserVersion: "", os: "", osVersion: "", ip: "", screen: "", lang: "", engagedMs: 0, scrollPct: 0,
                props: props, isBot: false)], rules: try await settings.sessionRules(ws.id))
            if let email { try await visitors.attachIdentity(ws.id, visitorKey: String(key), email: email, customerID: inv.string("customer_id"), name: nil) }
            return .object(["event": .string(name), "event_id": .string(uid), "stored": .bool(stored == 1), "duplicate": .bool(stored == 0)])
        })
    }
}
