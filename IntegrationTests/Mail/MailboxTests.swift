import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// Mailboxes in, against a real Dovecot (IMAPS and STARTTLS, self-signed certificate) and a real
/// SMTP server (aiosmtpd): mail is APPENDed over IMAP, the poller imports it through the MIME
/// parser, replies thread by headers and by subject token, a message is imported once, HTML is made
/// safe text, attachments are kept, and an auto-reply storm between two mailboxes stops.
@Suite(.serialized) struct MailboxTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 73, 72, 68, 82]

    @Test func mimeParserDecodesMultipartCharsetsAndEncodedWords() throws {
        let raw = """
            From: =?ISO-8859-1?Q?Ren=E9e_M=FCller?= <renee@customer.example>
            To: "Support Team" <support@shop.example>, other@shop.example
            Subject: =?UTF-8?B?Q2Fmw6kg4oKsNQ==?= =?UTF-8?Q?_order?= [T-42]
            Message-ID: <abc.123@customer.example>
            In-Reply-To: <opsiq.t-42.x@shop.example>
            References: <first@customer.example>
             <opsiq.t-42.x@shop.example>
            Date: Tue, 24 Nov 2026 10:15:00 +0100
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            preamble
            --outer
            Content-Type: multipart/alternative; boundary=inner

            --inner
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            Gr=FC=DFe, the caf=E9 order is =
            late.
            --inner
            Content-Type: text/html; charset=utf-8
            Content-Transfer-Encoding: base64

            PHA+R3LDvMOfZTwvcD4=
            --inner--
            --outer
            Content-Type: text/plain; name="ignored.txt"
            Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt
            Content-Transfer-Encoding: base64

            aGVsbG8gZmlsZQ==
            --outer
            Content-Type: image/png
            Content-ID: <logo@x>
            Content-Transfer-Encoding: base64

            \(Data(Self.png).base64EncodedString())
            --outer--
            """.replacingOccurrences(of: "\n", with: "\r\n")
        let m = MIMEParser().parse(Array(raw.utf8))
        #expect(m.subject == "Café €5 order [T-42]")
        #expect(m.from == MailAddress("renee@customer.example", name: "Renée Müller"))
        #expect(m.to.map(\.email) == ["support@shop.example", "other@shop.example"] && m.to.first?.name == "Support Team")
        #expect(m.messageID == "<abc.123@customer.example>")
        #expect(m.inReplyTo == ["<opsiq.t-42.x@shop.example>"])
        #expect(m.references == ["<first@customer.example>", "<opsiq.t-42.x@shop.example>"])
        #expect(m.date == ISO8601DateFormatter().date(from: "2026-11-24T09:15:00Z"))
        #expect(m.text == "Grüße, the café order is late.")
        #expect(m.html == "<p>Grüße</p>")
        #expect(m.attachments.count == 2)
        #expect(m.attachments.first?.fileName == "résumé.txt" && m.attachments.first?.bytes == Array("hello file".utf8))
        #expect(m.attachments.last?.contentID == "logo@x" && m.attachments.last?.inline == true && m.attachments.last?.bytes == Self.png)
        #expect(MailImport.subjectToken(m.subject) == 42 && MailImport.subjectToken("Re: [t-7] x") == 7 && MailImport.subjectToken("[T-] [T-x]") == nil)
        // Loop markers.
        var auto = m
        auto.headers.append(.init("Auto-Submitted", "auto-replied"))
        #expect(MailLoopGuard.automatedReason(auto) != nil)
        var no = m
        no.headers.append(.init("Auto-Submitted", "no"))
        #expect(MailLoopGuard.automatedReason(no) == nil)
        for (name, value) in [("Precedence", "bulk"), ("Precedence", "list"), ("X-Loop", "x"), ("X-Autoreply", "yes")] {
            var x = m
            x.headers.append(.init(name, value))
            #expect(MailLoopGuard.automatedReason(x) != nil, "\(name)")
        }
        var ooo = m
        ooo.subject = "Out of Office: back Monday"
        #expect(MailLoopGuard.automatedReason(ooo) == "out-of-office subject")
        #expect(HTMLToText.convert("<html><head><style>p{}</style></head><body><script>alert(1)</script><p>Hi &amp; bye</p><img src=x onerror=alert(2)>ok</body></html>")
                == "Hi & bye\nok")
    }

    /// Services with SMTP, a mailbox on the Dovecot user `support`, and a copy of the mailbox service
    /// that accepts the test server's self-signed certificate.
    static func setUp(_ t: TestDatabase, smtp: SMTPTestServer, imap: IMAPTestServer) async throws -> (AccessFixture, Mailboxes, Int64) {
        let f = try await AccessFixture.make(t, env: ["OPSIQ_SMTP_URL": "smtp://127.0.0.1:\(smtp.port)", "OPSIQ_MAIL_FROM": "Help Desk <help@shop.example>"])
        let created = try await f.invoke("mailboxes.create", as: try await f.actor(f.owner), site: f.siteA, [
            "name": .string("Support inbox"), "address": .string("support@shop.example"), "host": .string("127.0.0.1"), "port": .int(Int64(imap.imapsPort)),
            "security": .string("tls"), "username": .string("support"), "password": .string("supportpw"), "department": .string("Support"),
        ])
        #expect(created["password"] == nil, "the password is never returned")
        var mb = f.services.mailboxes
        mb.verifyPeer = false
        return (f, mb, created["id"]?.intValue ?? 0)
    }

    static let own: Set<String> = ["help@shop.example"]

    /// Starts both servers, runs `body`, and always stops them (awaited, so no process outlives the test).
    static func withServers(_ body: (SMTPTestServer, IMAPTestServer) async throws -> Void) async throws {
        let smtp = try await SMTPTestServer()
        let imap: IMAPTestServer
        do { imap = try await IMAPTestServer(users: ["support": "supportpw"]) } catch { await smtp.stop(); throw error }
        do { try await body(smtp, imap) } catch { await imap.stop(); await smtp.stop(); throw error }
        await imap.stop()
        await smtp.stop()
    }

    @Test(arguments: Engine.all)
    func pollerImportsThreadsByHeadersAndTokenOnceWithAttachments(_ engine: Engine) async throws {
        try await Self.withServers { smtp, imap in try await TestDatabase.with(engine) { t in
            let (f, mb, id) = try await Self.setUp(t, smtp: smtp, imap: imap)
            let s = f.services
            let ws = f.siteA.id
            // 1. A new email, HTML only, with an attachment and an inline image: a new ticket, acknowledged.
            try imap.append("support", "supportpw", """
                From: Ada Lovelace <ada@customer.example>
                To: support@shop.example
                Subject: Parcel missing
                Message-ID: <a1@customer.example>
                MIME-Version: 1.0
                Content-Type: multipart/mixed; boundary="b1"

                --b1
                Content-Type: text/html; charset=utf-8

                <html><body><script>steal()</script><p onclick="x()">My parcel <b>never</b> came.</p><img src="cid:logo@x"></body></html>
                --b1
                Content-Type: text/plain
                Content-Disposition: attachment; filename="order.txt"

                Order 1001
                --b1
                Content-Type: image/png
                Content-ID: <logo@x>
                Content-Transfer-Encoding: base64

                \(Data(Self.png).base64EncodedString())
                --b1--
                """)
            var r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.error == nil && r.imported == [.created(number: 1, acknowledged: true)], "\(r)")
            let t1 = try await s.tickets.get(ws, number: 1, includeInternal: true, scope: .everything)
            #expect(t1.ticket.departmentID != nil && t1.ticket.customerEmail == "ada@customer.example" && t1.ticket.customerName == "Ada Lovelace")
            #expect(t1.messages[0].body == "My parcel never came." && t1.messages[0].messageID == "<a1@customer.example>", "HTML made text: \(t1.messages[0].body)")
            let files = try await s.attachments.list(ws, number: 1, includeInternal: true, scope: .everything)
            #expect(Set(files.map(\.fileName)) == ["order.txt", "part-2.png"] && files.allSatisfy { $0.messageID == t1.messages[0].id })
            // The acknowledgement reached the SMTP server, threaded and marked automatic, Reply-To the mailbox.
            _ = try await s.makeRunner(workerID: "test").drain()
            #expect(smtp.count == 1, "\(smtp.output)")
            let ack = try smtp.message(1)
            #expect(ack.rcptTos == ["ada@customer.example"] && ack.subject?.contains("[T-1]") == true)
            #expect(ack.header("In-Reply-To") == ["<a1@customer.example>"] && ack.header("Auto-Submitted") == ["auto-replied"])
            #expect(ack.replyTo.first?.address == "support@shop.example")
            // 2. An agent replies; the customer answers that email by its headers (subject changed, no token).
            _ = try await f.invoke("tickets.reply", as: try await f.actor(f.agentA), site: f.siteA, ["ticket_id": .string("T-1"), "message": .string("Checking with the courier.")])
            _ = try await s.makeRunner(workerID: "test").drain()
            #expect(smtp.count == 2)
            let ours = try #require(try smtp.message(2).messageId)
            try imap.append("support", "supportpw", """
                From: ada@customer.example
                To: support@shop.example
                Subject: something else entirely
                Message-ID: <a2@customer.example>
                In-Reply-To: \(ours)
                References: <a1@customer.example> \(ours)

                Thanks!
                """)
            // 3. Another answer threads by the subject token only.
            try imap.append("support", "supportpw", """
                From: ada@customer.example
                To: support@shop.example
                Subject: Re: [T-1] still waiting
                Message-ID: <a3@customer.example>

                Any news?
                """)
            // 4. Unrelated mail opens a second ticket; 5. the first email again is not imported twice.
            try imap.append("support", "supportpw", """
                From: bob@customer.example
                To: support@shop.example
                Subject: Invoice question
                Message-ID: <b1@customer.example>

                Where is my invoice?
                """)
            try imap.append("support", "supportpw", """
                From: Ada Lovelace <ada@customer.example>
                To: support@shop.example
                Subject: Parcel missing
                Message-ID: <a1@customer.example>

                duplicate delivery
                """)
            r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.error == nil && r.imported == [.replied(number: 1), .replied(number: 1), .created(number: 2, acknowledged: true), .duplicate], "\(r)")
            let after = try await s.tickets.get(ws, number: 1, includeInternal: true, scope: .everything)
            #expect(after.messages.map(\.body) == ["My parcel never came.", "Checking with the courier.", "Thanks!", "Any news?"])
            // Nothing new: polling again imports nothing (the last UID is remembered).
            r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.imported.isEmpty && r.error == nil)
            let stored = try await mb.get(ws, id: id)
            #expect(stored.lastUID == 5 && stored.uidValidity != nil && stored.lastError == nil && stored.lastPolledAt != nil)
            // A reply to a closed ticket reopens it.
            _ = try await s.tickets.setStatus(ws, number: 1, to: .closed, scope: .everything)
            try imap.append("support", "supportpw", """
                From: ada@customer.example
                To: support@shop.example
                Subject: Re: [T-1] one more thing
                Message-ID: <a4@customer.example>

                It arrived damaged.
                """)
            r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.imported == [.replied(number: 1)])
            #expect(try await s.tickets.get(ws, number: 1, includeInternal: false, scope: .everything).ticket.status == .open)
            // The password is sealed at rest.
            let sealed = try await s.db.read { try await $0.queryFirst("SELECT password_sealed FROM mailboxes WHERE id = ?", [.int(id)])?.string("password_sealed") }
            #expect(sealed != nil && sealed?.contains("supportpw") == false)
        } }
    }

    @Test(arguments: Engine.all)
    func testConnectionSaysWhatIsWrongAndStartTLSWorks(_ engine: Engine) async throws {
        try await Self.withServers { smtp, imap in try await TestDatabase.with(engine) { t in
            let (f, mb, id) = try await Self.setUp(t, smtp: smtp, imap: imap)
            let owner = try await f.actor(f.owner)
            let ws = f.siteA.id
            // Through the action (certificates checked): the self-signed certificate is a TLS failure.
            do {
                _ = try await f.invoke("mailboxes.test", as: owner, site: f.siteA, ["id": .int(id)])
                Issue.record("a self-signed certificate must be refused")
            } catch DomainError.validation(let field, let message) {
                #expect(field == "security" && message.contains("certificate"), "\(message)")
            }
            #expect(try await mb.test(ws, id: id).messages == 0)
            _ = try await f.invoke("mailboxes.update", as: owner, site: f.siteA, ["id": .int(id), "password": .string("wrong-password")])
            do {
                _ = try await mb.test(ws, id: id)
                Issue.record("a wrong password must fail")
            } catch DomainError.validation(let field, let message) {
                #expect(field == "password" && message.contains("wrong user name or password") && !message.contains("wrong-password"), "\(message)")
            }
            _ = try await f.invoke("mailboxes.update", as: owner, site: f.siteA, ["id": .int(id), "password": .string("supportpw"), "folder": .string("Missing")])
            do {
                _ = try await mb.test(ws, id: id)
                Issue.record("a missing folder must fail")
            } catch DomainError.validation(let field, let message) {
                #expect(field == "folder" && message.contains("\"Missing\""), "\(message)")
            }
            // STARTTLS on the plain port.
            _ = try await f.invoke("mailboxes.update", as: owner, site: f.siteA, ["id": .int(id), "folder": .string("INBOX"), "security": .string("starttls"),
                                                                               "port": .int(Int64(imap.imapPort))])
            try imap.append("support", "supportpw", "From: c@customer.example\nSubject: Over STARTTLS\nMessage-ID: <c1@customer.example>\n\nhello\n")
            let r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.error == nil && r.imported == [.created(number: 1, acknowledged: true)], "\(r)")
            // A poll that fails records the error on the mailbox (its health).
            _ = try await f.invoke("mailboxes.update", as: owner, site: f.siteA, ["id": .int(id), "password": .string("nope-nope")])
            let failed = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(failed.error?.contains("wrong user name or password") == true)
            let listed = try await f.invoke("mailboxes.list", as: owner, site: f.siteA, [:])
            #expect(listed["mailboxes"]?.listItems.first?["healthy"] == .bool(false))
            await #expect(throws: DomainError.validation(field: "port", message: "must be at least 1")) {
                try await f.invoke("mailboxes.update", as: owner, site: f.siteA, ["id": .int(id), "port": .int(0)])
            }
        } }
    }

    @Test(arguments: Engine.all)
    func anAutoReplyStormBetweenTwoMailboxesStops(_ engine: Engine) async throws {
        try await Self.withServers { smtp, imap in try await TestDatabase.with(engine) { t in
            let (f, mb, id) = try await Self.setUp(t, smtp: smtp, imap: imap)
            let s = f.services
            let ws = f.siteA.id
            /// The other side: an autoresponder answering every email it receives into our mailbox.
            func autoresponder(marked: Bool, from: String, handled: inout Int) throws {
                while handled < smtp.count {
                    handled += 1
                    let got = try smtp.message(handled)
                    guard got.rcptTos == [from] else { continue }
                    try imap.append("support", "supportpw", """
                        From: \(from)
                        To: support@shop.example
                        Subject: \(marked ? "Automatic reply: \(got.subject ?? "")" : "Thank you for your message \(handled)")
                        Message-ID: <auto-\(handled)@other.example>
                        \(marked ? "Auto-Submitted: auto-replied\nIn-Reply-To: \(got.messageId ?? "")\n" : "")
                        I am away; this is an automatic answer.
                        """)
                }
            }
            // A person writes; their vacation responder (RFC 3834 marked) answers our acknowledgement.
            try imap.append("support", "supportpw", "From: ada@customer.example\nSubject: Help\nMessage-ID: <p1@customer.example>\n\nPlease help\n")
            var handled = 0
            for _ in 0..<6 {
                _ = try await mb.poll(ws, id: id, ownAddresses: Self.own)
                _ = try await s.makeRunner(workerID: "test").drain()
                try autoresponder(marked: true, from: "ada@customer.example", handled: &handled)
            }
            #expect(smtp.count == 1, "only the first acknowledgement; the auto-reply got none")
            let t1 = try await s.tickets.get(ws, number: 1, includeInternal: false, scope: .everything)
            #expect(t1.messages.count == 2, "the auto-reply is kept on the ticket")
            // A robot that marks nothing and opens new threads: the per-address limit ends the storm.
            try imap.append("support", "supportpw", "From: bot@other.example\nSubject: Hello\nMessage-ID: <bot0@other.example>\n\nhi\n")
            for _ in 0..<10 {
                _ = try await mb.poll(ws, id: id, ownAddresses: Self.own)
                _ = try await s.makeRunner(workerID: "test").drain()
                try autoresponder(marked: false, from: "bot@other.example", handled: &handled)
            }
            let toBot = try (1...smtp.count).map { try smtp.message($0) }.filter { $0.rcptTos == ["bot@other.example"] }.count
            #expect(toBot == TicketMailer.perAddressLimit, "the storm stops at the per-address limit (\(toBot) emails)")
            // Mail from our own sending address is never imported (no loop through ourselves).
            try imap.append("support", "supportpw", "From: help@shop.example\nSubject: Re: [T-1]\nMessage-ID: <self@shop.example>\n\nloop\n")
            let r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.imported == [.ignored("sent by this mailbox or OpsIQ itself")])
        } }
    }

    /// Logins Dovecot recorded so far (one per IMAP connection).
    /// Waits a moment first: Dovecot's log process writes the line shortly after the login.
    static func logins(_ imap: IMAPTestServer) async throws -> Int {
        try await Task.sleep(nanoseconds: 400_000_000)
        return imap.log.components(separatedBy: "\n").filter { $0.contains("imap-login: Info: Login: user=<") }.count
    }

    @Test func batchFetchReadsManyMessagesOverOneLogin() async throws {
        let imap = try await IMAPTestServer(users: ["support": "supportpw"])
        do {
            for n in 1...4 {
                try imap.append("support", "supportpw", "From: c\(n)@customer.example\nSubject: Batch \(n)\nMessage-ID: <b\(n)@customer.example>\n\nbody \(n)\n")
            }
            let client = CurlIMAPClient()
            var before = try await Self.logins(imap)
            let listed = try await client.newUIDs(imap.account("support", "supportpw"), after: 1)
            #expect(listed.uids == [2, 3, 4] && listed.uidValidity > 0)
            var now = try await Self.logins(imap)
            #expect(now - before == 1, "STATUS and SEARCH over one connection:\n\(imap.log)")
            before = try await Self.logins(imap)
            let got = try await client.fetch(imap.account("support", "supportpw"), uids: [3, 1, 4, 2])
            #expect(got.map(\.uid) == [3, 1, 4, 2], "in the order asked")
            for m in got {
                let text = String(decoding: m.raw, as: UTF8.self)
                #expect(text.contains("Subject: Batch \(m.uid)\r\n") && text.contains("body \(m.uid)"), "\(text)")
            }
            now = try await Self.logins(imap)
            #expect(now - before == 1, "four messages over one connection")
            #expect(got.allSatisfy { !$0.seen }, "appended unread, like delivered mail")
            // Fetching reads them (libcurl's BODY[]); setSeen puts the flag back and sets it again.
            let acct = imap.account("support", "supportpw")
            #expect(try await client.fetch(acct, uids: [1, 2, 3, 4]).map(\.seen) == [true, true, true, true])
            try await client.setSeen(acct, uids: [1, 3], seen: false)
            #expect(try await client.fetch(acct, uids: [1, 2, 3, 4]).map(\.seen) == [false, true, false, true])
            try await client.setSeen(acct, uids: [2, 4], seen: false)
            try await client.setSeen(acct, uids: [4], seen: true)
            #expect(try await client.fetch(acct, uids: [2, 4]).map(\.seen) == [false, true])
            before = try await Self.logins(imap)
            // STARTTLS sessions are reused the same way; a wrong password still says so.
            let plain = try await client.fetch(imap.account("support", "supportpw", security: .startTLS), uids: [1, 2])
            now = try await Self.logins(imap)
            #expect(plain.count == 2 && now - before == 1)
            await #expect(throws: IMAPError.self) { try await client.fetch(imap.account("support", "bad-password"), uids: [1]) }
            await client.shutdown()
        } catch { await imap.stop(); throw error }
        await imap.stop()
    }

    @Test(arguments: Engine.all)
    func pollerFetchesInChunksOverFewConnectionsAndKeepsItsPlace(_ engine: Engine) async throws {
        try await Self.withServers { smtp, imap in try await TestDatabase.with(engine) { t in
            var (f, mb, id) = try await Self.setUp(t, smtp: smtp, imap: imap)
            let ws = f.siteA.id
            for n in 1...7 {
                try imap.append("support", "supportpw", "From: c\(n)@customer.example\nSubject: Order \(n)\nMessage-ID: <o\(n)@customer.example>\n\nwhere is order \(n)\n")
            }
            mb.fetchChunk = 3
            mb.batch = 5
            var before = try await Self.logins(imap)
            var r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.error == nil && r.imported == (1...5).map { .created(number: Int64($0), acknowledged: true) }, "\(r)")
            // STATUS and SEARCH over one connection, then two sessions of fetches (3 + 2), not one per message.
            var now = try await Self.logins(imap)
            // Plus one session that flags the five taken messages \Seen.
            #expect(now - before == 4, "\(now - before) logins")
            var stored = try await mb.get(ws, id: id)
            #expect(stored.lastUID == 5 && stored.lastError == nil)
            // What the poll took is flagged \Seen on the server; what waits for the next poll is still unread.
            let peek = CurlIMAPClient()
            #expect(try await peek.fetch(imap.account("support", "supportpw"), uids: [1, 2, 3, 4, 5, 6, 7]).map(\.seen) == [true, true, true, true, true, false, false])
            try await peek.setSeen(imap.account("support", "supportpw"), uids: [6, 7], seen: false)
            await peek.shutdown()
            before = try await Self.logins(imap)
            r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.imported == [.created(number: 6, acknowledged: true), .created(number: 7, acknowledged: true)], "\(r)")
            now = try await Self.logins(imap)
            #expect(now - before == 3, "\(now - before) logins")
            stored = try await mb.get(ws, id: id)
            #expect(stored.lastUID == 7)
            let t7 = try await f.services.tickets.get(ws, number: 7, includeInternal: false, scope: .everything)
            #expect(t7.ticket.subject == "Order 7" && t7.messages[0].body == "where is order 7")
            r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.imported.isEmpty && r.error == nil)
            // A message the helpdesk refuses (a sender address too long to store) is skipped and taken, not
            // retried forever in front of the mail behind it.
            let long = String(repeating: "x", count: 200) + "@customer.example"
            try imap.append("support", "supportpw", ["From: \(long)\nSubject: Odd\nMessage-ID: <odd@customer.example>\n\nodd\n",
                                                    "From: c8@customer.example\nSubject: Order 8\nMessage-ID: <o8@customer.example>\n\nwhere is order 8\n"])
            r = try await mb.poll(ws, id: id, ownAddresses: Self.own)
            #expect(r.error == nil && r.imported.count == 2 && r.imported.last == .created(number: 8, acknowledged: true), "\(r)")
            if case .ignored(let why) = r.imported.first { #expect(why.contains("customer_email")) } else { Issue.record("\(r.imported)") }
            #expect(try await mb.get(ws, id: id).lastUID == 9)
        } }
    }
}
