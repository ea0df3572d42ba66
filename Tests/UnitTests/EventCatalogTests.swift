import Domain
import Foundation
import Testing

/// The catalogue lists every event type the code publishes: a new `publish("x.y", …)` without a
/// catalogue entry fails here.
@Suite struct EventCatalogTests {
    static var sources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
    }

    /// The dotted string literals between each `publish(` and the `workspace:` argument that follows it.
    static func publishedTypes() throws -> Set<String> {
        var found: Set<String> = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        let literal = try Regex(#""([a-z_]+(?:\.[a-z_]+)+)""#)
        for case let url as URL in files where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            var rest = text[...]
            while let call = rest.range(of: "publish(") {
                let after = rest[call.upperBound...]
                let end = after.range(of: "workspace:")?.lowerBound ?? after.index(after.startIndex, offsetBy: min(200, after.count))
                for m in after[..<end].matches(of: literal) { found.insert(String(m.output[1].substring!)) }
                rest = after
            }
        }
        return found
    }

    @Test func everyPublishedTypeIsCatalogued() throws {
        let published = try Self.publishedTypes()
        #expect(published.count >= 20, "the source scan found only \(published.sorted())")
        #expect(published.contains("ticket.created") && published.contains("mailbox.updated") && published.contains("mailbox.created"))
        let missing = published.filter { EventCatalog.find($0) == nil }.sorted()
        #expect(missing.isEmpty, "published but not in EventCatalog.all: \(missing)")
    }

    @Test func everyEntryHasADescriptionScopeAndObjectSchema() {
        let names = EventCatalog.all.map(\.name)
        #expect(Set(names).count == names.count)
        for t in EventCatalog.all {
            #expect(!t.description.isEmpty)
            #expect(["tickets.read", "settings.read", "team.read", "events.read", "crm.read", "analytics.read"].contains(t.scope), "\(t.name): \(t.scope)")
            #expect(t.schema["type"] == .string("object") && t.schema["properties"] != nil, "\(t.name)")
        }
        #expect(EventCatalog.find("order.completed") != nil && EventCatalog.find("webhook.endpoint_disabled") != nil)
        #expect(EventCatalog.matches("ticket.*", "ticket.created") && !EventCatalog.matches("ticket.*", "order.completed") && EventCatalog.matches("*", "x.y"))
    }
}
