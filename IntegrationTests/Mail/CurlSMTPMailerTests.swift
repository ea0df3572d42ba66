import Foundation
import Logging
import Adapters
import Ports
import Testing

/// The mailer against a real SMTP server (aiosmtpd through `smtp_server.py`).
@Suite struct CurlSMTPMailerTests {
    static let user = "opsiq"
    static let password = "S3cr3t-Pa55:w@rd"
    static let sentAt = Date(timeIntervalSince1970: 1_795_597_503)  // Wed, 25 Nov 2026 09:05:03 UTC
    static let logger: Logger = {
        var logger = Logger(label: "test.smtp")
        logger.logLevel = .warning  // failures are logged at notice; the tests look at the errors instead
        return logger
    }()

    func mailer(port: Int, user: String? = Self.user, password: String? = Self.password,
                security: SMTPConfig.Security = .none, verifyPeer: Bool = true, timeout: Int = 10) -> CurlSMTPMailer {
        let config = SMTPConfig(host: "127.0.0.1", port: port, username: user, password: password, security: security,
                                heloName: "opsiq.test", timeoutSeconds: timeout, verifyPeer: verifyPeer,
                                defaultFrom: MailAddress("noreply@opsiq.test", name: "OpsIQ"))
        return CurlSMTPMailer(config: config, clock: FixedClock(date: Self.sentAt), random: CountingRandom(),
                              logger: Self.logger)
    }

    /// Runs `body` with a started server and a mailer pointed at it; stops both whatever happens.
    func withServer(tls: SMTPTestServer.TLS = .none, authRequiresTLS: Bool = false,
                    security: SMTPConfig.Security = .none, verifyPeer: Bool = true,
                    user: String? = Self.user, password: String? = Self.password,
                    _ body: (SMTPTestServer, CurlSMTPMailer) async throws -> Void) async throws {
        let server = try await SMTPTestServer(user: Self.user, password: Self.password, tls: tls, authRequiresTLS: authRequiresTLS)
        let mailer = mailer(port: server.port, user: user, password: password, security: security, verifyPeer: verifyPeer)
        do {
            try await body(server, mailer)
        } catch {
            await mailer.shutdown()
            await server.stop()
            throw error
        }
        await mailer.shutdown()
        await server.stop()
    }

    /// Expects `body` to throw a MailError and returns it.
    func mailError(_ body: () async throws -> Void) async -> MailError? {
        do {
            try await body()
            Issue.record("expected a MailError, got success")
            return nil
        } catch let error as MailError {
            return error
        } catch {
            Issue.record("expected a MailError, got \(error)")
            return nil
        }
    }

    func lines(_ raw: [UInt8]) -> [String] {
        String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n")
    }

    // MARK: Delivery

    @Test func plainSendArrivesWithEnvelopeAndHeaders() async throws {
        try await withServer { server, mailer in
            let mail = OutgoingMail(
                from: MailAddress("support@opsiq.test", name: "OpsIQ Support"),
                to: [MailAddress("alice@example.com", name: "Alice Example")],
                replyTo: MailAddress("ticket+42@opsiq.test"),
                subject: "Ticket #42 updated",
                textBody: "Hello Alice,\nyour ticket was updated.\n",
                headers: [("In-Reply-To", "<first@opsiq.test>"), ("Auto-Submitted", "auto-generated")])

            let id = try await mailer.send(mail)

            let got = try server.message()
            #expect(got.mailFrom == "support@opsiq.test")
            #expect(got.rcptTos == ["alice@example.com"])
            #expect(got.authenticated && got.login == Self.user)
            #expect(!got.tls)
            #expect(got.from == [.init(name: "OpsIQ Support", address: "support@opsiq.test")])
            #expect(got.to == [.init(name: "Alice Example", address: "alice@example.com")])
            #expect(got.replyTo == [.init(name: "", address: "ticket+42@opsiq.test")])
            #expect(got.subject == "Ticket #42 updated")
            #expect(got.messageId == id)
            #expect(id.hasPrefix("<") && id.hasSuffix("@opsiq.test>"))
            #expect(got.date == "Wed, 25 Nov 2026 09:05:03 +0000")
            #expect(got.header("In-Reply-To") == ["<first@opsiq.test>"])
            #expect(got.header("Auto-Submitted") == ["auto-generated"])
            #expect(got.header("MIME-Version") == ["1.0"])
            #expect(got.contentType == "text/plain")
            #expect(got.text?.replacingOccurrences(of: "\r\n", with: "\n") == "Hello Alice,\nyour ticket was updated.\n")
            #expect(got.defects.isEmpty, "\(got.defects)")
            let raw = String(decoding: try server.raw(), as: UTF8.self)
            #expect(raw.contains("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"))
            #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends in CRLF")
        }
    }

