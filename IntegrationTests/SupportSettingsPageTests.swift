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

/// Settings > Tickets pages (departments with SLA targets, canned responses), the ticket page's clocks
/// and customer panel, and the reply form's file upload, over HTTP on both engines.
@Suite struct SupportSettingsPageTests {
    func body(_ r: TestResponse) -> String { String(buffer: r.body) }

    @Test(arguments: Engine.all)
    func departmentsAndCannedPagesChangeThroughTheirActions(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let support = try await f.services.tickets.department(f.siteA.id, .string("Support"))
            try await f.app().test(.router) { client in
                let o = BrowserSession()
                _ = try await o.signIn(client, email: f.owner.email, password: AccessFixture.password)
                var r = try await o.get(client, "/admin/settings/departments")
                #expect(r.status == .ok)
                var html = body(r)
                #expect(html.contains("id=\"department-\(support.id)\"") && html.contains("name=\"first_response.urgent\" value=\"60\""))
                #expect(html.contains("name=\"resolution.normal\" value=\"2400\"") && html.contains("{{department_signature}}"))
                let csrf = BrowserSession.csrf(in: html) ?? ""
                // The SLA grid: every cell, the escalate box.
                var fields: [(String, String)] = [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("department_id", String(support.id)), ("escalate", "on")]
                for m in SLAMetric.allCases { for p in TicketPriority.allCases { fields.append(("\(m.rawValue).\(p.rawValue)", m == .firstResponse && p == .urgent ? "30" : "")) } }
                r = try await o.post(client, "/admin/settings/departments/sla", fields)
                #expect(r.status == .seeOther || r.status == .found)
                #expect(r.headers[.location]?.contains("flash=") == true)
                var saved = try await f.services.tickets.department(f.siteA.id, .string("Support"))
                #expect(saved.sla?.target(.firstResponse, .urgent) == 30 && saved.sla?.escalate == true && saved.sla?.target(.firstResponse, .low) == 1440)
                // A bad value comes back as an error naming the cell; nothing changes.
                fields = [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("department_id", String(support.id)), ("next_response.high", "soon")]
                r = try await o.post(client, "/admin/settings/departments/sla", fields)
                #expect(r.headers[.location]?.contains("error=") == true && r.headers[.location]?.removingPercentEncoding?.contains("sla.next_response.high") == true)
                saved = try await f.services.tickets.department(f.siteA.id, .string("Support"))
                #expect(saved.sla?.target(.firstResponse, .urgent) == 30)
                // Reset, then a forged token changes nothing.
                r = try await o.post(client, "/admin/settings/departments/sla", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("department_id", String(support.id)), ("reset", "1")])
                #expect(try await f.services.tickets.department(f.siteA.id, .string("Support")).sla == nil)
                r = try await o.post(client, "/admin/settings/departments/sla", [("_csrf", "forged"), ("site_key", f.siteA.siteKey), ("department_id", String(support.id)), ("escalate", "on")])
                #expect(r.status == .forbidden)
                #expect(try await f.services.tickets.department(f.siteA.id, .string("Support")).sla == nil)
                // Rename and create through the generic action forms, shown escaped.
                r = try await o.post(client, "/admin/actions/departments.create", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("name", "<b>Billing</b>"),
                                                                                   ("back", "/admin/settings/departments")])
                html = body(try await o.get(client, "/admin/settings/departments"))
                #expect(html.contains("&lt;b&gt;Billing&lt;/b&gt;") && !html.contains("<b>Billing</b>"))

