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

/// Password reset and invitations, end to end: the link travels through the job queue and a real
/// SMTP server (aiosmtpd), and is then used through the real pages.
@Suite(.serialized) struct AccountEmailTests {
    static func services(_ t: TestDatabase, smtp: SMTPTestServer, clock: ManualClock) throws -> Services {
        try makeServices(t, clock: clock, random: SystemRandom(), env: [
            "OPSIQ_SMTP_URL": "smtp://opsiq:mailpw@127.0.0.1:\(smtp.port)",
            "OPSIQ_MAIL_FROM": "OpsIQ Team <team@example.com>",
            "OPSIQ_BASE_URL": "https://opsiq.example.com",
        ])
    }

    /// Runs due jobs (the mail job) and returns the link found in the newest email.
    static func deliverAndReadLink(_ s: Services, _ smtp: SMTPTestServer, clock: ManualClock, path: String) async throws -> String {
        let before = smtp.count
        let ran = try await s.makeRunner(workerID: "test").drain()
        #expect(ran >= 1)
        #expect(smtp.count == before + 1, "one email delivered: \(smtp.output)")
        let mail = try smtp.message(smtp.count)
        let text = mail.text ?? ""
        guard let r = text.range(of: "https://opsiq.example.com\(path)?token=") else { Issue.record("no link in: \(text)"); return "" }
        return String(text[r.lowerBound...].prefix { !$0.isWhitespace })
    }

    @Test(arguments: Engine.all)
    func passwordResetLinkWorksOnceAndExpires(_ engine: Engine) async throws {
        let smtp = try await SMTPTestServer(user: "opsiq", password: "mailpw")
        defer { smtp.stopNow() }
        try await TestDatabase.with(engine) { t in
            let clock = ManualClock(Date())
            let s = try Self.services(t, smtp: smtp, clock: clock)
            _ = try await s.setup.createOwner(.init(email: "owner@example.com", name: "Olive", password: AccessFixture.password))
            let app = Application(router: try buildRouter(services: s, schema: SchemaState()))
            try await app.test(.router) { client in
                let b = BrowserSession()
                // An unknown email gets the same answer and no email.
                var page = try await b.get(client, "/login/forgot")
                var r = try await b.post(client, "/login/forgot", [("_csrf", BrowserSession.csrf(in: String(buffer: page.body)) ?? ""), ("email", "nobody@example.com")])
                #expect(r.status == .ok && String(buffer: r.body).contains("If an account uses that address"))
                #expect(try await s.jobs.counts()[.queued] == 0)
                page = try await b.get(client, "/login/forgot")
                r = try await b.post(client, "/login/forgot", [("_csrf", BrowserSession.csrf(in: String(buffer: page.body)) ?? ""), ("email", "Owner@Example.com")])
                #expect(r.status == .ok)
                let link = try await Self.deliverAndReadLink(s, smtp, clock: clock, path: "/login/reset")
                let mail = try smtp.message(smtp.count)
                #expect(mail.subject == "Reset your OpsIQ password")
                #expect(mail.rcptTos == ["owner@example.com"] && mail.authenticated)
                let token = String(link.split(separator: "=").last ?? "")
                // A signed-in session ends when the password is reset.
                guard case .signedIn(let session, _) = try await s.auth.login(email: "owner@example.com", password: AccessFixture.password, client: ClientInfo(ip: "127.0.0.1", userAgent: "t")) else {
                    Issue.record("sign-in"); return
                }
                page = try await b.get(client, "/login/reset?token=\(token)")
                #expect(page.status == .ok && String(buffer: page.body).contains("Choose a new password"))
                r = try await b.post(client, "/login/reset", [("_csrf", BrowserSession.csrf(in: String(buffer: page.body)) ?? ""), ("token", token), ("password", "short")])
                #expect(r.status == .unprocessableContent && String(buffer: r.body).contains("at least 12"))
                r = try await b.post(client, "/login/reset", [("_csrf", BrowserSession.csrf(in: String(buffer: r.body)) ?? ""), ("token", token), ("password", "a brand new password")])
                #expect(r.status == .ok && String(buffer: r.body).contains("Your password was changed"))
                #expect(try await s.auth.authenticate(token: session) == nil, "old sessions were signed out")
                guard case .signedIn = try await s.auth.login(email: "owner@example.com", password: "a brand new password", client: ClientInfo(ip: "127.0.0.1", userAgent: "t")) else {
                    Issue.record("new password should work"); return
                }
                // Single use.
                page = try await b.get(client, "/login/reset?token=\(token)")
                #expect(page.status == .notFound)
                await #expect(throws: DomainError.self) { try await s.accountEmails.resetPassword(token: token, newPassword: "yet another password") }
                // Expiry: a fresh link is dead after an hour.
                try await s.accountEmails.requestReset(email: "owner@example.com")
                let second = String(try await Self.deliverAndReadLink(s, smtp, clock: clock, path: "/login/reset").split(separator: "=").last ?? "")
                clock.advance(3601)
                await #expect(throws: DomainError.self) { try await s.accountEmails.resetPassword(token: second, newPassword: "yet another password") }
            }
        }
    }

