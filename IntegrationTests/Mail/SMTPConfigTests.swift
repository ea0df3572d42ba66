import Foundation
import Adapters
import Ports
import Testing

@Suite struct SMTPConfigTests {
    let from = MailAddress("noreply@opsiq.test")

    @Test func plainURLWithCredentials() throws {
        let c = try SMTPConfig.parse(url: "smtp://mailer:p%40ss%3Aw%2Frd@mail.example.com:2525", defaultFrom: from)
        #expect(c.host == "mail.example.com")
        #expect(c.port == 2525)
        #expect(c.username == "mailer")
        #expect(c.password == "p@ss:w/rd")
        #expect(c.security == .none)
        #expect(c.timeoutSeconds == 30 && c.verifyPeer)
        #expect(c.defaultFrom == from)
    }

    @Test func defaultsAndModes() throws {
        #expect(try SMTPConfig.parse(url: "smtp://mail.example.com", defaultFrom: from).port == 587)
        #expect(try SMTPConfig.parse(url: "smtp://mail.example.com", defaultFrom: from).username == nil)
        let required = try SMTPConfig.parse(url: "smtp://u:p@mail.example.com:587?starttls=required", defaultFrom: from)
        #expect(required.security == .startTLS)
        let optional = try SMTPConfig.parse(url: "smtp://u:p@mail.example.com?starttls=optional", defaultFrom: from)
        #expect(optional.security == .startTLSIfAvailable)
        let tls = try SMTPConfig.parse(url: "SMTPS://u:p@mail.example.com/", defaultFrom: from)
        #expect(tls.security == .tls && tls.port == 465)
        let options = try SMTPConfig.parse(url: "smtps://u@[::1]:4650?helo=web1.opsiq.test&timeout=5&verifyPeer=false", defaultFrom: from)
        #expect(options.host == "::1" && options.port == 4650 && options.username == "u" && options.password == nil)
        #expect(options.heloName == "web1.opsiq.test" && options.timeoutSeconds == 5 && !options.verifyPeer)
        #expect(options.endpoint == "[::1]:4650")
        // An unescaped '@' in the password: the host starts after the last one.
        #expect(try SMTPConfig.parse(url: "smtp://u:a@b@host", defaultFrom: from).password == "a@b")
    }

    @Test(arguments: [
        ("mail.example.com", "no scheme"),
        ("http://mail.example.com", "scheme 'http'"),
        ("smtp://", "no host"),
        ("smtp://u:p@host:0", "port '0'"),
        ("smtp://u:p@host:abc", "port 'abc'"),
        ("smtp://u:p@host?starttls=maybe", "starttls='maybe'"),
        ("smtps://u:p@host?starttls=required", "does not apply to smtps"),
        ("smtp://u:p@host?tls=1", "option 'tls' is unknown"),
        ("smtp://u:p@host?timeout=0", "timeout='0'"),
        ("smtp://u:p@host/path", "path"),
        ("smtp://u:%zz@host", "password has a malformed %-escape"),
        ("smtp://:p@host", "empty user name"),
        ("smtp://u:p%0D%0A@host", "password contains a control character"),
    ])
    func badURLsSayWhatIsWrong(url: String, expected: String) {
        do {
            _ = try SMTPConfig.parse(url: url, defaultFrom: from)
            Issue.record("\(url) parsed")
        } catch let error as MailError {
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(error.permanent)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func descriptionMasksThePassword() throws {
        let c = try SMTPConfig.parse(url: "smtp://mailer:TopSecret1@mail.example.com:587?starttls=required", defaultFrom: from)
        #expect(c.description == "smtp://mailer:***@mail.example.com:587?starttls=required")
        var dumped = ""
        dump(c, to: &dumped)
        #expect(!dumped.contains("TopSecret1"))
        #expect(!"\(c)".contains("TopSecret1"))
    }
}
