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

/// The change feed (`events.list`, `crm.events.list`) and the catalogue over both engines: order by
/// `since_id`, paging without gaps, workspace isolation and refusal by scope.
@Suite struct EventFeedTests {
    func types(_ page: JSONValue) -> [String] {
        guard case .array(let a)? = page["events"] else { return [] }
        return a.compactMap { $0["type"]?.stringValue }
    }
    func ids(_ page: JSONValue) -> [Int64] {
        guard case .array(let a)? = page["events"] else { return [] }
        return a.compactMap { $0["id"]?.intValue }
    }

    @Test(arguments: Engine.all)
    func feedPagesInOrderWithinOneSiteAndByScope(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let f = try await AccessFixture.make(t)
            let owner = try await f.actor(f.owner)
            for (site, n) in [(f.siteA, 3), (f.siteB, 2)] {
                for i in 1...n {
                    _ = try await f.invoke("tickets.create", as: owner, site: site, ["subject": .string("S\(i)"), "message": .string("m"), "customer_email": .string("c\(i)@example.com")])
                }
            }
            _ = try await f.invoke("tickets.assign", as: owner, site: f.siteA, ["ticket_id": .int(1), "assignee_id": .int(f.admin.id.raw)])
            let (_, key) = try await f.services.apiKeys.create(name: "feed", scopes: ["events.read", "tickets.read"], workspace: f.siteA.id, by: f.owner.id)
            let all = try await f.invoke("events.list", as: .apiKey(key), site: f.siteA, ["limit": .int(500)])
            // The key reads ticket events; workspace.created (settings.read) is not shown to it.
            #expect(types(all) == ["ticket.created", "ticket.created", "ticket.created", "ticket.assigned"])
            let allIDs = ids(all)
            #expect(allIDs == allIDs.sorted() && Set(allIDs).count == allIDs.count)
            #expect(all["next_since_id"]?.intValue == allIDs.last)
            // Paging by next_since_id returns the same events, none twice, none skipped.
            var since: Int64 = 0, paged: [Int64] = []
            for _ in 0..<10 {
                let page = try await f.invoke("events.list", as: .apiKey(key), site: f.siteA, ["since_id": .int(since), "limit": .int(3)])
                paged += ids(page)
                since = try #require(page["next_since_id"]?.intValue)
                if page["has_more"] == .bool(false) { break }
            }
            #expect(paged == allIDs)
            // The data is the payload as published.
            if case .array(let events)? = all["events"] { #expect(events[3]["data"]?["assignee_id"]?.intValue == f.admin.id.raw) }
            // An Owner sees the site's settings events too, and never site B's.
            let ownerFeed = try await f.invoke("events.list", as: owner, site: f.siteA, [:])
            #expect(types(ownerFeed).first == "workspace.created" && types(ownerFeed).filter { $0 == "ticket.created" }.count == 3)
            let siteB = try await f.invoke("events.list", as: owner, site: f.siteB, ["types": .array([.string("ticket.*")])])
            #expect(types(siteB) == ["ticket.created", "ticket.created"])
            #expect(Set(ids(siteB)).isDisjoint(with: Set(ids(ownerFeed))))
            // The key is limited to site A.
            await #expect(throws: DomainError.notFound("no site with this site_key is available to you")) {
                try await f.invoke("events.list", as: .apiKey(key), site: f.siteB, [:])
            }
            // Scopes: events.read alone cannot ask for ticket events; without events.read the feed is refused.
            let (_, eventsOnly) = try await f.services.apiKeys.create(name: "events only", scopes: ["events.read"], workspace: nil, by: f.owner.id)
            await #expect(throws: DomainError.forbidden("reading ticket.created needs the scope tickets.read, which this caller lacks")) {
                try await f.invoke("events.list", as: .apiKey(eventsOnly), site: f.siteA, ["types": .array([.string("ticket.*")])])
            }
            #expect(types(try await f.invoke("events.list", as: .apiKey(eventsOnly), site: f.siteA, [:])).isEmpty)
            let (_, ticketsOnly) = try await f.services.apiKeys.create(name: "tickets only", scopes: ["tickets.read"], workspace: nil, by: f.owner.id)
            await #expect(throws: DomainError.forbidden("this API key lacks the scope events.read that events.list needs")) {
                try await f.invoke("events.list", as: .apiKey(ticketsOnly), site: f.siteA, [:])
            }
            await #expect(throws: DomainError.validation(field: "types[0]", message: "'tickets.created' is not an event type (see events.catalog), a family like ticket.* or *")) {
                try await f.invoke("events.list", as: owner, site: f.siteA, ["types": .array([.string("tickets.created")])])
            }
            // The CRM names: the same feed with crm.read.
            let (_, crm) = try await f.services.apiKeys.create(name: "crm", scopes: ["crm.read", "tickets.read"], workspace: nil, by: f.owner.id)
            #expect(ids(try await f.invoke("crm.events.list", as: .apiKey(crm), site: f.siteA, ["limit": .int(500)])) == allIDs)
            await #expect(throws: DomainError.forbidden("this API key lacks the scope crm.read that crm.events.list needs")) {
                try await f.invoke("crm.events.list", as: .apiKey(key), site: f.siteA, [:])
            }
            let catalog = try await f.invoke("events.catalog", as: .apiKey(key), site: nil)
            guard case .array(let entries)? = catalog["events"] else { Issue.record("no catalogue"); return }
            #expect(entries.count == EventCatalog.all.count)
            let created = try #require(entries.first { $0["type"]?.stringValue == "ticket.created" })
            #expect(created["readable"] == .bool(true) && created["schema"]?["properties"]?["subject"]?["type"] == .string("string"))
            #expect(entries.first { $0["type"]?.stringValue == "workspace.created" }?["readable"] == .bool(false))
        }
    }
}