    @Test func invitationCreatesTheMemberWithTheRole() async throws {
        let smtp = try await SMTPTestServer(user: "opsiq", password: "mailpw")
        defer { smtp.stopNow() }
        try await TestDatabase.with(.sqlite) { t in
            let clock = ManualClock(Date())
            let s = try Self.services(t, smtp: smtp, clock: clock)
            let owner = try await s.setup.createOwner(.init(email: "owner@example.com", name: "Olive", password: AccessFixture.password))
            let app = Application(router: try buildRouter(services: s, schema: SchemaState()))
            try await app.test(.router) { client in
                let b = BrowserSession()
                _ = try await b.signIn(client, email: owner.email, password: AccessFixture.password)
                let team = try await b.get(client, "/admin/team")
                let csrf = BrowserSession.csrf(in: String(buffer: team.body)) ?? ""
                var r = try await b.post(client, "/admin/actions/team.invite", [("_csrf", csrf), ("back", "/admin/team"), ("email", "new.agent@example.com"), ("role", "agent")])
                #expect(r.status == .seeOther && r.headers[.location]?.contains("flash=") == true)
                r = try await b.post(client, "/admin/actions/team.invite", [("_csrf", csrf), ("back", "/admin/team"), ("email", "owner@example.com"), ("role", "agent")])
                #expect(r.headers[.location]?.contains("error=") == true, "an existing member cannot be invited")
                let link = try await Self.deliverAndReadLink(s, smtp, clock: clock, path: "/invite")
                #expect(try smtp.message(smtp.count).subject == "Olive invited you to OpsIQ")
                let token = String(link.split(separator: "=").last ?? "")
                let guest = BrowserSession()
                let page = try await guest.get(client, "/invite?token=\(token)")
                #expect(String(buffer: page.body).contains("new.agent@example.com"))
                r = try await guest.post(client, "/invite", [("_csrf", BrowserSession.csrf(in: String(buffer: page.body)) ?? ""), ("token", token), ("name", "Nia Agent"), ("password", "agent password 1")])
                #expect(r.status == .ok && String(buffer: r.body).contains("Your account is ready"))
                let u = try #require(try await s.db.read { try await s.users.find(email: "new.agent@example.com", in: $0) })
                #expect(u.role == .agent && u.name == "Nia Agent")
                #expect(try await guest.signIn(client, email: u.email, password: "agent password 1").status == .seeOther)
                #expect(try await guest.get(client, "/admin/team").status == .forbidden, "the new Agent has an Agent's access")
                // The link worked once.
                #expect(try await guest.get(client, "/invite?token=\(token)").status == .notFound)
            }
        }
    }

    @Test func withoutMailTheFormsSaySo() async throws {
        try await TestDatabase.with(.sqlite) { t in
            let s = try makeServices(t)
            #expect(s.mailer == nil)
            await #expect(throws: DomainError.self) { try await s.accountEmails.requestReset(email: "x@example.com") }
            let owner = try await s.setup.createOwner(.init(email: "owner@example.com", name: "Olive", password: AccessFixture.password))
            await #expect(throws: DomainError.self) { try await s.accountEmails.invite(email: "y@example.com", role: .agent, by: owner) }
        }
    }
}
