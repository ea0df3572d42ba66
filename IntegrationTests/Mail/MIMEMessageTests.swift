import Foundation
import Adapters
import Ports
import Testing

@Suite struct MIMEMessageTests {
    let date = Date(timeIntervalSince1970: 1_795_597_503)

    func render(_ mail: OutgoingMail) throws -> String {
        String(decoding: try MIMEMessage(mail, date: date, random: CountingRandom()).bytes, as: UTF8.self)
    }

    func mail(subject: String = "Hello", text: String = "Hi", html: String? = nil,
              headers: [(String, String)] = []) -> OutgoingMail {
        OutgoingMail(from: MailAddress("support@opsiq.test", name: "Support"), to: [MailAddress("a@example.com")],
                     subject: subject, textBody: text, htmlBody: html, headers: headers)
    }

    @Test func wholeMessageIsDeterministic() throws {
        let text = try render(mail(text: "Hi Alice,\nsee you.\n"))
        #expect(text == """
            Date: Wed, 25 Nov 2026 09:05:03 +0000\r
            From: Support <support@opsiq.test>\r
            To: a@example.com\r
            Subject: Hello\r
            Message-ID: <000102030405060708090a0b0c0d0e0f@opsiq.test>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            Hi Alice,\r
            see you.\r

            """)
    }

    @Test func quotedPrintableKeepsLinesShortAndWhitespaceSafe() throws {
        let body = String(repeating: "a", count: 75) + "\n" + String(repeating: "b", count: 76) + "\n"
            + String(repeating: "c", count: 77) + "\nend \nx=y\nä"
        let text = try render(mail(text: body))
        let lines = text.components(separatedBy: "\r\n\r\n")[1].components(separatedBy: "\r\n")
        #expect(lines[0] == String(repeating: "a", count: 75))
        #expect(lines[1] == String(repeating: "b", count: 76), "a line of exactly 76 needs no soft break")
        #expect(lines[2] == String(repeating: "c", count: 75) + "=")
        #expect(lines[3] == "cc")
        #expect(lines[4] == "end=20", "trailing space is encoded")
        #expect(lines[5] == "x=3Dy")
        #expect(lines[6] == "=C3=A4")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
    }

    @Test func quotedPrintableNeverSplitsAnEscape() throws {
        let text = try render(mail(text: String(repeating: "ü", count: 60)))
        for line in text.components(separatedBy: "\r\n\r\n")[1].components(separatedBy: "\r\n") where !line.isEmpty {
            #expect(line.utf8.count <= 76)
            let core = line.hasSuffix("=") ? String(line.dropLast()) : line
            #expect(core.utf8.count % 3 == 0, "\(line)")
        }
    }

    @Test func longASCIISubjectFoldsAtSpaces() throws {
        let subject = (1...30).map { "word\($0)" }.joined(separator: " ")
        let text = try render(mail(subject: subject))
        let header = text.components(separatedBy: "\r\n\r\n")[0]
        let start = try #require(header.range(of: "Subject: "))
        let end = try #require(header.range(of: "\r\nMessage-ID"))
        let folded = String(header[start.lowerBound..<end.lowerBound])
        #expect(folded.contains("\r\n "))
        #expect(folded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(folded.replacingOccurrences(of: "\r\n", with: "") == "Subject: " + subject, "unfolding restores the subject")
    }

    @Test func nonASCIISubjectBecomesEncodedWords() throws {
        let text = try render(mail(subject: "Grüße 😀"))
        #expect(text.contains("Subject: =?UTF-8?B?\(Data("Grüße 😀".utf8).base64EncodedString())?=\r\n"))
    }

    @Test func namesNeedingQuotesAreQuoted() throws {
        var m = mail()
        m.to = [MailAddress("a@example.com", name: "Smith, \"Bob\"")]
        #expect(try render(m).contains("To: \"Smith, \\\"Bob\\\"\" <a@example.com>\r\n"))
    }

    @Test func multipartBoundaryIsRandomAndDeclared() throws {
        let text = try render(mail(text: "plain", html: "<b>x</b>"))
        #expect(text.contains("Content-Type: multipart/alternative; boundary=\"=_opsiq_101112131415161718191a1b\"\r\n"))
        #expect(text.hasSuffix("--=_opsiq_101112131415161718191a1b--\r\n"))
    }

    @Test(arguments: ["Date", "From", "to", "Subject", "MIME-Version", "Content-Type", "Bcc", "Cc"])
    func reservedHeadersAreRefused(name: String) {
        #expect(throws: MailError.self) { try render(mail(headers: [(name, "x")])) }
    }

    @Test func badInputIsRefused() {
        var noRecipients = mail(); noRecipients.to = []
        var badFrom = mail(); badFrom.from = MailAddress("not-an-address")
        var unicodeAddress = mail(); unicodeAddress.to = [MailAddress("jürgen@example.com")]
        let badID = mail(headers: [("Message-ID", "no-brackets")])
        let twoIDs = mail(headers: [("Message-ID", "<a@b>"), ("message-id", "<c@d>")])
        for m in [noRecipients, badFrom, unicodeAddress, badID, twoIDs] {
            #expect(throws: MailError.self) { try render(m) }
        }
    }
}
