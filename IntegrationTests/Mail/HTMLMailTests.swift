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

/// HTML mail on both engines, through a real Dovecot: the HTML part is kept sanitised beside the text,
/// `cid:` images point at the stored inline attachment, the admin shows text with a safe "show formatted"
/// page (strict CSP, same access as the ticket), and the email template live preview is a sandboxed,
/// CSRF-checked, sanitised frame.
@Suite(.serialized) struct HTMLMailTests {
    @Test(arguments: Engine.all)
    func htmlMailIsKeptSanitisedAndShownFormattedOnlyToThoseWhoSeeTheTicket(_ engine: Engine) async throws {
        try await MailboxTests.withServers { smtp, imap in try await TestDatabase.with(engine) { t in
            let (f, mb, id) = try await MailboxTests.setUp(t, smtp: smtp, imap: imap)
            let s = f.services
            let ws = f.siteA.id
            try imap.append("support", "supportpw", [
                """
                From: Ada <ada@customer.example>
                To: support@shop.example
                Subject: Broken lamp
                Message-ID: <h1@customer.example>
                MIME-Version: 1.0
                Content-Type: multipart/related; boundary="r"

                --r
                Content-Type: multipart/alternative; boundary="a"

                --a
                Content-Type: text/plain; charset=utf-8

                The lamp is broken, photo attached.
                --a
                Content-Type: text/html; charset=utf-8

                <html><head><style>p{color:red}</style><script>steal()</script></head><body><p onclick="steal()" style="font-weight:bold">The lamp is <b>broken</b></p><a href="javascript:steal()">click</a><a href="https://shop.example/faq">FAQ</a><img src="https://tracker.example/open.gif"><img src="cid:photo@ada"><iframe src="https://evil.example"></iframe></body></html>
                --a--
                --r
                Content-Type: image/png; name="photo.png"
                Content-ID: <photo@ada>
                Content-Disposition: inline; filename="photo.png"
                Content-Transfer-Encoding: base64

                \(Data(MailboxTests.png).base64EncodedString())
                --r--
                """,
                "From: bob@customer.example\nTo: support@shop.example\nSubject: Plain\nMessage-ID: <p1@customer.example>\n\nJust text.\n",
            ])
            let r = try await mb.poll(ws, id: id, ownAddresses: MailboxTests.own)
            #expect(r.error == nil && r.imported.count == 2, "\(r)")
            let t1 = try await s.tickets.get(ws, number: 1, includeInternal: true, scope: .everything)
            #expect(t1.messages[0].body == "The lamp is broken, photo attached.", "the text version is what the thread shows")
            let photo = try #require(try await s.attachments.list(ws, number: 1, includeInternal: true, scope: .everything).first)
            let html = try #require(try await s.db.read { try await s.mailboxes.importer.html.html(ws, messageID: t1.messages[0].id, in: $0) })
            let photoURL = "/admin/tickets/T-1/attachments/\(photo.id)?site=\(f.siteA.siteKey)"
            #expect(html.contains("<p style=\"font-weight:bold\">The lamp is <b>broken</b></p>"), "\(html)")
            #expect(html.contains("<img src=\"\(photoURL)\">"), "cid: mapped to the stored inline image: \(html)")
            #expect(html.contains("href=\"https://shop.example/faq\""))
            for bad in ["<script", "steal()", "onclick", "javascript:", "tracker.example", "<iframe", "evil.example", "<style"] {
                #expect(!html.contains(bad), "\(bad) in \(html)")
            }
            let t2 = try await s.tickets.get(ws, number: 2, includeInternal: true, scope: .everything)
            #expect(try await s.db.read { try await s.mailboxes.importer.html.html(ws, messageID: t2.messages[0].id, in: $0) } == nil, "plain mail has no HTML")

            try await f.app().test(.router) { client in
                let o = BrowserSession()
                _ = try await o.signIn(client, email: f.owner.email, password: AccessFixture.password)
                var page = try await o.get(client, "/admin/tickets/1")
                let formatted = "/admin/tickets/1/messages/\(t1.messages[0].id)/formatted"
                #expect(String(buffer: page.body).contains("href=\"\(formatted)\""), "a Show formatted link")
                page = try await o.get(client, "/admin/tickets/2")
                #expect(!String(buffer: page.body).contains("show-formatted"))
                let view = try await o.get(client, formatted)
                let body = String(buffer: view.body)
                #expect(view.status == .ok && body.contains(html) && body.contains("id=\"formatted-banner\""))
                #expect(view.headers[HTTPField.Name("Content-Security-Policy")!] == AdminRoutes.formattedCSP && AdminRoutes.formattedCSP.contains("default-src 'none'")
                        && !AdminRoutes.formattedCSP.contains("script-src"))
                #expect(view.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                // The inline image is served by the attachment route.
                let img = try await o.get(client, photoURL)
                #expect(img.status == .ok && Array(buffer: img.body) == MailboxTests.png)
                // Another ticket's message id, a message without HTML, and an Agent outside the department: 404.
                #expect(try await o.get(client, "/admin/tickets/2/messages/\(t1.messages[0].id)/formatted").status == .notFound)
                #expect(try await o.get(client, "/admin/tickets/2/messages/\(t2.messages[0].id)/formatted").status == .notFound)
                let outsider = BrowserSession()
                _ = try await outsider.signIn(client, email: f.agentNone.email, password: AccessFixture.password)
                let refused = try await outsider.get(client, formatted)
                #expect(refused.status == .notFound && !String(buffer: refused.body).contains("lamp"))
            }
        } }
    }

    @Test(arguments: Engine.all)
    func theLivePreviewIsASandboxedSanitisedCSRFCheckedFrame(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            try await f.app().test(.router) { client in
                let o = BrowserSession()
                _ = try await o.signIn(client, email: f.owner.email, password: AccessFixture.password)
                let editor = try await o.get(client, "/admin/email-templates?key=layout")
                let html = String(buffer: editor.body)
                #expect(html.contains("<iframe name=\"live-preview-frame\" id=\"live-preview\" class=\"preview-frame\" sandbox "), "sandboxed, no allow-scripts")
                #expect(editor.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("frame-src 'self'") == true)
                let other = try await o.get(client, "/admin/tickets")
                #expect(other.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("frame-src") == false, "frames only where needed")
                let csrf = try #require(BrowserSession.csrf(in: html))
                let evil = "<div onmouseover=\"x()\" style=\"color:#c00\">{{business_name}}</div><script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">j</a><iframe src=\"/admin\"></iframe>{{content}}"
                var r = try await o.post(client, "/admin/email-templates/preview", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("key", "layout"), ("subject", ""), ("body", evil)])
                var frame = String(buffer: r.body)
                #expect(r.status == .ok, "\(frame)")
                #expect(r.headers[HTTPField.Name("Content-Security-Policy")!] == AdminRoutes.previewFrameCSP && !AdminRoutes.previewFrameCSP.contains("script-src"))
                #expect(AdminRoutes.previewFrameCSP.contains("frame-ancestors 'self'"))
                #expect(frame.contains("<div style=\"color:#c00\">Site A</div>") && frame.contains("<p>Hi Jane,</p>"), "\(frame)")
                for bad in ["<script", "onerror", "onmouseover", "javascript:", "<iframe", "alert("] { #expect(!frame.contains(bad), "\(bad): \(frame)") }
                // The subject line is shown, escaped; an unknown variable answers with the reason, in the frame.
                r = try await o.post(client, "/admin/email-templates/preview", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("key", "ticket_resolved"),
                                                                                ("subject", "<b>{{ticket_id}}</b> {{ticket_status}}"), ("body", "It is {{ticket_status}}")])
                frame = String(buffer: r.body)
                #expect(r.status == .ok && frame.contains("Subject: <strong>&lt;b&gt;T-12345&lt;/b&gt; resolved</strong>") && frame.contains("<p>It is resolved</p>"), "\(frame)")
                r = try await o.post(client, "/admin/email-templates/preview", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("key", "ticket_reply"),
                                                                                ("subject", "s"), ("body", "{{custmer_name}}")])
                #expect(r.status == .unprocessableContent && String(buffer: r.body).contains("{{custmer_name}}"))
                // Without the CSRF token nothing is rendered.
                r = try await o.post(client, "/admin/email-templates/preview", [("site_key", f.siteA.siteKey), ("key", "layout"), ("body", "{{content}}")])
                #expect(r.status == .forbidden && !String(buffer: r.body).contains("Hi Jane"))
            }
        }
    }
}