                // Canned responses: create with a department, refuse an unknown variable, delete.
                html = body(try await o.get(client, "/admin/settings/canned"))
                #expect(html.contains("id=\"no-canned\"") && html.contains("{{customer_name}}"))
                r = try await o.post(client, "/admin/actions/canned.create", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("title", "Refund issued"),
                                                                              ("shortcut", "/refund"), ("department", String(support.id)),
                                                                              ("body", "Hi {{customer_name}}, done."), ("back", "/admin/settings/canned")])
                #expect(r.headers[.location]?.contains("flash=") == true)
                r = try await o.post(client, "/admin/actions/canned.create", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("title", "Bad"), ("shortcut", "/bad"),
                                                                              ("department", "0"), ("body", "Hi {{custmer_name}}"), ("back", "/admin/settings/canned")])
                #expect(r.headers[.location]?.removingPercentEncoding?.contains("custmer_name") == true)
                let list = try await f.services.canned.list(f.siteA.id, department: nil, scope: .everything)
                #expect(list.map(\.title) == ["Refund issued"] && list[0].departmentID == support.id)
                html = body(try await o.get(client, "/admin/settings/canned"))
                #expect(html.contains("id=\"canned-\(list[0].id)\"") && html.contains("Hi {{customer_name}}, done."))
                _ = try await o.post(client, "/admin/actions/canned.update", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("id", String(list[0].id)),
                                                                              ("department", "0"), ("back", "/admin/settings/canned")])
                #expect(try await f.services.canned.list(f.siteA.id, department: nil, scope: .everything).first?.departmentID == nil, "0: every department")
                _ = try await o.post(client, "/admin/actions/canned.delete", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("id", String(list[0].id)),
                                                                              ("back", "/admin/settings/canned")])
                #expect(try await f.services.canned.list(f.siteA.id, department: nil, scope: .everything).isEmpty)

                // Agents may not open either page.
                let a = BrowserSession()
                _ = try await a.signIn(client, email: f.agentA.email, password: AccessFixture.password)
                #expect(try await a.get(client, "/admin/settings/departments").status == .forbidden)
                #expect(try await a.get(client, "/admin/settings/canned").status == .forbidden)
            }
        }
    }

    @Test(arguments: Engine.all)
    func ticketPageShowsClocksCustomerHistoryAndUploadsFiles(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            for subject in ["Earlier question", "Current problem"] {
                f.clock.advance(60)
                _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string(subject), "message": .string("m"),
                                                                                 "customer_email": .string("ada@example.com"), "customer_name": .string("Ada")])
            }
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Someone else"), "message": .string("m"), "customer_email": .string("bob@example.com")])
            try await f.app().test(.router) { client in
                let o = BrowserSession()
                _ = try await o.signIn(client, email: f.owner.email, password: AccessFixture.password)
                var html = body(try await o.get(client, "/admin/tickets/2"))
                #expect(html.contains("id=\"t-sla-first_response\"") && html.contains("id=\"t-sla-next_response\"") && html.contains("id=\"t-sla-resolution\""))
                #expect(html.contains("id=\"previous-tickets\"") && html.contains("Earlier question") && !html.contains("Someone else"))
                #expect(html.contains("enctype=\"multipart/form-data\"") && html.contains("name=\"files\""))
                let csrf = BrowserSession.csrf(in: html) ?? ""
                let pdf = Array("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n".utf8)
                var r = try await o.postMultipart(client, "/admin/tickets/2/reply", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("ticket_id", "T-2"),
                                                                                    ("message", "Invoice attached")],
                                                  files: [("files", "invoice.pdf", "application/pdf", pdf), ("files", "", "application/octet-stream", [])])
                #expect(r.headers[.location]?.contains("with%201%20file") == true)
                let detail = try await f.services.tickets.get(f.siteA.id, number: 2, includeInternal: true, scope: .everything)
                #expect(detail.messages.last?.body == "Invoice attached")
                let files = try await f.services.attachments.list(f.siteA.id, number: 2, includeInternal: true, scope: .everything)
                #expect(files.count == 1 && files[0].fileName == "invoice.pdf" && files[0].messageID == detail.messages.last?.id && files[0].size == Int64(pdf.count))
                html = body(try await o.get(client, "/admin/tickets/2"))
                #expect(html.contains("invoice.pdf"))
                // A forbidden type is refused before anything is written: no reply, no file.
                r = try await o.postMultipart(client, "/admin/tickets/2/reply", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("ticket_id", "T-2"),
                                                                                ("message", "Run this")],
                                              files: [("files", "setup.exe", "application/octet-stream", Array("MZ\u{90}\u{0}binary".utf8))])
                #expect(r.headers[.location]?.contains("error=") == true)
                #expect(try await f.services.tickets.get(f.siteA.id, number: 2, includeInternal: true, scope: .everything).messages.count == detail.messages.count)
                #expect(try await f.services.attachments.list(f.siteA.id, number: 2, includeInternal: true, scope: .everything).count == 1)
                // A forged token is refused.
                r = try await o.postMultipart(client, "/admin/tickets/2/reply", [("_csrf", "forged"), ("site_key", f.siteA.siteKey), ("ticket_id", "T-2"), ("message", "x")],
                                              files: [])
                #expect(r.status == .forbidden)
                // The queue sorts by SLA due time and names the clock.
                html = body(try await o.get(client, "/admin/tickets?sort=due"))
                #expect(html.contains("First response") && html.contains("<option value=\"due\" selected>"))
            }
        }
    }
}
