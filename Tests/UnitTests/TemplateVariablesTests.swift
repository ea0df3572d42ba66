import Domain
import Foundation
import Ports
import Testing

/// The template variable registry: finding unknown variables, the save-time message, plain-text rendering.
@Suite struct TemplateVariablesTests {
    @Test func unknownVariablesAreListedOnceInOrder() {
        #expect(TemplateVariables.unknown(in: "Hi {{customer_name}}, {{foo}} and {{ bar }} and {{foo}}") == ["foo", "bar"])
        #expect(TemplateVariables.unknown(in: "Hi {{customer_name}}, T {{ticket_id}}") == [])
        // Not variables: empty braces, spaces inside names, unclosed.
        #expect(TemplateVariables.unknown(in: "{{}} {{not a var}} {{unclosed") == [])
    }

    @Test func validationMessageNamesTheVariableAndTheKnownOnes() {
        let known = TemplateVariables.all.map(\.token).joined(separator: ", ")
        #expect(throws: DomainError.validation(field: "body", message: "unknown variable {{foo}}; known: \(known)")) {
            try TemplateVariables.validate("Hello {{foo}}", field: "body")
        }
        #expect(throws: DomainError.validation(field: "body", message: "unknown variables {{a}}, {{b}}; known: \(known)")) {
            try TemplateVariables.validate("{{a}}{{b}}", field: "body")
        }
    }

    @Test func renderSubstitutesPlainTextAndLeavesUnknownAlone() {
        let text = TemplateVariables.render("Hi {{customer_name}} <{{ customer_email }}> re {{ticket_id}} {{mystery}} {{agent_name}}",
                                            ["customer_name": "O'Brien & <Co>", "customer_email": "ob@example.com", "ticket_id": "T-7"])
        // No HTML escaping here: that is the caller's job where the text goes into HTML.
        #expect(text == "Hi O'Brien & <Co> <ob@example.com> re T-7 {{mystery}} ")
    }

    @Test func everyVariableHasADescription() {
        #expect(TemplateVariables.all.map(\.name) == ["customer_name", "customer_email", "ticket_id", "ticket_subject", "agent_name", "department_name",
                                                      "department_signature", "site_name", "business_name", "response_details"])
        #expect(TemplateVariables.all.allSatisfy { !$0.description.isEmpty })
    }

    @Test func shortcutsAreNormalised() throws {
        #expect(try CannedResponses.normalizeShortcut(" Refund ") == "/refund")
        #expect(try CannedResponses.normalizeShortcut("/late-delivery_2") == "/late-delivery_2")
        #expect(throws: DomainError.validation(field: "shortcut", message: "must be a slash and up to 48 letters, digits, _ or -, like /refund")) {
            try CannedResponses.normalizeShortcut("/two words")
        }
    }

    /// The spec's own example canned response (40-support.md) is accepted as written; the agent's part stays visible.
    @Test func theSpecsExampleIsValidAndKeepsTheAgentsPart() {
        let example = "Hi {{customer_name}},\nThanks for reaching out. I checked the details and here is what I found:\n{{response_details}}\n"
            + "If you need anything else, just reply to this ticket and I will be happy to help.\nBest regards,\n{{agent_name}}\n{{department_signature}}"
        #expect(TemplateVariables.unknown(in: example) == [])
        let out = TemplateVariables.render(example, ["customer_name": "Jane", "agent_name": "Sam", "department_signature": "Billing team"])
        #expect(out.hasPrefix("Hi Jane,\n") && out.contains("\n{{response_details}}\n") && out.hasSuffix("Sam\nBilling team"))
        #expect(TemplateVariables.render("{{response_details}}", ["response_details": "Refunded."]) == "Refunded.")
    }
}
