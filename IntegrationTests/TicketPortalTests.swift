import Adapters
import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Ports
import Testing

/// The customer ticket portal API (`/portal/v1/<site_key>/<op>`) over real HTTP and both engines:
/// anonymous customers with per-ticket keys, identified customers with signed identity tokens, and
/// the hard boundary: internal notes, their files, other customers' and other sites' tickets never
/// come back, whatever is asked.
@Suite struct TicketPortalTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    static let secretNote = "INTERNAL-ONLY refund reason ch_secret_123"

    /// A client bound to one site: posts JSON as the widget does (text/plain, with the page's Origin).
    struct Portal {
        let client: any TestClientProtocol
        let siteKey: String
        var origin = "https://a.example.com"
        var ip = "203.0.113.10"

        func post(_ op: String, _ body: [String: JSONValue], origin: String? = nil, siteKey: String? = nil) async throws -> (status: HTTPResponse.Status, json: JSONValue, raw: TestResponse) {
            let r = try await client.execute(uri: "/portal/v1/\(siteKey ?? self.siteKey)/\(op)", method: .post,
                                             headers: [.contentType: "text/plain;charset=UTF-8", .origin: origin ?? self.origin, HTTPField.Name("X-Forwarded-For")!: ip],
                                             body: ByteBuffer(string: JSONValue.object(body).encoded()))
            let json = (try? JSONValue.parse(String(buffer: r.body))) ?? .null
            return (r.status, json, r)
        }
    }

    static func token(_ f: AccessFixture, site: Workspace, secret: String? = nil, email: String, name: String = "Jane", lifetime: Int = 900, iatOffset: Int = 0) -> String {
        let now = Int(f.clock.now().timeIntervalSince1970) + iatOffset
        let payload = #"{"site_key":"\#(site.siteKey)","customer":{"id":"cust_1","email":"\#(email)","name":"\#(name)"},"iat":\#(now),"exp":\#(now + lifetime)}"#
        let mac = f.services.digests.hmacSHA256(key: Array((secret ?? site.siteSecret).utf8), message: Array(payload.utf8)).hexString
        return Data(payload.utf8).base64EncodedString() + "." + mac
    }

    func staffTicket(_ f: AccessFixture, _ site: Workspace, email: String, subject: String) async throws -> Int64 {
        let r = try await f.invoke("tickets.create", as: try await f.actor(f.owner), site: site,
                                   ["subject": .string(subject), "message": .string("Body of \(subject)"), "customer_email": .string(email)])
        return try #require(r["number"]?.intValue)
    }

    func events(_ f: AccessFixture, _ site: Workspace) async throws -> [(type: String, payload: JSONValue)] {
        try await f.services.outbox.feed(site.id, since: 0, limit: 1000, db: f.services.db).filter { $0.type.hasPrefix("ticket.") }.map { ($0.type, try JSONValue.parse($0.payload)) }
    }

    @Test(arguments: Engine.all)
    func anonymousCustomerWorksTheirTicketWithItsKeyOnly(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services
            try await f.app().test(.live) { client in
                let p = Portal(client: client, siteKey: f.siteA.siteKey)
                // A customer opens a ticket with a file from the site's page.
                var r = try await p.post("create", ["email": .string("Ann@Example.com"), "name": .string("Ann"), "subject": .string("Printer on fire"),
                                                    "message": .string("It smokes"), "files": .array([.object(["name": .string("smoke.png"), "content_base64": .string(Data(Self.png).base64EncodedString())])])])
                #expect(r.status == .created, "\(r.json.encoded())")
                #expect(r.raw.headers[.accessControlAllowOrigin] == "https://a.example.com")
                let key = try #require(r.json["key"]?.stringValue)
                #expect(key.hasPrefix("tk_") && key.count == 67)
                let id = try #require(r.json["ticket"]?["id"]?.stringValue)
                let number = try #require(r.json["ticket"]?["number"]?.intValue)
                guard case .array(let first)? = r.json["ticket"]?["messages"], case .array(let files)? = first.first?["attachments"] else { Issue.record("thread"); return }
                #expect(files.count == 1 && files[0]["file_name"]?.stringValue == "smoke.png")
                let fileID = try #require(files[0]["id"]?.intValue)
                // Only the key's SHA-256 is stored.
                let stored = try await s.db.read { try await $0.query("SELECT key_hash FROM ticket_portal_keys WHERE workspace_id = ?", [.int(f.siteA.id.raw)]) }
                let storedHash = try stored.first?.string("key_hash")
                #expect(stored.count == 1 && storedHash == s.digests.sha256Hex(key))
                let ticket = try #require(try await s.db.read { try await s.tickets.store.find(f.siteA.id, number: number, in: $0) })
                #expect(ticket.customerEmail == "ann@example.com" && ticket.customerName == "Ann")

                // The team answers, and writes an internal note with a file.
                f.clock.advance(60)
                _ = try await s.tickets.reply(f.siteA.id, number: number, body: "We are on it", author: .agent(f.owner.id, email: f.owner.email), scope: .everything)
                f.clock.advance(60)
                let note = try await s.tickets.reply(f.siteA.id, number: number, body: Self.secretNote, author: .agent(f.owner.id, email: f.owner.email), internalNote: true, scope: .everything)
                let noteFile = try await s.attachments.attach(f.siteA.id, number: number, messageID: note.id, fileName: "internal.png", bytes: Self.png, scope: .everything)
                #expect(noteFile.internalNote)

                r = try await p.post("get", ["ticket_id": .string(id), "key": .string(key)])
                #expect(r.status == .ok)
                #expect(r.json["awaiting_you"] == .bool(true), "the team answered last")
                guard case .array(let msgs)? = r.json["messages"] else { Issue.record("messages"); return }
                #expect(msgs.map { $0["author_kind"]?.stringValue } == ["customer", "agent"])
                #expect(msgs[1]["author"]?.stringValue == "Support team", "staff addresses stay internal")
                let text = r.json.encoded()
                #expect(!text.contains("INTERNAL-ONLY") && !text.contains("internal.png") && !text.contains(f.owner.email) && !text.contains("\"internal\""))

                // Wrong, missing and borrowed keys, and guessed numbers, all answer like a ticket that does not exist.
                let second = try await p.post("create", ["email": .string("zed@example.com"), "subject": .string("Other"), "message": .string("Mine")])
                let key2 = try #require(second.json["key"]?.stringValue)
                let id2 = try #require(second.json["ticket"]?["id"]?.stringValue)
                for (tid, k) in [(id, key2), (id, "tk_" + String(repeating: "0", count: 64)), (id, ""), (id2, key), ("T-999", key)] {
                    r = try await p.post("get", ["ticket_id": .string(tid), "key": .string(k)])
                    #expect(r.status == .notFound && r.json["error"]?["message"]?.stringValue == TicketPortal.notFoundMessage, "\(tid)")
                }
                for n in 1...(number + 3) {
                    r = try await p.post("get", ["ticket_id": .int(n)])
                    #expect(r.status == .notFound)
                    r = try await p.post("reply", ["ticket_id": .int(n), "key": .string("tk_guess"), "message": .string("hi")])
                    #expect(r.status == .notFound)
                }
                // Another customer's key cannot resolve, reopen or fetch files of this ticket.
                for op in ["resolve", "reopen", "reply", "attachment"] {
                    r = try await p.post(op, ["ticket_id": .string(id), "key": .string(key2), "message": .string("x"), "attachment_id": .int(fileID)])
                    #expect(r.status == .notFound, "\(op)")
                }
                // The list shows only the tickets whose keys are presented (bad keys are skipped).
                r = try await p.post("list", ["tickets": .array([.object(["ticket_id": .string(id), "key": .string(key)]), .object(["ticket_id": .string(id2), "key": .string(key)])])])
                guard case .array(let listed)? = r.json["tickets"] else { Issue.record("list"); return }
                #expect(listed.map { $0["id"]?.stringValue } == [id] && listed[0]["awaiting_you"] == .bool(true))
                r = try await p.post("list", ["tickets": .array([.object(["ticket_id": .string(id), "key": .string(key)])]), "status": .string("awaiting")])
                #expect(r.json["tickets"]?.arrayValue?.count == 1)
                r = try await p.post("list", [:])
                #expect(r.status == .ok && r.json["tickets"]?.arrayValue?.isEmpty == true)

                // Files: the customer's own file downloads; the internal note's does not exist for them.
                r = try await p.post("attachment", ["ticket_id": .string(id), "key": .string(key), "attachment_id": .int(fileID)])
                #expect(r.status == .ok && Array(r.raw.body.readableBytesView) == Self.png)
                #expect(r.raw.headers[.contentDisposition]?.hasPrefix("attachment;") == true && r.raw.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                r = try await p.post("attachment", ["ticket_id": .string(id), "key": .string(key), "attachment_id": .int(noteFile.id)])
                #expect(r.status == .notFound)

                // Reply, resolve, reopen; a reply to a resolved ticket reopens it (TicketService's rule).
                f.clock.advance(60)
                r = try await p.post("reply", ["ticket_id": .string(id), "key": .string(key), "message": .string("Still smoking"),
                                               "files": .array([.object(["name": .string("more.png"), "content_base64": .string(Data(Self.png).base64EncodedString())])])])
                #expect(r.status == .ok && r.json["awaiting_you"] == .bool(false))
                #expect(r.json["messages"]?.arrayValue?.last?["body"]?.stringValue == "Still smoking")
                #expect(r.json["messages"]?.arrayValue?.last?["attachments"]?.arrayValue?.count == 1)
                r = try await p.post("resolve", ["ticket_id": .string(id), "key": .string(key)])
                #expect(r.status == .ok && r.json["status"]?.stringValue == "resolved")
                r = try await p.post("resolve", ["ticket_id": .string(id), "key": .string(key)])
                #expect(r.status == .conflict)
                r = try await p.post("reopen", ["ticket_id": .string(id), "key": .string(key)])
                #expect(r.status == .ok && r.json["status"]?.stringValue == "open")
                _ = try await p.post("resolve", ["ticket_id": .string(id), "key": .string(key)])
                r = try await p.post("reply", ["ticket_id": .string(id), "key": .string(key), "message": .string("Sorry, it is back")])
                #expect(r.json["status"]?.stringValue == "open")
                let ev = try await events(f, f.siteA).filter { $0.payload["ticket_id"]?.stringValue == id }
                #expect(ev.filter { $0.type == "ticket.replied" && $0.payload["author_kind"]?.stringValue == "customer" }.count == 2)
                #expect(ev.filter { $0.type == "ticket.status_changed" }.map { $0.payload["to"]?.stringValue } == ["resolved", "open", "resolved", "open"])
                #expect(ev.last?.type == "ticket.replied" || ev.last?.type == "ticket.status_changed")

                // A locked ticket takes no customer reply and no status change.
                _ = try await s.tickets.lock(f.siteA.id, number: number, locked: true, scope: .everything)
                r = try await p.post("reply", ["ticket_id": .string(id), "key": .string(key), "message": .string("hello?")])
                #expect(r.status == .conflict)
                r = try await p.post("resolve", ["ticket_id": .string(id), "key": .string(key)])
                #expect(r.status == .conflict)

                // Another workspace's site key: the same ticket number and key find nothing there.
                r = try await p.post("get", ["ticket_id": .string(id), "key": .string(key)], origin: "https://b.example.com", siteKey: f.siteB.siteKey)
                #expect(r.status == .notFound)
                // Pages on other domains get no data and no CORS grant; preflights likewise.
                r = try await p.post("get", ["ticket_id": .string(id), "key": .string(key)], origin: "https://evil.example.net")
                #expect(r.status == .forbidden && r.raw.headers[.accessControlAllowOrigin] == nil && !String(buffer: r.raw.body).contains("Printer"))
                r = try await p.post("get", ["ticket_id": .string(id), "key": .string(key)], origin: "null")
                #expect(r.status == .forbidden)
                r = try await p.post("get", ["ticket_id": .string(id), "key": .string(key)], origin: "https://help.a.example.com")
                #expect(r.status == .ok && r.raw.headers[.accessControlAllowOrigin] == "https://help.a.example.com", "subdomains of the site are allowed")
                let pre = try await client.execute(uri: "/portal/v1/\(f.siteA.siteKey)/get", method: .options, headers: [.origin: "https://a.example.com"], body: nil)
                #expect(pre.status == .noContent && pre.headers[.accessControlAllowOrigin] == "https://a.example.com")
                let evil = try await client.execute(uri: "/portal/v1/\(f.siteA.siteKey)/get", method: .options, headers: [.origin: "https://evil.example.net"], body: nil)
                #expect(evil.headers[.accessControlAllowOrigin] == nil)
                r = try await p.post("get", [:], siteKey: "site_doesnotexist")
                #expect(r.status == .notFound && r.json["error"]?["field"]?.stringValue == "site_key")
                r = try await p.post("delete", ["ticket_id": .string(id)])
                #expect(r.status == .notFound && r.json["error"]?["field"]?.stringValue == "op")
                r = try await p.post("create", ["subject": .string("No email"), "message": .string("x")])
                #expect(r.status == .unprocessableContent && r.json["error"]?["field"]?.stringValue == "email")
                r = try await p.post("create", ["email": .string("not an email"), "subject": .string("x"), "message": .string("x")])
                #expect(r.status == .unprocessableContent && r.json["error"]?["field"]?.stringValue == "email")
            }
        }
    }

    @Test(arguments: Engine.all)
    func identifiedCustomerSeesOnlyTheirOwnTicketsAndNeverANote(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services
            let jane1 = try await staffTicket(f, f.siteA, email: "jane@example.com", subject: "Double charge on my account")
            f.clock.advance(10)
            let bob = try await staffTicket(f, f.siteA, email: "bob@example.com", subject: "Bob's private matter")
            f.clock.advance(10)
            let jane2 = try await staffTicket(f, f.siteA, email: "JANE@example.com", subject: "Invoice address")
            let janeB = try await staffTicket(f, f.siteB, email: "jane@example.com", subject: "Site B ticket")
            f.clock.advance(10)
            _ = try await s.tickets.reply(f.siteA.id, number: jane1, body: "Refund is on its way", author: .agent(f.owner.id, email: f.owner.email), scope: .everything)
            _ = try await s.tickets.reply(f.siteA.id, number: jane1, body: Self.secretNote, author: .agent(f.owner.id, email: f.owner.email), internalNote: true, scope: .everything)
            _ = try await s.tickets.setStatus(f.siteA.id, number: jane2, to: .waitingOnCustomer, scope: .everything)
            let jane = Self.token(f, site: f.siteA, email: "jane@example.com")
            try await f.app().test(.live) { client in
                let p = Portal(client: client, siteKey: f.siteA.siteKey)
                var r = try await p.post("list", ["identity_token": .string(jane)])
                #expect(r.status == .ok)
                guard case .array(let mine)? = r.json["tickets"] else { Issue.record("list \(r.json.encoded())"); return }
                #expect(Set(mine.compactMap { $0["number"]?.intValue }) == [jane1, jane2], "only Jane's tickets of this site")
                #expect(mine.allSatisfy { $0["awaiting_you"] == .bool(true) }, "answered last / waiting on customer")
                #expect(!r.json.encoded().contains("Bob") && !r.json.encoded().contains("Site B") && !r.json.encoded().contains("INTERNAL-ONLY"))
                r = try await p.post("list", ["identity_token": .string(jane), "search": .string("invoice")])
                #expect(r.json["tickets"]?.arrayValue?.compactMap { $0["number"]?.intValue } == [jane2])
                r = try await p.post("list", ["identity_token": .string(jane), "search": .string("T-\(jane1)")])
                #expect(r.json["tickets"]?.arrayValue?.compactMap { $0["number"]?.intValue } == [jane1])
                r = try await p.post("list", ["identity_token": .string(jane), "search": .string("100%_")])
                #expect(r.json["tickets"]?.arrayValue?.isEmpty == true, "LIKE wildcards are literal")
                r = try await p.post("list", ["identity_token": .string(jane), "status": .string("waiting_on_customer")])
                #expect(r.json["tickets"]?.arrayValue?.compactMap { $0["number"]?.intValue } == [jane2])
                r = try await p.post("list", ["identity_token": .string(jane), "status": .string("sleeping")])
                #expect(r.status == .unprocessableContent && r.json["error"]?["field"]?.stringValue == "status")

                r = try await p.post("get", ["identity_token": .string(jane), "ticket_id": .int(jane1)])
                #expect(r.status == .ok && r.json["messages"]?.arrayValue?.count == 2)
                #expect(!r.json.encoded().contains("INTERNAL-ONLY"))
                // Bob's ticket, guessed numbers and the other site's numbering: not found.
                for n in [bob, janeB + 100, 0] {
                    r = try await p.post("get", ["identity_token": .string(jane), "ticket_id": .int(n)])
                    #expect(r.status == .notFound || r.status == .unprocessableContent)
                    #expect(!r.json.encoded().contains("Bob"))
                }
                for op in ["reply", "resolve", "reopen"] {
                    r = try await p.post(op, ["identity_token": .string(jane), "ticket_id": .int(bob), "message": .string("hi")])
                    #expect(r.status == .notFound, "\(op)")
                }
                #expect(try await s.tickets.get(f.siteA.id, number: bob, includeInternal: true, scope: .everything).messages.count == 1)

                // Tampered, foreign and expired tokens are refused, never treated as anonymous.
                let parts = jane.split(separator: ".")
                let forged = Data(String(decoding: Data(base64Encoded: String(parts[0]))!, as: UTF8.self).replacingOccurrences(of: "jane@", with: "bob@").utf8).base64EncodedString() + "." + parts[1]
                let bad: [(String, String)] = [
                    (forged, "tampered payload"),
                    (String(jane.dropLast(4)) + "0000", "tampered signature"),
                    (Self.token(f, site: f.siteA, secret: f.siteB.siteSecret, email: "bob@example.com"), "signed with another site's secret"),
                    (Self.token(f, site: f.siteB, email: "jane@example.com"), "made for another site"),
                    (Self.token(f, site: f.siteA, email: "jane@example.com", lifetime: 60, iatOffset: -3600), "expired"),
                    ("garbage", "malformed"),
                ]
                for (tok, why) in bad {
                    r = try await p.post("list", ["identity_token": .string(tok)])
                    #expect(r.status == .unauthorized, "\(why)")
                    #expect(!r.json.encoded().contains("Double charge"), "\(why)")
                    r = try await p.post("get", ["identity_token": .string(tok), "ticket_id": .int(bob)])
                    #expect(r.status == .unauthorized, "\(why)")
                }
                // Jane's valid token against site B's key: the signature is checked with site B's secret.
                r = try await p.post("list", ["identity_token": .string(jane)], origin: "https://b.example.com", siteKey: f.siteB.siteKey)
                #expect(r.status == .unauthorized)

                // An identified customer opens a ticket without giving an email: it is the token's.
                r = try await p.post("create", ["identity_token": .string(jane), "subject": .string("New one"), "message": .string("Hello"), "email": .string("bob@example.com")])
                #expect(r.status == .created && r.json["key"] == nil)
                let n = try #require(r.json["ticket"]?["number"]?.intValue)
                #expect(try await s.db.read { try await s.tickets.store.find(f.siteA.id, number: n, in: $0) }?.customerEmail == "jane@example.com")
                r = try await p.post("reply", ["identity_token": .string(jane), "ticket_id": .int(jane1), "message": .string("Thanks!")])
                #expect(r.status == .ok && r.json["awaiting_you"] == .bool(false))
                #expect(!r.json.encoded().contains("INTERNAL-ONLY"))

                // A site that requires identity refuses anonymous use.
                _ = try await s.db.transaction { try await s.settings.set(TicketPortal.requireIdentitySetting, to: .bool(true), workspace: f.siteA.id, by: nil, in: $0) }
                r = try await p.post("create", ["email": .string("anon@example.com"), "subject": .string("x"), "message": .string("y")])
                #expect(r.status == .unauthorized && r.json["error"]?["message"]?.stringValue?.contains("identity") == true)
                r = try await p.post("list", ["identity_token": .string(jane)])
                #expect(r.status == .ok)
            }
        }
    }

    @Test(arguments: Engine.all)
    func attachmentsTooLargeOrForbiddenAreRefusedNamingTheField(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services
            try await f.app().test(.live) { client in
                let p = Portal(client: client, siteKey: f.siteA.siteKey)
                func create(_ files: [JSONValue]) async throws -> (status: HTTPResponse.Status, json: JSONValue, raw: TestResponse) {
                    try await p.post("create", ["email": .string("c@example.com"), "subject": .string("With files"), "message": .string("See attached"), "files": .array(files)])
                }
                func file(_ name: String, _ bytes: [UInt8]) -> JSONValue { .object(["name": .string(name), "content_base64": .string(Data(bytes).base64EncodedString())]) }
                let big = Self.png + Array(repeating: 0, count: 11 * 1_048_576 - Self.png.count)
                var r = try await create([file("ok.png", Self.png), file("big.png", big)])
                #expect(r.status == .unprocessableContent)
                #expect(r.json["error"]?["field"]?.stringValue == "files[1]")
                #expect(r.json["error"]?["message"]?.stringValue == "files[1]: big.png is 11.0 MB; the limit is 10 MB (setting tickets.attachment_max_mb)")
                let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + Array(repeating: 0, count: 100)
                r = try await create([file("kitten.png", elf)])
                #expect(r.status == .unprocessableContent && r.json["error"]?["field"]?.stringValue == "files[0]")
                #expect(r.json["error"]?["message"]?.stringValue?.contains("executable") == true)
                r = try await create([file("page.html", Array("<html><script>alert(1)</script></html>".utf8))])
                #expect(r.status == .unprocessableContent && r.json["error"]?["field"]?.stringValue == "files[0]")
                r = try await create([.object(["name": .string("x.png"), "content_base64": .int(5)])])
                #expect(r.status == .unprocessableContent && r.json["error"]?["field"]?.stringValue == "files[0].content_base64")
                r = try await create(Array(repeating: file("a.png", Self.png), count: 6))
                #expect(r.status == .unprocessableContent && r.json["error"]?["field"]?.stringValue == "files")
                // Nothing was created by the refused requests.
                #expect(try await s.tickets.list(f.siteA.id, TicketFilter(), scope: .everything).total == 0)
                // A body beyond what the site's limit allows is cut off before it is read whole.
                _ = try await s.db.transaction { try await s.settings.set("tickets.attachment_max_mb", to: .int(1), workspace: f.siteA.id, by: nil, in: $0) }
                r = try await create([file("huge.png", Self.png + Array(repeating: 1, count: 4 * 1_048_576))])
                #expect(r.status == .contentTooLarge && r.json["error"]?["field"]?.stringValue == "files")
                #expect(r.raw.headers[.accessControlAllowOrigin] == "https://a.example.com", "the widget can read the reason")
                // A reply with a forbidden file adds nothing.
                r = try await create([])
                #expect(r.status == .created)
                let id = try #require(r.json["ticket"]?["id"]?.stringValue), key = try #require(r.json["key"]?.stringValue)
                r = try await p.post("reply", ["ticket_id": .string(id), "key": .string(key), "message": .string("exe"), "files": .array([file("setup.exe", [0x4D, 0x5A, 0, 0])])])
                #expect(r.status == .unprocessableContent && r.json["error"]?["field"]?.stringValue == "files[0]")
                r = try await p.post("get", ["ticket_id": .string(id), "key": .string(key)])
                #expect(r.json["messages"]?.arrayValue?.count == 1)
            }
        }
    }

    @Test(arguments: Engine.all)
    func staffIssueAPortalLinkForAnEmailTicket(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let n = try await staffTicket(f, f.siteA, email: "mail@example.com", subject: "Came in by email")
            let r = try await f.invoke("tickets.portal_key", as: try await f.actor(f.owner), site: f.siteA,
                                       ["ticket_id": .string("T-\(n)"), "page_url": .string("https://a.example.com/support#old")])
            let key = try #require(r["key"]?.stringValue)
            #expect(r["link"]?.stringValue == "https://a.example.com/support#opsiq-ticket=T-\(n)~\(key)")
            await #expect(throws: DomainError.validation(field: "page_url", message: "must be an http(s) address like https://example.com/support")) {
                _ = try await f.invoke("tickets.portal_key", as: try await f.actor(f.owner), site: f.siteA, ["ticket_id": .int(n), "page_url": .string("javascript:alert(1)")])
            }
            try await f.app().test(.live) { client in
                let p = Portal(client: client, siteKey: f.siteA.siteKey)
                var res = try await p.post("get", ["ticket_id": .int(n), "key": .string(key)])
                #expect(res.status == .ok && res.json["subject"]?.stringValue == "Came in by email")
                res = try await p.post("get", ["ticket_id": .int(n), "key": .string(key)], origin: "https://b.example.com", siteKey: f.siteB.siteKey)
                #expect(res.status == .notFound)
            }
        }
    }

    @Test(arguments: Engine.all)
    func newTicketsAreRateLimitedPerAddress(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            // The limit is a site setting (default 10), validated like every setting.
            let settings = f.services.settings
            await #expect(throws: DomainError.validation(field: TicketPortal.createsPerHourSetting, message: "must be from 1 to 1000")) {
                try await f.services.db.transaction { _ = try await settings.set(TicketPortal.createsPerHourSetting, to: .int(0), workspace: f.siteA.id, by: nil, in: $0) }
            }
            try await f.services.db.transaction { _ = try await settings.set(TicketPortal.createsPerHourSetting, to: .int(3), workspace: f.siteA.id, by: nil, in: $0) }
            try await f.app().test(.live) { client in
                var p = Portal(client: client, siteKey: f.siteA.siteKey)
                p.ip = "198.51.100.7"
                for i in 0..<3 {
                    let r = try await p.post("create", ["email": .string("spam@example.com"), "subject": .string("n\(i)"), "message": .string("x")])
                    #expect(r.status == .created)
                }
                var r = try await p.post("create", ["email": .string("spam@example.com"), "subject": .string("one more"), "message": .string("x")])
                #expect(r.status == .tooManyRequests && r.raw.headers[.retryAfter] != nil)
                #expect(r.json["error"]?["message"]?.stringValue?.contains("at most 3 an hour") == true)
                r = try await p.post("list", [:])
                #expect(r.status == .ok, "reading is limited separately")
                p.ip = "198.51.100.8"
                r = try await p.post("create", ["email": .string("other@example.com"), "subject": .string("fine"), "message": .string("x")])
                #expect(r.status == .created)
                // The next hour the address may open tickets again.
                f.clock.advance(3600)
                p.ip = "198.51.100.7"
                r = try await p.post("create", ["email": .string("spam@example.com"), "subject": .string("later"), "message": .string("x")])
                #expect(r.status == .created)
            }
        }
    }
}

fileprivate extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
}
