import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// The customer notifications on both engines, through the durable mail outbox to a real SMTP server
/// and back in through a real Dovecot: the `ticket_received` acknowledgement for portal and API
/// tickets (with a portal link whose key opens the ticket), the `ticket_resolved` email when the team
/// resolves or closes a ticket (never when the customer does it, on a merge or for resolved -> closed),
/// rate-limited like all automatic mail, and replies to either email threading back into the ticket.
@Suite(.serialized) struct TicketNotificationTests {
    static func outbox(_ f: AccessFixture, kind: String? = nil) async throws -> [StoredMail] {
        let s = f.services
        let all = try await s.db.read { try await s.mailOutbox.list(f.siteA.id, status: nil, ticketID: nil, limit: 100, offset: 0, in: $0) }.mails
        return all.filter { kind == nil || $0.kind == kind }.sorted { $0.id < $1.id }
    }

    /// The access key in a portal link of an email's text.
    static func key(in text: String, ticket: String) -> String? {
        guard let r = text.range(of: "#opsiq-ticket=\(ticket)~") else { return nil }
        return String(text[r.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
    }

    @Test(arguments: Engine.all)
    func portalAndAPITicketsAreAcknowledgedResolvedTicketsNotifiedAndRepliesThreadBack(_ engine: Engine) async throws {
        try await MailboxTests.withServers { smtp, imap in try await TestDatabase.with(engine) { t in
            let (f, mb, mailbox) = try await MailboxTests.setUp(t, smtp: smtp, imap: imap)
            let s = f.services
            let ws = f.siteA.id
            let owner = try await f.actor(f.owner)
            _ = try await f.invoke("settings.set", as: owner, site: f.siteA, ["name": .string("tickets.portal_url"), "value": .string("https://a.example.com/support#top")])

            // 1. An anonymous customer opens a ticket in the portal: acknowledged, with a link that opens it.
            _ = try await s.portal.create(ws, .anonymous, email: "ada@customer.example", name: "Ada", subject: "Lamp flickers", message: "Since Monday.", files: [])
            var acks = try await Self.outbox(f, kind: "ticket_received")
            #expect(acks.count == 1 && acks[0].automatic && acks[0].mail.to.map(\.email) == ["ada@customer.example"])
            let text = acks[0].mail.textBody
            #expect(text.contains("https://a.example.com/support#opsiq-ticket=T-1~tk_"), "\(text)")
            let key = try #require(Self.key(in: text, ticket: "T-1"))
            let opened = try await s.portal.get(ws, .anonymous, number: 1, key: key)
            #expect(opened["subject"]?.stringValue == "Lamp flickers", "the emailed key opens the ticket")
            await #expect(throws: DomainError.self) { try await s.portal.get(ws, .anonymous, number: 1, key: key + "0") }

            // 2. Through the API (the tickets.create action): acknowledged unless notify_customer is false.
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Invoice address"), "message": .string("Please change it."),
                                                                                "customer_email": .string("bob@customer.example"), "department": .string("Support")])
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Same invoice"), "message": .string("Again."),
                                                                                "customer_email": .string("bob@customer.example"), "department": .string("Support"),
                                                                                "notify_customer": .bool(false)])
            acks = try await Self.outbox(f, kind: "ticket_received")
            #expect(acks.map(\.ticketID) == [1, 2], "T-1 and T-2 acknowledged, T-3 not")
            #expect(Self.key(in: acks[1].mail.textBody, ticket: "T-2") != nil)

            // 3. The team resolves T-1: one "resolved" email; resolved -> closed sends nothing more.
            _ = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .string("T-1"), "status": .string("resolved")])
            _ = try await f.invoke("tickets.close", as: owner, site: f.siteA, ["ticket_id": .string("T-1")])
            var resolved = try await Self.outbox(f, kind: "ticket_resolved")
            #expect(resolved.count == 1 && resolved[0].ticketID == 1 && resolved[0].automatic)
            #expect(resolved[0].mail.subject == "Your request is resolved [T-1]: Lamp flickers", "\(resolved[0].mail.subject)")
            #expect(resolved[0].mail.textBody.contains("is now resolved") && Self.key(in: resolved[0].mail.textBody, ticket: "T-1") != nil)
            // Internal changes send nothing: a merge closes T-3, an internal note, and the customer resolving T-2 in the portal.
            _ = try await f.invoke("tickets.merge", as: owner, site: f.siteA, ["ticket_id": .string("T-3"), "into_ticket_id": .string("T-2")])
            _ = try await f.invoke("tickets.reply", as: owner, site: f.siteA, ["ticket_id": .string("T-2"), "message": .string("note"), "internal": .bool(true)])
            _ = try await s.portal.setStatus(ws, .identified(email: "bob@customer.example", name: "Bob"), number: 2, key: nil, resolve: true)
            #expect(try await Self.outbox(f, kind: "ticket_resolved").count == 1)
            #expect(try await Self.outbox(f).count == 3, "two acknowledgements, one resolved notice, nothing else")

            // 4. Through the outbox to SMTP, headers that thread.
            _ = try await s.makeRunner(workerID: "test").drain()
            #expect(smtp.count == 3, "\(smtp.output)")
            let sent = try (1...smtp.count).map { try smtp.message($0) }
            let notice = try #require(sent.first { $0.messageId == resolved[0].messageID })
            #expect(notice.header("Auto-Submitted") == ["auto-replied"] && notice.subject?.contains("[T-1]") == true)

            // 5. Replies by email: to the resolved notice by its headers (the token removed), to T-2's acknowledgement by References.
            try imap.append("support", "supportpw", [
                "From: ada@customer.example\nTo: support@shop.example\nSubject: still broken\nMessage-ID: <ada-r1@customer.example>\nIn-Reply-To: \(resolved[0].messageID)\n\nIt flickers again.\n",
                "From: bob@customer.example\nTo: support@shop.example\nSubject: thanks\nMessage-ID: <bob-r1@customer.example>\nReferences: \(acks[1].messageID)\n\nThank you!\n",
            ])
            let r = try await mb.poll(ws, id: mailbox, ownAddresses: MailboxTests.own)
            #expect(r.error == nil && r.imported == [.replied(number: 1), .replied(number: 2)], "\(r)")
            let t1 = try await s.tickets.get(ws, number: 1, includeInternal: false, scope: .everything)
            #expect(t1.ticket.status == .open && t1.messages.last?.body == "It flickers again.", "the reply reopens the closed ticket")

            // 6. Rate limit as for all automatic mail: T-1 has had 2 automatic emails; resolving again sends a
            //    third, a fourth within the hour is skipped.
            _ = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .string("T-1"), "status": .string("resolved")])
            _ = try await f.invoke("tickets.reopen", as: owner, site: f.siteA, ["ticket_id": .string("T-1")])
            _ = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .string("T-1"), "status": .string("closed")])
            resolved = try await Self.outbox(f, kind: "ticket_resolved")
            #expect(resolved.filter { $0.ticketID == 1 }.count == 2)
            f.clock.advance(TicketMailer.rateWindow + 1)
            _ = try await f.invoke("tickets.reopen", as: owner, site: f.siteA, ["ticket_id": .string("T-1")])
            _ = try await f.invoke("tickets.update", as: owner, site: f.siteA, ["ticket_id": .string("T-1"), "status": .string("closed")])
            resolved = try await Self.outbox(f, kind: "ticket_resolved")
            #expect(resolved.filter { $0.ticketID == 1 }.count == 3 && resolved.last?.mail.subject.hasPrefix("Your request is closed") == true)

            // 7. Robots never get one.
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Bounce"), "message": .string("x"),
                                                                                "customer_email": .string("mailer-daemon@customer.example"), "department": .string("Support")])
            _ = try await f.invoke("tickets.close", as: owner, site: f.siteA, ["ticket_id": .string("T-4")])
            #expect(try await Self.outbox(f).allSatisfy { $0.ticketID != 4 })
        } }
    }

    @Test(arguments: Engine.all)
    func theResolvedTemplateIsInTheRegistryEditableAndPreviewed(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            let list = try await f.invoke("email_templates.list", as: owner, site: f.siteA, [:])
            #expect(list["templates"]?.listItems.map { $0["key"]?.stringValue ?? "" } == ["ticket_reply", "ticket_received", "ticket_resolved", "layout"])
            // {{ticket_status}} belongs to ticket_resolved; the portal variables to the automatic emails only.
            await #expect(throws: DomainError.self) {
                try await f.invoke("email_templates.save", as: owner, site: f.siteA, ["key": .string("ticket_reply"), "subject": .string("s"), "body": .string("{{ticket_status}} {{message}}")])
            }
            await #expect(throws: DomainError.self) {
                try await f.invoke("email_templates.save", as: owner, site: f.siteA, ["key": .string("ticket_reply"), "subject": .string("s"), "body": .string("{{portal_link}}")])
            }
            _ = try await f.invoke("email_templates.save", as: owner, site: f.siteA, ["key": .string("ticket_resolved"), "subject": .string("Done: {{ticket_subject}}"),
                                                                                   "body": .string("Dear {{customer_name}}, it is {{ticket_status}}. {{portal_link}}")])
            let preview = try await f.invoke("email_templates.preview", as: owner, site: f.siteA, [
                "key": .string("ticket_resolved"), "subject": .string("Done: {{ticket_subject}}"), "body": .string("It is {{ticket_status}}. {{portal_access}}"),
            ])
            #expect(preview["subject"]?.stringValue == "Done: My order has not arrived")
            #expect(preview["text"]?.stringValue?.hasPrefix("It is resolved. Follow your request online: https://example.com/support#opsiq-ticket=T-12345~") == true)
            // The saved edit is what goes out.
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Lamp"), "message": .string("x"),
                                                                                "customer_email": .string("ada@customer.example"), "department": .string("Support"),
                                                                                "notify_customer": .bool(false)])
            _ = try await f.invoke("tickets.close", as: owner, site: f.siteA, ["ticket_id": .string("T-1")])
            let mail = try #require(try await TicketNotificationTests.outbox(f, kind: "ticket_resolved").first)
            #expect(mail.mail.subject == "Done: Lamp [T-1]" && mail.mail.textBody == "Dear , it is closed.\n", "no portal page set: the link is empty")
        }
    }

    @Test func portalAndBrandingURLSettingsAreHTTPSOnly() throws {
        let url = try #require(SettingsService.builtIn.first { $0.name == "tickets.portal_url" })
        let logo = try #require(SettingsService.builtIn.first { $0.name == "branding.logo_url" })
        #expect(try url.validate(.string(" https://shop.example/help ")) == .string("https://shop.example/help"))
        #expect(try logo.validate(.string("")) == .string(""))
        for bad in ["http://shop.example/help", "javascript:alert(1)", "https://x.example/\"onload=1", "https://x.example/a b", "https://", "https://x.example/<svg>",
                    "https://x.example/a)b"] {
            #expect(throws: DomainError.self, "\(bad)") { try logo.validate(.string(bad)) }
        }
        do { _ = try url.validate(.string("ftp://x")); Issue.record("refused") } catch DomainError.validation(let field, let message) {
            #expect(field == "tickets.portal_url" && message.contains("https://"))
        }
    }
}
