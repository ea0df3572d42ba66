import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// Canned responses over both engines: unknown variables refused when saved, rendering with a
/// ticket's real values, and Agents seeing only their departments' responses and the general ones.
@Suite struct CannedResponseTests {
    func departmentID(_ f: AccessFixture, _ name: String) async throws -> Int64 {
        try #require(try await f.services.departments.list(f.siteA.id, includeArchived: false).first { $0.name == name }).id
    }

    @Test(arguments: Engine.all)
    func unknownVariableIsRefusedAtSave(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            let known = TemplateVariables.all.map(\.token).joined(separator: ", ")
            await #expect(throws: DomainError.validation(field: "body", message: "unknown variable {{foo}}; known: \(known)")) {
                try await f.invoke("canned.create", as: owner, site: f.siteA, ["title": .string("Refund"), "body": .string("Hi {{customer_name}}, {{foo}}"),
                                                                               "shortcut": .string("/refund")])
            }
            let ok = try await f.invoke("canned.create", as: owner, site: f.siteA, ["title": .string("Refund"), "body": .string("Hi {{customer_name}}"),
                                                                                    "shortcut": .string("Refund")])
            #expect(ok["shortcut"]?.stringValue == "/refund" && ok["created_by"]?.intValue == f.owner.id.raw)
            let id = try #require(ok["id"]?.intValue)
            // Editing into an unknown variable is refused too, and leaves the saved body alone.
            await #expect(throws: DomainError.validation(field: "body", message: "unknown variable {{custmer_name}}; known: \(known)")) {
                try await f.invoke("canned.update", as: owner, site: f.siteA, ["id": .int(id), "body": .string("Hi {{custmer_name}}")])
            }
            let still = try await f.services.canned.get(f.siteA.id, id: id, scope: .everything)
            #expect(still.body == "Hi {{customer_name}}")
            await #expect(throws: DomainError.validation(field: "shortcut", message: "this site already has a canned response with the shortcut /refund")) {
                try await f.invoke("canned.create", as: owner, site: f.siteA, ["title": .string("Other"), "body": .string("x"), "shortcut": .string("/refund")])
            }
            // Shortcuts are per site.
            _ = try await f.invoke("canned.create", as: owner, site: f.siteB, ["title": .string("Refund"), "body": .string("x"), "shortcut": .string("/refund")])
            let updated = try await f.invoke("canned.update", as: owner, site: f.siteA, ["id": .int(id), "title": .string("Refund issued")])
            #expect(updated["title"]?.stringValue == "Refund issued" && updated["body"]?.stringValue == "Hi {{customer_name}}")
            _ = try await f.invoke("canned.delete", as: owner, site: f.siteA, ["id": .int(id)])
            await #expect(throws: DomainError.notFound("no canned response \(id) in this site")) {
                try await f.invoke("canned.delete", as: owner, site: f.siteA, ["id": .int(id)])
            }
            let types = try await f.services.outbox.feed(f.siteA.id, since: 0, limit: 100, db: f.services.db).map(\.type).filter { $0.hasPrefix("canned") }
            #expect(types == ["canned_response.created", "canned_response.updated", "canned_response.deleted"])
        }
    }

    @Test(arguments: Engine.all)
    func renderFillsInTheTicketsRealValues(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner), agent = try await f.actor(f.agentA)
            let support = try await departmentID(f, "Support")
            _ = try await f.invoke("departments.set_signature", as: owner, site: f.siteA, ["department_id": .int(support), "signature": .string("-- The Support team")])
            _ = try await f.services.db.transaction { try await f.services.settings.set("business.name", to: .string("Acme Ltd"), workspace: f.siteA.id, by: nil, in: $0) }
            _ = try await f.invoke("tickets.create", as: owner, site: f.siteA, ["subject": .string("Double charge"), "message": .string("Charged twice"),
                                                                                "department": .string("Support"), "customer_email": .string("jane@example.com"),
                                                                                "customer_name": .string("Jane O'Doe")])
            let body = "Hi {{customer_name}} ({{customer_email}}),\nabout {{ ticket_id }} \"{{ticket_subject}}\" in {{department_name}} at {{site_name}} / {{business_name}}.\n{{agent_name}}\n{{department_signature}}"
            let r = try await f.invoke("canned.create", as: owner, site: f.siteA, ["title": .string("All"), "body": .string(body), "shortcut": .string("/all"),
                                                                                   "department": .string("Support")])
            let id = try #require(r["id"]?.intValue)
            let out = try await f.invoke("canned.render", as: agent, site: f.siteA, ["id": .int(id), "ticket_id": .string("T-1")])
            #expect(out["text"]?.stringValue == "Hi Jane O'Doe (jane@example.com),\nabout T-1 \"Double charge\" in Support at Site A / Acme Ltd.\n\(f.agentA.name)\n-- The Support team")
            // The agent is whoever renders it.
            let asOwner = try await f.invoke("canned.render", as: owner, site: f.siteA, ["id": .int(id), "ticket_id": .int(1)])
            #expect(asOwner["text"]?.stringValue?.contains("\n\(f.owner.name)\n") == true)
            await #expect(throws: DomainError.notFound("no ticket T-99 in this site")) {
                try await f.invoke("canned.render", as: owner, site: f.siteA, ["id": .int(id), "ticket_id": .int(99)])
            }
        }
    }

    @Test(arguments: Engine.all)
    func agentsSeeTheirDepartmentsAndGeneralResponsesOnly(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner), agent = try await f.actor(f.agentA)
            _ = try await f.invoke("departments.create", as: owner, site: f.siteA, ["name": .string("Billing")])
            func make(_ title: String, _ dept: String?) async throws -> Int64 {
                var p: [String: JSONValue] = ["title": .string(title), "body": .string("Hi {{customer_name}}"), "shortcut": .string("/" + title.lowercased())]
                if let dept { p["department"] = .string(dept) }
                return try #require(try await f.invoke("canned.create", as: owner, site: f.siteA, p)["id"]?.intValue)
            }
            _ = try await make("General", nil)
            _ = try await make("Password", "Support")
            let billing = try await make("Invoice", "Billing")
            func titles(_ v: JSONValue) -> [String] { v["responses"]?.arrayValue?.compactMap { $0["title"]?.stringValue } ?? [] }
            #expect(titles(try await f.invoke("canned.list", as: owner, site: f.siteA)) == ["General", "Invoice", "Password"])
            #expect(titles(try await f.invoke("canned.list", as: agent, site: f.siteA)) == ["General", "Password"])
            #expect(titles(try await f.invoke("canned.list", as: owner, site: f.siteA, ["department": .string("Billing")])) == ["General", "Invoice"])
            #expect(titles(try await f.invoke("canned.list", as: agent, site: f.siteA, ["department": .string("Billing")])) == ["General"])
            let listed = try await f.invoke("canned.list", as: agent, site: f.siteA)
            #expect(listed["variables"]?.arrayValue?.count == TemplateVariables.all.count)
            // A Billing response cannot be rendered by a Support Agent, even on a ticket they can see.
            _ = try await f.invoke("tickets.create", as: agent, site: f.siteA, ["subject": .string("Help"), "message": .string("x"), "department": .string("Support"),
                                                                                "customer_email": .string("c@example.com")])
            await #expect(throws: DomainError.notFound("no canned response \(billing) in this site")) {
                try await f.invoke("canned.render", as: agent, site: f.siteA, ["id": .int(billing), "ticket_id": .int(1)])
            }
            await #expect(throws: DomainError.self) {
                try await f.invoke("canned.create", as: agent, site: f.siteA, ["title": .string("Mine"), "body": .string("x"), "shortcut": .string("/mine")])
            }
            // Nothing of site A shows in site B.
            #expect(titles(try await f.invoke("canned.list", as: owner, site: f.siteB)) == [])
        }
    }
}

fileprivate extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
}
