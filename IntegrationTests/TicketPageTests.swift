import Adapters
import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ports
import Testing
@testable import WebApp

/// The admin ticket pages over HTTP on both engines: who sees which tickets, CSRF on every change,
/// internal notes marked, customer text escaped, filters, the new-ticket form and canned responses.
@Suite struct TicketPageTests {
    func body(_ r: TestResponse) -> String { String(buffer: r.body) }

    /// The `<li>` of the thread message holding `text`.
    func message(_ html: String, containing text: String) -> String? {
        for part in html.components(separatedBy: "<li class=\"msg ").dropFirst() {
            let li = part.components(separatedBy: "</li>")[0]
            if li.contains(text) { return li }
        }
        return nil
    }

    @Test(arguments: Engine.all)
    func queueAndTicketPagesRespectScopeCSRFNotesAndEscaping(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            _ = try await f.invoke("departments.create", as: owner, site: f.siteA, ["name": .string("Billing")])
            let hostile = "<script>alert(1)</script><b>bold</b> & \"quoted\""
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Support <i>one</i>"), "message": .string(hostile),
                                                                             "customer_email": .string("cust@example.com"), "customer_name": .string("Ada"), "department": .string("Support")])
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Billing two"), "message": .string("Charged twice"),
                                                                             "customer_email": .string("pay@example.com"), "department": .string("Billing"), "priority": .string("urgent")])
            try await f.app().test(.router) { client in
                // Owner: every ticket of the site, escaped.
                let o = BrowserSession()
                _ = try await o.signIn(client, email: f.owner.email, password: AccessFixture.password)
                var r = try await o.get(client, "/admin/tickets")
                #expect(r.status == .ok)
                var html = body(r)
                #expect(html.contains("href=\"/admin/tickets/1\"") && html.contains("href=\"/admin/tickets/2\""))
                #expect(html.contains("Support &lt;i&gt;one&lt;/i&gt;") && !html.contains("<i>one</i>"))
                #expect(html.contains("href=\"/admin/tickets\" class=\"active\""), "the Tickets menu entry is the real page")
                r = try await o.get(client, "/admin/tickets/1")
                #expect(r.status == .ok)
                html = body(r)
                #expect(!html.contains("<script>alert(1)</script>") && !html.contains("<b>bold</b>"))
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"))
                let csrf = BrowserSession.csrf(in: html) ?? ""

                // Agent: only the own department's tickets; another department's number is a 404.
                let a = BrowserSession()
                _ = try await a.signIn(client, email: f.agentA.email, password: AccessFixture.password)
                html = body(try await a.get(client, "/admin/tickets"))
                #expect(html.contains("href=\"/admin/tickets/1\"") && !html.contains("href=\"/admin/tickets/2\""))
                #expect(!html.contains("Billing two"))
                #expect(try await a.get(client, "/admin/tickets/1").status == .ok)
                r = try await a.get(client, "/admin/tickets/2")
                #expect(r.status == .notFound && !body(r).contains("Charged twice"))
                #expect(try await a.get(client, "/admin/tickets/99").status == .notFound)
                #expect(try await a.get(client, "/admin/tickets/nonsense").status == .notFound)
                let agentCSRF = BrowserSession.csrf(in: body(try await a.get(client, "/admin/tickets/1"))) ?? ""
                r = try await a.post(client, "/admin/actions/tickets.reply", [("_csrf", agentCSRF), ("site_key", f.siteA.siteKey), ("ticket_id", "T-2"),
                                                                              ("message", "sneaky"), ("back", "/admin/tickets/2")])
                #expect(r.headers[.location]?.contains("error=") == true)
                #expect(try await f.services.tickets.get(f.siteA.id, number: 2, includeInternal: true, scope: .everything).messages.count == 1)

                // CSRF: without the session's token nothing changes.
                r = try await o.post(client, "/admin/actions/tickets.reply", [("_csrf", "forged"), ("site_key", f.siteA.siteKey), ("ticket_id", "T-1"),
                                                                              ("message", "forged reply"), ("back", "/admin/tickets/1")])
                #expect(r.status == .forbidden)
                r = try await o.post(client, "/admin/tickets", [("_csrf", "forged"), ("site_key", f.siteA.siteKey), ("subject", "x"), ("message", "y"), ("customer_email", "c@example.com")])
                #expect(r.status == .forbidden)
                #expect(try await f.services.tickets.get(f.siteA.id, number: 1, includeInternal: true, scope: .everything).messages.count == 1)

                // An internal note from the reply form is shown with the note class; a reply without it.
                r = try await o.post(client, "/admin/actions/tickets.reply", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("ticket_id", "T-1"), ("internal", "on"),
                                                                              ("message", "Confirmed duplicate in Stripe"), ("back", "/admin/tickets/1"), ("done", "Added to T-1.")])
                #expect(r.status == .seeOther && r.headers[.location] == "/admin/tickets/1?flash=Added%20to%20T%2D1%2E")
                _ = try await o.post(client, "/admin/actions/tickets.reply", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("ticket_id", "T-1"),
                                                                              ("message", "Refund on its way"), ("back", "/admin/tickets/1")])
                html = body(try await o.get(client, "/admin/tickets/1?flash=Added%20to%20T%2D1%2E"))
                #expect(html.contains("id=\"flash\">Added to T-1.</div>"))
                #expect(message(html, containing: "Confirmed duplicate in Stripe")?.hasPrefix("agent note\"") == true, "the internal note carries the note class")
                #expect(message(html, containing: "Refund on its way")?.hasPrefix("agent\"") == true)
                #expect(message(html, containing: "&lt;script&gt;")?.hasPrefix("customer\"") == true)

                // Errors name the field.
                r = try await o.post(client, "/admin/actions/tickets.merge", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("ticket_id", "T-1"),
                                                                              ("into_ticket_id", "nope"), ("back", "/admin/tickets/1")])
                #expect(r.headers[.location]?.contains("error=into%5Fticket%5Fid%3A") == true, "\(r.headers[.location] ?? "")")

                // Status, assignment and the queue filters.
                _ = try await o.post(client, "/admin/actions/tickets.update", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("ticket_id", "T-2"), ("status", "closed"), ("back", "/admin/tickets/2")])
                html = body(try await o.get(client, "/admin/tickets?status=active"))
                #expect(html.contains("href=\"/admin/tickets/1\"") && !html.contains("href=\"/admin/tickets/2\""))
                html = body(try await o.get(client, "/admin/tickets?assignee=mine"))
                #expect(html.contains("id=\"empty\""))
                _ = try await o.post(client, "/admin/actions/tickets.assign", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("ticket_id", "T-1"),
                                                                               ("assignee_id", "\(f.owner.id.raw)"), ("back", "/admin/tickets/1")])
                html = body(try await o.get(client, "/admin/tickets?assignee=mine"))
                #expect(html.contains("href=\"/admin/tickets/1\"") && !html.contains("href=\"/admin/tickets/2\""))
                html = body(try await o.get(client, "/admin/tickets?priority=urgent"))
                #expect(!html.contains("href=\"/admin/tickets/1\"") && html.contains("href=\"/admin/tickets/2\""))
                r = try await o.get(client, "/admin/tickets?status=bogus")
                #expect(body(r).contains("status: must be active or one of"))

                // The new-ticket form: an error keeps what was typed and names the field; success opens the ticket.
                r = try await o.post(client, "/admin/tickets", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("subject", "  "), ("message", "Kept <text>"),
                                                                ("customer_email", "new@example.com"), ("department", ""), ("priority", "high")])
                #expect(r.status == .unprocessableContent)
                html = body(r)
                #expect(html.contains("subject: cannot be empty") && html.contains("Kept &lt;text&gt;</textarea>"))
                r = try await o.post(client, "/admin/tickets", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("subject", "From the form"), ("message", "Hello"),
                                                                ("customer_email", "new@example.com"), ("customer_name", "Nia"), ("department", ""), ("priority", "high")])
                #expect(r.status == .seeOther && r.headers[.location]?.hasPrefix("/admin/tickets/3?flash=") == true)
                // An Agent cannot open a ticket in another department.
                r = try await a.post(client, "/admin/tickets", [("_csrf", agentCSRF), ("site_key", f.siteA.siteKey), ("subject", "s"), ("message", "m"),
                                                                ("customer_email", "c@example.com"), ("department", "Billing")])
                #expect(r.status == .unprocessableContent && body(r).contains("department: Agents can only open tickets in their own departments"))

                // Canned responses: picking one fills the reply box server-side, rendered for this ticket.
                let canned = try await f.invoke("canned.create", as: owner, site: f.siteA, ["title": .string("Hello"), "shortcut": .string("/hello"),
                                                                                          "body": .string("Hi {{customer_name}}, about {{ticket_id}}.")])
                html = body(try await o.get(client, "/admin/tickets/1"))
                #expect(html.contains("<option value=\"\(canned["id"]?.intValue ?? 0)\">Hello (/hello)</option>"))
                html = body(try await o.get(client, "/admin/tickets/1?canned=\(canned["id"]?.intValue ?? 0)"))
                #expect(html.contains(">Hi Ada, about T-1.</textarea>"))
            }
            // Days later the unanswered ticket is overdue in the queue, the answered one's resolution too; the closed one has no clock.
            f.clock.advance(8 * 86400)
            try await f.app().test(.router) { client in
                let o = BrowserSession()
                _ = try await o.signIn(client, email: f.owner.email, password: AccessFixture.password)
                let html = body(try await o.get(client, "/admin/tickets"))
                #expect(html.contains("class=\"ticket-row sla-overdue\" id=\"row-3\""))
                #expect(html.contains("class=\"ticket-row sla-none\" id=\"row-2\""))
                #expect(html.contains("class=\"ticket-row sla-overdue\" id=\"row-1\""), "answered, but not resolved within 40 business hours")
            }
        }
    }
}