    @Test func utf8SubjectAndNamesRoundTrip() async throws {
        try await withServer { server, mailer in
            let subject = "Grüße 😀 — Ihr Ticket #42 wurde aktualisiert; dieser Betreff ist absichtlich sehr lang, "
                + "damit er über mehrere Zeilen gefaltet werden muss (ÄÖÜ äöü ß, 日本語, emoji 👍🏽👨‍👩‍👧)"
            let mail = OutgoingMail(
                from: MailAddress("support@opsiq.test", name: "Jürgen Groß 😀"),
                to: [MailAddress("zoe@example.com", name: "Zoë \"Z\" O'Brien"),
                     MailAddress("bob@example.com", name: "Smith, Bob (Sales)")],
                replyTo: MailAddress("reply@opsiq.test", name: "Grüße-Team"),
                subject: subject,
                textBody: "Grüße 😀\nZweite Zeile: 日本語\n",
                headers: [("X-OpsIQ-Note", "Café ☕ notes")])

            _ = try await mailer.send(mail)

            let got = try server.message()
            #expect(got.subject == subject)
            #expect(got.from == [.init(name: "Jürgen Groß 😀", address: "support@opsiq.test")])
            #expect(got.to == [.init(name: "Zoë \"Z\" O'Brien", address: "zoe@example.com"),
                               .init(name: "Smith, Bob (Sales)", address: "bob@example.com")])
            #expect(got.replyTo == [.init(name: "Grüße-Team", address: "reply@opsiq.test")])
            #expect(got.header("X-OpsIQ-Note") == ["Café ☕ notes"])
            #expect(got.text?.replacingOccurrences(of: "\r\n", with: "\n") == "Grüße 😀\nZweite Zeile: 日本語\n")
            #expect(got.defects.isEmpty, "\(got.defects)")
            let raw = try server.raw()
            #expect(raw.allSatisfy { $0 < 0x80 }, "the message is 7-bit: headers encoded-words, body quoted-printable")
            let header = lines(raw).prefix { !$0.isEmpty }
            #expect(header.allSatisfy { $0.utf8.count <= 78 }, "\(header.filter { $0.utf8.count > 78 })")
            #expect(header.filter { $0.hasPrefix(" ") }.count >= 3, "the subject is folded")
        }
    }

    @Test func multipartAlternativeCarriesTextThenHTML() async throws {
        try await withServer { server, mailer in
            let html = "<html><body><p>Hello <b>Alice</b> — Grüße</p>\n<p>.</p></body></html>"
            let mail = OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                    subject: "Both parts", textBody: "Hello Alice — Grüße", htmlBody: html)

            _ = try await mailer.send(mail)

            let got = try server.message()
            #expect(got.contentType == "multipart/alternative")
            #expect(got.text?.replacingOccurrences(of: "\r\n", with: "\n") == "Hello Alice — Grüße")
            #expect(got.html?.replacingOccurrences(of: "\r\n", with: "\n") == html)
            #expect(got.defects.isEmpty, "\(got.defects)")
            let text = String(decoding: try server.raw(), as: UTF8.self)
            let textAt = try #require(text.range(of: "Content-Type: text/plain; charset=utf-8"))
            let htmlAt = try #require(text.range(of: "Content-Type: text/html; charset=utf-8"))
            #expect(textAt.lowerBound < htmlAt.lowerBound, "text part first (RFC 2046: least preferred first)")
        }
    }

    @Test func dotLinesAndLongLinesArriveIntact() async throws {
        try await withServer { server, mailer in
            let long = String(repeating: "0123456789", count: 120)
            let longUTF8 = String(repeating: "äöü😀", count: 150)
            let body = ".\n..\n.leading dot\n\nspaces at end   \ntab at end\t\n=equals= and =3D\n\(long)\n\(longUTF8)\r\nCR only\rlast ."
            let mail = OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                    subject: "Dots", textBody: body)

            _ = try await mailer.send(mail)

            let got = try server.message()
            let expected = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") + "\n"
            #expect(got.text?.replacingOccurrences(of: "\r\n", with: "\n") == expected)
            let raw = lines(try server.raw())
            #expect(raw.contains("."), "a lone '.' line passed the SMTP dot-stuffing both ways")
            #expect(raw.contains(".."))
            #expect(raw.allSatisfy { $0.utf8.count <= 78 }, "\(raw.filter { $0.utf8.count > 78 }.map(\.count))")
        }
    }

    @Test func severalRecipientsGetOneCopyEach() async throws {
        try await withServer { server, mailer in
            let mail = OutgoingMail(from: MailAddress("support@opsiq.test"),
                                    to: [MailAddress("a@example.com", name: "A"), MailAddress("b@example.org"),
                                         MailAddress("c@example.net", name: "C C"), MailAddress("A@example.com")],
                                    subject: "Team", textBody: "hi")

            _ = try await mailer.send(mail)

            let got = try server.message()
            #expect(got.rcptTos == ["a@example.com", "b@example.org", "c@example.net"])
            #expect(got.to.map(\.address) == ["a@example.com", "b@example.org", "c@example.net", "A@example.com"])
            #expect(server.count == 1)
        }
    }

    @Test func messageIDFromHeadersIsKeptAndDefaultFromFillsAnEmptySender() async throws {
        try await withServer { server, mailer in
            let mail = OutgoingMail(from: MailAddress(""), to: [MailAddress("alice@example.com")], subject: "x",
                                    textBody: "x", headers: [("Message-ID", "<ticket-42.7@opsiq.test>")])

            let id = try await mailer.send(mail)

            let got = try server.message()
            #expect(id == "<ticket-42.7@opsiq.test>")
            #expect(got.messageId == id)
            #expect(got.header("Message-ID").count == 1)
            #expect(got.mailFrom == "noreply@opsiq.test")
            #expect(got.from == [.init(name: "OpsIQ", address: "noreply@opsiq.test")])
        }
    }

    @Test func concurrentSendsAllArrive() async throws {
        try await withServer { server, mailer in
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        try await mailer.send(OutgoingMail(from: MailAddress("support@opsiq.test"),
                                                           to: [MailAddress("user\(i)@example.com")],
                                                           subject: "n\(i)", textBody: "body \(i)"))
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 12)
            #expect(server.count == 12)
            let received = try Set((1...12).map { try server.message($0).messageId ?? "" })
            #expect(received == ids)
        }
    }

    // MARK: Refusals

    @Test func headerInjectionIsRefusedBeforeAnythingIsSent() async throws {
        try await withServer { server, mailer in
            let base = OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                    subject: "ok", textBody: "x")
            var subject = base; subject.subject = "a\r\nBcc: x@y"
            var lfOnly = base; lfOnly.subject = "a\nBcc: x@y"
            var name = base; name.to = [MailAddress("alice@example.com", name: "Alice\r\nBcc: x@y")]
            var value = base; value.headers = [("X-Tag", "a\r\nBcc: x@y")]
            var headerName = base; headerName.headers = [("X-Tag: a\r\nBcc", "x@y")]
            var address = base; address.to = [MailAddress("alice@example.com>\r\nBcc: x@y")]
            var bcc = base; bcc.headers = [("Bcc", "x@y")]

            for mail in [subject, lfOnly, name, value, headerName, address, bcc] {
                let error = await mailError { _ = try await mailer.send(mail) }
                #expect(error?.permanent == true)
            }
            let error = await mailError { _ = try await mailer.send(subject) }
            #expect(error?.message.contains("subject contains a line break") == true, "\(String(describing: error))")
            #expect(server.count == 0)
        }
    }

    @Test func wrongPasswordIsPermanentAndDoesNotLeakThePassword() async throws {
        let wrong = "Wr0ng-Secret-9876"
        try await withServer(password: wrong) { server, mailer in
            let mail = OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                    subject: "x", textBody: "x")
            let sendError = await mailError { _ = try await mailer.send(mail) }
            let testError = await mailError { try await mailer.testConnection() }
            for error in [sendError, testError] {
                #expect(error?.permanent == true)
                #expect(error?.message.contains("SMTP login failed (check user and password)") == true, "\(String(describing: error))")
                #expect(error?.message.contains(wrong) == false)
                #expect(error?.message.contains(Self.password) == false)
            }
            #expect(server.count == 0)
        }
    }

    @Test func missingLoginIsARefusalNotARetry() async throws {
        try await withServer(user: nil, password: nil) { server, mailer in
            let mail = OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                    subject: "x", textBody: "x")
            let error = await mailError { _ = try await mailer.send(mail) }
            #expect(error?.permanent == true)
            #expect(error?.message.contains("530") == true, "\(String(describing: error))")
        }
    }

    @Test func rejectedRecipientIsPermanentAndDeferredIsNot() async throws {
        try await withServer { server, mailer in
            let rejected = OutgoingMail(from: MailAddress("support@opsiq.test"),
                                        to: [MailAddress("alice@example.com"), MailAddress("reject-me@example.com")],
                                        subject: "x", textBody: "x")
            let deferred = OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("defer-me@example.com")],
                                        subject: "x", textBody: "x")

            let hard = await mailError { _ = try await mailer.send(rejected) }
            let soft = await mailError { _ = try await mailer.send(deferred) }

            #expect(hard?.permanent == true)
            #expect(hard?.message.contains("550") == true, "\(String(describing: hard))")
            #expect(hard?.message.contains("reject-me@example.com") == true)
            #expect(soft?.permanent == false)
            #expect(soft?.message.contains("451") == true, "\(String(describing: soft))")
            #expect(server.count == 0)
        }
    }

    @Test func nothingListeningIsTemporary() async throws {
        let mailer = mailer(port: try freePort())
        let mail = OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                subject: "x", textBody: "x")
        let sendError = await mailError { _ = try await mailer.send(mail) }
        let testError = await mailError { try await mailer.testConnection() }
        await mailer.shutdown()
        for error in [sendError, testError] {
            #expect(error?.permanent == false)
            #expect(error?.message.contains("could not connect to SMTP server 127.0.0.1:") == true, "\(String(describing: error))")
        }
    }

    @Test func silentServerTimesOutTemporarily() async throws {
        // A socket that listens but never answers: connecting works, the greeting never comes.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        try #require(bound && listen(fd, 4) == 0)
        let mailer = mailer(port: Int(UInt16(bigEndian: addr.sin_port)), timeout: 1)
        let started = ContinuousClock.now
        let error = await mailError { try await mailer.testConnection() }
        await mailer.shutdown()
        #expect(error?.permanent == false)
        #expect(error?.message.contains("did not complete the exchange within 1 s") == true, "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func sendAfterShutdownFailsTemporarily() async throws {
        let mailer = mailer(port: try freePort())
        await mailer.shutdown()
        let error = await mailError {
            _ = try await mailer.send(OutgoingMail(from: MailAddress("a@opsiq.test"), to: [MailAddress("b@example.com")],
                                                   subject: "x", textBody: "x"))
        }
        #expect(error?.permanent == false)
    }

    // MARK: Connection test

    @Test func testConnectionLogsInWithoutSending() async throws {
        try await withServer { server, mailer in
            try await mailer.testConnection()
            #expect(server.count == 0)
        }
    }

    @Test func testConnectionSaysWhenTheServerOffersNoLogin() async throws {
        // The server offers AUTH only after STARTTLS; a plain connection never logs in.
        try await withServer(tls: .startTLS, authRequiresTLS: true) { _, mailer in
            let error = await mailError { try await mailer.testConnection() }
            #expect(error?.permanent == true)
            #expect(error?.message.contains("did not offer a login (AUTH)") == true, "\(String(describing: error))")
        }
    }

    // MARK: TLS

    @Test func startTLSRequiredEncryptsAndLogsIn() async throws {
        try await withServer(tls: .startTLS, authRequiresTLS: true, security: .startTLS, verifyPeer: false) { server, mailer in
            try await mailer.testConnection()
            _ = try await mailer.send(OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                                   subject: "over TLS", textBody: "secret"))
            let got = try server.message()
            #expect(got.tls)
            #expect(got.authenticated && got.login == Self.user)
            #expect(got.subject == "over TLS")
        }
    }

    @Test func startTLSIfAvailableUsesItWhenOffered() async throws {
        try await withServer(tls: .startTLS, security: .startTLSIfAvailable, verifyPeer: false) { server, mailer in
            _ = try await mailer.send(OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                                   subject: "x", textBody: "x"))
            #expect(try server.message().tls)
        }
    }

    @Test func startTLSIfAvailableFallsBackToPlain() async throws {
        try await withServer(tls: .none, security: .startTLSIfAvailable) { server, mailer in
            _ = try await mailer.send(OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                                   subject: "x", textBody: "x"))
            #expect(try server.message().tls == false)
        }
    }

    @Test func startTLSRequiredFailsWhenNotOffered() async throws {
        try await withServer(tls: .none, security: .startTLS) { server, mailer in
            let error = await mailError { try await mailer.testConnection() }
            #expect(error?.permanent == true)
            #expect(error?.message.contains("does not offer STARTTLS") == true, "\(String(describing: error))")
            #expect(server.count == 0)
        }
    }

    @Test func selfSignedCertificateIsRejectedWhenVerifying() async throws {
        try await withServer(tls: .startTLS, security: .startTLS, verifyPeer: true) { server, mailer in
            let error = await mailError {
                _ = try await mailer.send(OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                                       subject: "x", textBody: "x"))
            }
            #expect(error?.permanent == true)
            #expect(error?.message.contains("TLS certificate") == true, "\(String(describing: error))")
            #expect(server.count == 0)
        }
    }

    @Test func implicitTLS() async throws {
        try await withServer(tls: .implicit, security: .tls, verifyPeer: false) { server, mailer in
            _ = try await mailer.send(OutgoingMail(from: MailAddress("support@opsiq.test"), to: [MailAddress("alice@example.com")],
                                                   subject: "smtps", textBody: "x"))
            let got = try server.message()
            #expect(got.tls && got.authenticated)
        }
    }

    @Test func implicitTLSAgainstAPlainServerFailsClearly() async throws {
        try await withServer(tls: .none, security: .tls, verifyPeer: false) { server, mailer in
            let error = await mailError { try await mailer.testConnection() }
            #expect(error?.message.contains("TLS handshake") == true, "\(String(describing: error))")
        }
    }
}
