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

/// Mail out for tickets on both engines: agent replies reach a real SMTP server (aiosmtpd) with
/// headers that thread, internal notes never leave, templates are checked at save and used when
/// sending, automatic mail is rate-limited and never goes to robots, and with no SMTP configured
/// every email is held in the local Outbox page.
@Suite(.serialized) struct TicketMailTests {
    static func smtpEnv(_ smtp: SMTPTestServer) -> [String: String] {
        ["OPSIQ_SMTP_URL": "smtp://127.0.0.1:\(smtp.port)", "OPSIQ_MAIL_FROM": "Help Desk <help@shop.example>"]
    }

    /// Without the acknowledgement (`notify_customer: false`), so the tests count only the mail they are about.
    func createTicket(_ f: AccessFixture, email: String = "ada@customer.example") async throws -> Ticket {
        _ = try await f.invoke("tickets.create", as: try await f.actor(f.owner), site: f.siteA, [
            "subject": .string("Parcel missing"), "message": .string("Where is my parcel?"), "customer_email": .string(email),
            "customer_name": .string("Ada Lovelace"), "department": .string("Support"), "notify_customer": .bool(false),
        ])
        return try await f.services.db.read { try await f.services.tickets.store.find(f.siteA.id, number: 1, in: $0) }!
    }

