import Foundation
import Ports

/// One variable a template may use, as `{{name}}`.
public struct TemplateVariable: Sendable, Equatable {
    public var name: String
    public var description: String
    public init(_ name: String, _ description: String) { self.name = name; self.description = description }
    /// How it is written in a template.
    public var token: String { "{{\(name)}}" }
}

/// The registry of template variables shared by canned responses and (later) email templates, so the
/// variable chips, the save-time check and the renderer can never disagree.
///
/// The renderer returns **plain text**: values are substituted as they are, with no HTML escaping.
/// A caller that puts the result into HTML (an email template, an admin page) escapes it there;
/// a caller that sends plain text (a ticket reply) must not, or a customer called `O'Brien` would
/// read `O&#39;Brien`.
public enum TemplateVariables {
    public static let all: [TemplateVariable] = [
        TemplateVariable("customer_name", "The customer's name as stored on the ticket (empty when unknown)."),
        TemplateVariable("customer_email", "The customer's email address."),
        TemplateVariable("ticket_id", "The ticket's id as customers see it, e.g. T-123."),
        TemplateVariable("ticket_subject", "The ticket's subject."),
        TemplateVariable("agent_name", "The name of the team member replying."),
        TemplateVariable("department_name", "The name of the ticket's department (empty when it has none)."),
        TemplateVariable("department_signature", "The signature of the ticket's department (empty when none is set)."),
        TemplateVariable("site_name", "The name of the site (workspace) the ticket belongs to."),
        TemplateVariable("business_name", "The business name from Settings (business.name)."),
        TemplateVariable("response_details", "The part the agent writes for this ticket: left in place by a canned response for the agent to replace before sending."),
    ]

    public static let names: Set<String> = Set(all.map(\.name))

    /// `{{ name }}`: the name is letters, digits, `_` and `.`; spaces inside the braces are allowed.
    struct Occurrence { let range: Range<String.Index>; let name: String }

    static func occurrences(in text: String) -> [Occurrence] {
        var out: [Occurrence] = []
        var i = text.startIndex
        while let open = text.range(of: "{{", range: i..<text.endIndex) {
            guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) else { break }
            let inner = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if !inner.isEmpty, inner.count <= 64, inner.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }) {
                out.append(Occurrence(range: open.lowerBound..<close.upperBound, name: inner))
                i = close.upperBound
            } else {
                // Not a variable (e.g. "{{ {{x}}"): look again from the next brace.
                i = text.index(after: open.lowerBound)
            }
        }
        return out
    }

    /// The variables in `text` that the registry does not know, once each, in order of appearance.
    /// `extra`: variables one kind of template adds to the shared registry (an email template's `{{message}}`).
    public static func unknown(in text: String, extra: Set<String> = []) -> [String] {
        var seen: Set<String> = [], out: [String] = []
        for o in occurrences(in: text) where !names.contains(o.name) && !extra.contains(o.name) && seen.insert(o.name).inserted { out.append(o.name) }
        return out
    }

    /// Refuses a text with unknown variables: `field: unknown variable {{foo}}; known: {{customer_name}}, …`.
    public static func validate(_ text: String, field: String, extra: [TemplateVariable] = []) throws {
        let bad = unknown(in: text, extra: Set(extra.map(\.name)))
        guard !bad.isEmpty else { return }
        let list = bad.map { "{{\($0)}}" }.joined(separator: ", ")
        throw DomainError.validation(field: field, message: "unknown variable\(bad.count == 1 ? "" : "s") \(list); known: \((all + extra).map(\.token).joined(separator: ", "))")
    }

    /// Substitutes every known variable present in `context`; a known variable missing from the
    /// context becomes empty; unknown ones are left as written. Plain text in, plain text out.
    /// Variables the agent fills in by hand: without a value they stay in the text, visible, to be replaced.
    public static let agentFilled: Set<String> = ["response_details"]

    /// `extra`: variables one kind of template adds (see `unknown(in:extra:)`); `escape` is applied to
    /// every substituted value (an HTML template passes an HTML escaper; the default leaves text as it is).
    public static func render(_ text: String, _ context: [String: String], extra: Set<String> = [], escape: (String) -> String = { $0 }) -> String {
        var out = ""
        var last = text.startIndex
        for o in occurrences(in: text) {
            out += text[last..<o.range.lowerBound]
            if names.contains(o.name) || extra.contains(o.name), let v = context[o.name] ?? (agentFilled.contains(o.name) ? nil : "") { out += escape(v) } else { out += text[o.range] }
            last = o.range.upperBound
        }
        out += text[last...]
        return out
    }

    /// The values for a reply on `ticket`.
    public static func context(ticket: Ticket, agentName: String, department: Department?, siteName: String, businessName: String) -> [String: String] {
        [
            "customer_name": ticket.customerName,
            "customer_email": ticket.customerEmail,
            "ticket_id": ticket.displayID,
            "ticket_subject": ticket.subject,
            "agent_name": agentName,
            "department_name": department?.name ?? "",
            "department_signature": department?.signature ?? "",
            "site_name": siteName,
            "business_name": businessName,
        ]
    }

    public static var json: JSONValue {
        .array(all.map { .object(["name": .string($0.name), "token": .string($0.token), "description": .string($0.description)]) })
    }
}
