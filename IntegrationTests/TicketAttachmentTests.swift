import Adapters
import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import HummingbirdTesting
import Ports
import Testing

/// Ticket attachments over both engines and the local disk: size and type rules, byte-identical
/// storage, internal notes' files kept from customer surfaces, department visibility, the download
/// route, and the disk adapter refusing keys that could leave its directory.
@Suite struct TicketAttachmentTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    func ticket(_ f: AccessFixture, department: String?) async throws -> Int64 {
        var p: [String: JSONValue] = ["subject": .string("Broken"), "message": .string("See file"), "customer_email": .string("c@example.com")]
        if let department { p["department"] = .string(department) }
        return try #require(try await f.invoke("tickets.create", as: try await f.actor(f.owner), site: f.siteA, p)["number"]?.intValue)
    }

    @Test(arguments: Engine.all)
    func tooLargeAndForbiddenTypesAreRefused(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services.attachments
            let n = try await ticket(f, department: "Support")
            let elevenMB = Self.png + Array(repeating: 0, count: 11 * 1_048_576 - Self.png.count)
            await #expect(throws: DomainError.validation(field: "file", message: "is 11.0 MB; the limit is 10 MB (setting tickets.attachment_max_mb)")) {
                try await s.attach(f.siteA.id, number: n, messageID: nil, fileName: "big.png", bytes: elevenMB, scope: .everything)
            }
            _ = try await f.services.db.transaction { try await f.services.settings.set("tickets.attachment_max_mb", to: .int(1), workspace: f.siteA.id, by: nil, in: $0) }
            await #expect(throws: DomainError.validation(field: "file", message: "is 1.5 MB; the limit is 1 MB (setting tickets.attachment_max_mb)")) {
                try await s.attach(f.siteA.id, number: n, messageID: nil, fileName: "big.png", bytes: Array(elevenMB.prefix(1_572_864)), scope: .everything)
            }
            await #expect(throws: DomainError.self) {
                _ = try await f.services.db.transaction { try await f.services.settings.set("tickets.attachment_max_mb", to: .int(51), workspace: f.siteA.id, by: nil, in: $0) }
            }
            // An executable renamed to .png is refused by its magic bytes.
            let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + Array(repeating: 0, count: 200)
            await #expect(throws: DomainError.validation(field: "file", message: "is an ELF executable; executables and scripts cannot be attached")) {
                try await s.attach(f.siteA.id, number: n, messageID: nil, fileName: "kitten.png", bytes: elf, scope: .everything)
            }
            await #expect(throws: DomainError.validation(field: "file", message: "is named .png but its content is not a recognised PNG file; rename it to what it is or attach another file")) {
                try await s.attach(f.siteA.id, number: n, messageID: nil, fileName: "kitten.png", bytes: Array("<svg onload='x()'/>".utf8), scope: .everything)
            }
            #expect(try await s.list(f.siteA.id, number: n, includeInternal: true, scope: .everything).isEmpty)
            let stored = FileManager.default.enumerator(atPath: (f.services.config.dataDir as NSString).appendingPathComponent("files"))?.allObjects ?? []
            #expect(stored.compactMap { $0 as? String }.filter { !$0.hasSuffix("/") && $0.split(separator: "/").count == 3 }.isEmpty, "refused files are never written")
        }
    }

    @Test(arguments: Engine.all)
    func allowedFileIsStoredAndReadBackByteIdentical(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services.attachments
            let n = try await ticket(f, department: "Support")
            let msg = try await f.services.tickets.reply(f.siteA.id, number: n, body: "Here is the screenshot", author: .agent(f.owner.id, email: f.owner.email), scope: .everything)
            let a = try await s.attach(f.siteA.id, number: n, messageID: msg.id, fileName: "../../etc/screen shot.png", bytes: Self.png, scope: .everything)
            #expect(a.fileName == "screen shot.png" && a.contentType == "image/png" && a.size == Int64(Self.png.count) && !a.internalNote)
            #expect(a.sha256 == CryptoDigests().sha256Hex(bytes: Self.png))
            #expect(!a.storageKey.contains("screen") && a.storageKey.count == 48)
            let path = (f.services.config.dataDir as NSString).appendingPathComponent("files/\(a.storageKey.prefix(2))/\(a.storageKey.dropFirst(2).prefix(2))/\(a.storageKey)")
            #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == Self.png, "sharded by key prefix under OPSIQ_DATA_DIR/files")
            let (meta, bytes) = try await s.fetch(f.siteA.id, number: n, attachmentID: a.id, includeInternal: false, scope: .everything)
            #expect(bytes == Self.png && meta == a)
            #expect(CryptoDigests().sha256Hex(bytes: bytes) == meta.sha256)
            let listed = try await f.invoke("tickets.attachments.list", as: try await f.actor(f.agentA), site: f.siteA, ["ticket_id": .int(n)])
            #expect(listed["attachments"]?.arrayValue?.map { $0["file_name"]?.stringValue } == ["screen shot.png"])
            #expect(!listed.encoded().contains(a.storageKey), "the storage key stays internal")
            // A message of another ticket is refused.
            let other = try await ticket(f, department: "Support")
            await #expect(throws: DomainError.validation(field: "message_id", message: "T-\(other) has no message \(msg.id)")) {
                try await s.attach(f.siteA.id, number: other, messageID: msg.id, fileName: "a.png", bytes: Self.png, scope: .everything)
            }
            // A damaged file is reported, not served.
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
            await #expect(throws: DomainError.conflict("the stored file of attachment \(a.id) on T-\(n) does not match its checksum; it may be damaged")) {
                try await s.fetch(f.siteA.id, number: n, attachmentID: a.id, includeInternal: true, scope: .everything)
            }
            let events = try await f.services.outbox.feed(f.siteA.id, since: 0, limit: 100, db: f.services.db).filter { $0.type == "ticket.attachment_added" }
            #expect(events.count == 1)
        }
    }

    @Test(arguments: Engine.all)
    func internalNotesAttachmentsStayOffCustomerSurfaces(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services.attachments
            let n = try await ticket(f, department: "Support")
            let note = try await f.services.tickets.reply(f.siteA.id, number: n, body: "Stripe export", author: .agent(f.owner.id, email: f.owner.email),
                                                          internalNote: true, scope: .everything)
            let reply = try await f.services.tickets.reply(f.siteA.id, number: n, body: "Your invoice", author: .agent(f.owner.id, email: f.owner.email), scope: .everything)
            let secret = try await s.attach(f.siteA.id, number: n, messageID: note.id, fileName: "charges.csv", bytes: Array("id,amount\nch_1,49.99\n".utf8), scope: .everything)
            let open = try await s.attach(f.siteA.id, number: n, messageID: reply.id, fileName: "invoice.pdf", bytes: Array("%PDF-1.7\n%%EOF\n".utf8), scope: .everything)
            #expect(secret.internalNote && !open.internalNote)
            #expect(try await s.list(f.siteA.id, number: n, includeInternal: false, scope: .everything).map(\.id) == [open.id])
            #expect(try await s.list(f.siteA.id, number: n, includeInternal: true, scope: .everything).map(\.id) == [secret.id, open.id])
            await #expect(throws: DomainError.notFound("no attachment \(secret.id) on T-\(n)")) {
                try await s.fetch(f.siteA.id, number: n, attachmentID: secret.id, includeInternal: false, scope: .everything)
            }
            let api = try await f.invoke("tickets.attachments.list", as: try await f.actor(f.owner), site: f.siteA, ["ticket_id": .int(n), "include_internal": .bool(false)])
            #expect(!api.encoded().contains("charges.csv") && api.encoded().contains("invoice.pdf"))
        }
    }

    @Test(arguments: Engine.all)
    func agentOfAnotherDepartmentCannotFetch(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let s = f.services.attachments
            _ = try await f.invoke("departments.create", as: try await f.actor(f.owner), site: f.siteA, ["name": .string("Billing")])
            let n = try await ticket(f, department: "Billing")
            let a = try await s.attach(f.siteA.id, number: n, messageID: nil, fileName: "invoice.pdf", bytes: Array("%PDF-1.7\n".utf8), scope: .everything)
            let agentScope = try await TicketActions.scope(user: f.agentA, in: f.siteA.id, departments: f.services.departments)
            await #expect(throws: DomainError.notFound("no ticket T-\(n) in this site")) {
                try await s.fetch(f.siteA.id, number: n, attachmentID: a.id, includeInternal: true, scope: agentScope)
            }
            await #expect(throws: DomainError.notFound("no ticket T-\(n) in this site")) {
                try await f.invoke("tickets.attachments.list", as: try await f.actor(f.agentA), site: f.siteA, ["ticket_id": .int(n)])
            }
            // An attachment id of another ticket is not reachable through a ticket the Agent can see.
            let mine = try await ticket(f, department: "Support")
            await #expect(throws: DomainError.notFound("no attachment \(a.id) on T-\(mine)")) {
                try await s.fetch(f.siteA.id, number: mine, attachmentID: a.id, includeInternal: true, scope: agentScope)
            }
            // The download route: the Agent gets 404, the Owner the file as a download.
            let app = try f.app()
            try await app.test(.router) { client in
                let agent = BrowserSession()
                _ = try await agent.signIn(client, email: f.agentA.email, password: AccessFixture.password)
                let refused = try await agent.get(client, "/admin/tickets/T-\(n)/attachments/\(a.id)?site=\(f.siteA.siteKey)")
                #expect(refused.status == .notFound)
                let owner = BrowserSession()
                _ = try await owner.signIn(client, email: f.owner.email, password: AccessFixture.password)
                let ok = try await owner.get(client, "/admin/tickets/\(n)/attachments/\(a.id)?site=\(f.siteA.siteKey)")
                #expect(ok.status == .ok)
                #expect(Array(buffer: ok.body) == Array("%PDF-1.7\n".utf8))
                #expect(ok.headers[.contentType] == "application/pdf")
                #expect(ok.headers[.contentDisposition] == "attachment; filename=\"invoice.pdf\"; filename*=UTF-8''invoice.pdf")
                #expect(ok.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                let otherSite = try await owner.get(client, "/admin/tickets/\(n)/attachments/\(a.id)?site=\(f.siteB.siteKey)")
                #expect(otherSite.status == .notFound)
                let anonymous = try await BrowserSession().get(client, "/admin/tickets/\(n)/attachments/\(a.id)?site=\(f.siteA.siteKey)")
                #expect(anonymous.status == .seeOther || anonymous.status == .found, "signed-out visitors are sent to sign in")
            }
        }
    }

    /// `tickets.attachments.add` through the action registry: base64 in, the same rules, the same visibility.
    @Test(arguments: Engine.all)
    func theAddActionTakesBase64AndAppliesTheRules(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let n = try await ticket(f, department: "Support")
            let owner = try await f.actor(f.owner)
            let out = try await f.invoke("tickets.attachments.add", as: owner, site: f.siteA,
                                         ["ticket_id": .string("T-\(n)"), "file_name": .string("screen shot.png"), "content_base64": .string(Data(Self.png).base64EncodedString())])
            #expect(out["attachment"]?["size"]?.intValue == Int64(Self.png.count))
            #expect(out["attachment"]?["content_type"]?.stringValue == "image/png")
            let (_, bytes) = try await f.services.attachments.fetch(f.siteA.id, number: n, attachmentID: try #require(out["attachment"]?["id"]?.intValue), includeInternal: true, scope: .everything)
            #expect(bytes == Self.png, "stored byte for byte")
            await #expect(throws: DomainError.validation(field: "content_base64", message: "must be the file's bytes in base64 (and not empty)")) {
                _ = try await f.invoke("tickets.attachments.add", as: owner, site: f.siteA, ["ticket_id": .int(n), "file_name": .string("a.png"), "content_base64": .string("")])
            }
            let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + Array(repeating: 0, count: 64)
            await #expect(throws: DomainError.self) {
                _ = try await f.invoke("tickets.attachments.add", as: owner, site: f.siteA, ["ticket_id": .int(n), "file_name": .string("cat.png"), "content_base64": .string(Data(elf).base64EncodedString())])
            }
            // A ticket of no department is not an Agent's: it answers as if it did not exist.
            let general = try await ticket(f, department: nil)
            await #expect(throws: DomainError.self) {
                _ = try await f.invoke("tickets.attachments.add", as: try await f.actor(f.agentA), site: f.siteA,
                                       ["ticket_id": .int(general), "file_name": .string("a.png"), "content_base64": .string(Data(Self.png).base64EncodedString())])
            }
            #expect(try await f.services.attachments.list(f.siteA.id, number: general, includeInternal: true, scope: .everything).isEmpty)
        }
    }

    @Test func diskAdapterRefusesKeysThatCouldEscape() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-files-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let disk = LocalFileStorage(root: root)
        for bad in ["../../etc/passwd", "abcd/../../x", "abcdefgh/ij", "..abcdefgh", "abc\\defgh", "abcdefg\u{0}h", "short", "", "abcdefgh.png",
                    String(repeating: "a", count: 129)] {
            await #expect(throws: FileStorageError.invalidKey(bad)) { try await disk.put(bad, [1]) }
            await #expect(throws: FileStorageError.invalidKey(bad)) { try await disk.get(bad) }
            await #expect(throws: FileStorageError.invalidKey(bad)) { try await disk.delete(bad) }
        }
        #expect(!FileManager.default.fileExists(atPath: (root as NSString).deletingLastPathComponent + "/passwd"))
        let key = "a1b2c3d4e5f6a7b8c9d0"
        try await disk.put(key, [1, 2, 3])
        try await disk.put(key, [4, 5, 6, 7])
        #expect(try await disk.get(key) == [4, 5, 6, 7], "a second put replaces the bytes")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/a1/b2") == [key], "no temporary files are left behind")
        try await disk.delete(key)
        try await disk.delete(key)
        await #expect(throws: FileStorageError.notFound(key: key)) { try await disk.get(key) }
    }
}

fileprivate extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
}