    @Test(arguments: Engine.all)
    func agentRepliesAreMailedWithThreadingHeadersAndNotesNeverLeave(_ engine: Engine) async throws {
        let smtp = try await SMTPTestServer()
        do { try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t, env: Self.smtpEnv(smtp))
            let s = f.services
            _ = try await createTicket(f)
            // The customer wrote by email: their Message-ID is on the message.
            f.clock.advance(10)
            _ = try await s.tickets.reply(f.siteA.id, number: 1, body: "Any news?", author: .customer(email: "ada@customer.example", name: "Ada"),
                                          messageID: "<cust-2@customer.example>", scope: .everything)
            f.clock.advance(10)
            let agent = try await f.actor(f.agentA)
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "message": .string("It ships today.")])
            f.clock.advance(10)
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "message": .string("SECRET: warehouse lost it"), "internal": .bool(true)])
            let queued = try await s.db.read { try await s.mailOutbox.list(f.siteA.id, status: nil, ticketID: nil, limit: 10, offset: 0, in: $0) }
            #expect(queued.total == 1 && queued.mails[0].status == .queued, "one email, written with the reply; none for the internal note")
            #expect(try await s.makeRunner(workerID: "test").drain() >= 1)
            #expect(smtp.count == 1, "one email delivered: \(smtp.output)")
            let first = try smtp.message(1)
            let messages = try await s.db.read { try await s.tickets.store.messages(f.siteA.id, ticketID: 1, includeInternal: true, in: $0) }
            let reply = try #require(messages.first { $0.body == "It ships today." })
            #expect(first.messageId == reply.messageID, "the stored message carries the Message-ID we sent")
            #expect(first.header("In-Reply-To") == ["<cust-2@customer.example>"])
            #expect(first.header("References").first?.contains("<cust-2@customer.example>") == true)
            #expect(first.subject?.contains("[T-1]") == true && first.subject?.hasPrefix("Re: Parcel missing") == true)
            #expect(first.rcptTos == ["ada@customer.example"] && first.to.first?.name == "Ada Lovelace")
            #expect(first.from.first?.address == "help@shop.example")
            #expect(first.text?.contains("It ships today.") == true && first.html?.contains("It ships today.") == true)
            #expect(first.header("Auto-Submitted").isEmpty, "a person's reply is not automatic")
            #expect(messages.first { $0.internalNote }?.messageID == nil, "internal notes get no Message-ID")
            // The second reply threads onto the first: its References carry the customer's and our first Message-ID.
            f.clock.advance(10)
            _ = try await f.invoke("tickets.reply", as: agent, site: f.siteA, ["ticket_id": .string("T-1"), "message": .string("Tracking: 123")])
            _ = try await s.makeRunner(workerID: "test").drain()
            #expect(smtp.count == 2)
            let second = try smtp.message(2)
            let refs = second.header("References").first ?? ""
            #expect(refs.contains("<cust-2@customer.example>") && refs.contains(reply.messageID ?? "missing"))
            for n in 1...smtp.count {
                let raw = String(decoding: try smtp.raw(n), as: UTF8.self)
                #expect(!raw.contains("SECRET") && !raw.contains("warehouse"), "an internal note never reaches mail")
            }
            let sent = try await s.db.read { try await s.mailOutbox.list(f.siteA.id, status: .sent, ticketID: nil, limit: 10, offset: 0, in: $0) }
            #expect(sent.total == 2 && sent.mails.allSatisfy { $0.sentAt != nil && $0.attempts == 1 })
        } } catch { await smtp.stop(); throw error }
        await smtp.stop()
    }

    @Test(arguments: Engine.all)
    func withoutSMTPMailIsHeldInTheLocalOutboxPage(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services
            #expect(s.mailer == nil)
            _ = try await createTicket(f)
            _ = try await f.invoke("tickets.reply", as: try await f.actor(f.owner), site: f.siteA, ["ticket_id": .int(1), "message": .string("Hello <Ada> & co")])
            _ = try await f.invoke("tickets.reply", as: try await f.actor(f.owner), site: f.siteA, ["ticket_id": .int(1), "message": .string("note to self"), "internal": .bool(true)])
            let held = try await s.db.read { try await s.mailOutbox.list(f.siteA.id, status: nil, ticketID: nil, limit: 10, offset: 0, in: $0) }
            #expect(held.total == 1 && held.mails[0].status == .held)
            #expect(try await s.jobs.counts()[.queued] ?? 0 == 0, "nothing to send without SMTP")
            let listed = try await f.invoke("mail.outbox.list", as: try await f.actor(f.owner), site: f.siteA, ["ticket_id": .string("T-1")])
            #expect(listed["total"]?.intValue == 1)
            let none = try await f.invoke("mail.outbox.list", as: try await f.actor(f.owner), site: f.siteB, [:])
            #expect(none["total"]?.intValue == 0, "another site's outbox is its own")
            let id = held.mails[0].id
            try await f.app().test(.router) { client in
                let o = BrowserSession()
                _ = try await o.signIn(client, email: f.owner.email, password: AccessFixture.password)
                var r = try await o.get(client, "/admin/outbox")
                var html = String(buffer: r.body)
                #expect(r.status == .ok && html.contains("id=\"no-smtp\"") && html.contains("Held (no SMTP)"))
                #expect(html.contains("Re: Parcel missing [T-1]") && html.contains("ada@customer.example"))
                r = try await o.get(client, "/admin/outbox/\(id)")
                html = String(buffer: r.body)
                #expect(r.status == .ok && html.contains("Message-ID") && html.contains("X-OpsIQ-Ticket"))
                #expect(html.contains("Hello &lt;Ada&gt; &amp; co") && !html.contains("Hello <Ada>"), "the body is shown escaped")
                #expect(!html.contains("note to self"))
                // Agents do not read the outbox.
                let a = BrowserSession()
                _ = try await a.signIn(client, email: f.agentA.email, password: AccessFixture.password)
                r = try await a.get(client, "/admin/outbox")
                #expect(r.status == .forbidden)
            }
        }
    }

    @Test(arguments: Engine.all)
    func templatesAreCheckedAtSaveAndUsedWhenSending(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services
            let owner = try await f.actor(f.owner)
            await #expect(throws: DomainError.self) {
                try await f.invoke("email_templates.save", as: owner, site: f.siteA, ["key": .string("ticket_reply"), "subject": .string("Re {{ticket_id}}"),
                                                                                   "body": .string("Hi {{custmer_name}}\n{{message}}")])
            }
            do {
                _ = try await f.invoke("email_templates.save", as: owner, site: f.siteA, ["key": .string("ticket_reply"), "subject": .string("x"), "body": .string("{{custmer_name}}")])
                Issue.record("an unknown variable must be refused")
            } catch DomainError.validation(let field, let message) {
                #expect(field == "body" && message.contains("{{custmer_name}}"))
            }
            // `{{message}}` belongs to the reply template only; the layout must keep `{{content}}`.
            await #expect(throws: DomainError.self) {
                try await f.invoke("email_templates.save", as: owner, site: f.siteA, ["key": .string("ticket_received"), "subject": .string("s"), "body": .string("{{message}}")])
            }
            await #expect(throws: DomainError.self) {
                try await f.invoke("email_templates.save", as: owner, site: f.siteA, ["key": .string("layout"), "body": .string("<p>no content</p>")])
            }
            _ = try await f.invoke("email_templates.save", as: owner, site: f.siteA, [
                "key": .string("ticket_reply"), "subject": .string("Answer from {{site_name}}"), "body": .string("Dear {{customer_name}},\n\n{{message}}\n\n{{agent_name}}"),
            ])
            _ = try await f.invoke("email_templates.save", as: owner, site: f.siteA, ["key": .string("layout"), "body": .string("<div class=\"brand\">{{customer_name}}</div>{{ content }}")])
            let preview = try await f.invoke("email_templates.preview", as: owner, site: f.siteA, [
                "key": .string("ticket_reply"), "subject": .string("P {{ticket_id}}"), "body": .string("{{message}}"),
            ])
            #expect(preview["subject"]?.stringValue == "P T-12345")
            #expect(preview["html"]?.stringValue?.contains("<div class=\"brand\">Jane Doe</div><p>Hi Jane,</p>") == true)
            _ = try await createTicket(f)
            _ = try await s.db.transaction { try await $0.execute("UPDATE tickets SET customer_name = ? WHERE workspace_id = ?", [.text("O'Brien <Ada>"), .int(f.siteA.id.raw)]) }
            _ = try await f.invoke("tickets.reply", as: owner, site: f.siteA, ["ticket_id": .int(1), "message": .string("Done & dusted")])
            let mail = try #require(try await s.db.read { try await s.mailOutbox.list(f.siteA.id, status: nil, ticketID: nil, limit: 1, offset: 0, in: $0) }.mails.first)
            #expect(mail.mail.subject == "Answer from \(f.siteA.name) [T-1]", "the subject token is added when a template leaves it out")
            #expect(mail.mail.textBody.hasPrefix("Dear O'Brien <Ada>,\n\nDone & dusted"), "plain text is not escaped")
            #expect(mail.mail.htmlBody?.contains("<div class=\"brand\">O&#39;Brien &lt;Ada&gt;</div><p>Dear O&#39;Brien &lt;Ada&gt;,</p>") == true, "HTML is escaped")
            let list = try await f.invoke("email_templates.list", as: owner, site: f.siteA, [:])
            #expect(list["templates"]?.listItems.first { $0["key"]?.stringValue == "ticket_reply" }?["edited"] == .bool(true))
            let reset = try await f.invoke("email_templates.reset", as: owner, site: f.siteA, ["key": .string("ticket_reply")])
            #expect(reset["reset"] == .bool(true))
            let other = try await f.invoke("email_templates.list", as: owner, site: f.siteB, [:])
            #expect(other["templates"]?.listItems.allSatisfy { $0["edited"] == .bool(false) } == true, "edits belong to one site")
        }
    }

    @Test(arguments: Engine.all)
    func automaticMailIsRateLimitedAndNeverGoesToRobots(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services
            for robot in ["noreply@x.example", "No-Reply@x.example", "MAILER-DAEMON@x.example", "postmaster@x.example", "do_not_reply+42@x.example"] {
                #expect(MailLoopGuard.isRobotAddress(robot), "\(robot)")
            }
            #expect(!MailLoopGuard.isRobotAddress("noreen@x.example") && !MailLoopGuard.isRobotAddress("ada@customer.example"))
            let ticket = try await createTicket(f)
            var outcomes: [TicketMailer.Skipped?] = []
            for _ in 0..<5 {
                outcomes.append(try await s.db.transaction { try await s.ticketMailer.acknowledge(f.siteA.id, ticket: ticket, in: $0) }.skipped)
                f.clock.advance(60)
            }
            #expect(outcomes == [nil, nil, nil, .ticketRateLimit, .ticketRateLimit])
            // After the window, automatic mail flows again.
            f.clock.advance(TicketMailer.rateWindow)
            #expect(try await s.db.transaction { try await s.ticketMailer.acknowledge(f.siteA.id, ticket: ticket, in: $0) }.skipped == nil)
            let auto = try #require(try await s.db.read { try await s.mailOutbox.list(f.siteA.id, status: nil, ticketID: nil, limit: 1, offset: 0, in: $0) }.mails.first)
            #expect(auto.automatic && auto.mail.headers.contains { $0.0 == "Auto-Submitted" && $0.1 == "auto-replied" })
            #expect(auto.mail.subject.contains("[T-1]"))
            var robot = ticket
            robot.customerEmail = "mailer-daemon@customer.example"
            #expect(try await s.db.transaction { try await s.ticketMailer.acknowledge(f.siteA.id, ticket: robot, in: $0) }.skipped == .robotAddress)
        }
    }
}

extension JSONValue {
    /// The elements of a JSON array (empty for anything else).
    var listItems: [JSONValue] { if case .array(let a) = self { return a }; return [] }
}
