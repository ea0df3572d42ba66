import Adapters
import Domain
import Foundation
import Ports
import Testing

@Suite struct OutboxTests {
    func outbox() -> Outbox { Outbox(store: SQLOutboxStore(), clock: ManualClock(), random: SeededRandom()) }

    @Test(arguments: Engine.all)
    func orderedAndPagedBySinceIDPerWorkspace(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let o = outbox()
            let w1 = WorkspaceID(1), w2 = WorkspaceID(2)
            for i in 0..<25 {
                try await t.db.transaction { tx in
                    try await o.publish(i % 5 == 0 ? "ticket.created" : "order.completed", workspace: i % 2 == 0 ? w1 : w2, payload: ["i": .int(Int64(i))], in: tx)
                }
            }
            var cursor: Int64 = 0
            var pages: [[StoredEvent]] = []
            while true {
                let page = try await o.feed(w1, since: cursor, limit: 5, db: t.db)
                if page.isEmpty { break }
                pages.append(page)
                cursor = page.last!.sequence
            }
            let all = pages.flatMap { $0 }
            #expect(all.count == 13)
            #expect(pages.dropLast().allSatisfy { $0.count == 5 })
            #expect(zip(all, all.dropFirst()).allSatisfy { $0.sequence < $1.sequence }, "strictly increasing")
            #expect(all.allSatisfy { $0.workspaceID == w1 }, "another workspace's events never appear")
            #expect(all.map { try! JSONValue.parse($0.payload)["i"]!.intValue! } == Array(stride(from: 0, to: 25, by: 2)).map(Int64.init))
            #expect(Set(all.map(\.eventID)).count == all.count)
            #expect(all.allSatisfy { $0.eventID.hasPrefix("evt_") && $0.eventID.count == 36 })
            let tickets = try await o.feed(w1, since: 0, limit: 100, types: ["ticket.created"], db: t.db)
            #expect(tickets.map { try! JSONValue.parse($0.payload)["i"]!.intValue! } == [0, 10, 20])
        }
    }

    @Test(arguments: Engine.all)
    func anEventInARolledBackTransactionNeverAppears(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let o = outbox()
            let w = WorkspaceID(9)
            struct Abort: Error {}
            var ghostID = ""
            do {
                try await t.db.transaction { tx in
                    ghostID = try await o.publish("crm.deal.won", workspace: w, payload: ["ghost": .bool(true)], in: tx).eventID
                    throw Abort()
                }
            } catch is Abort {}
            let kept = try await t.db.transaction { try await o.publish("crm.deal.won", workspace: w, payload: ["ghost": .bool(false)], in: $0) }
            let events = try await o.feed(w, since: 0, limit: 100, db: t.db)
            #expect(events.map(\.eventID) == [kept.eventID])
            #expect(!events.contains { $0.eventID == ghostID })
            let all = try await t.db.read { try await SQLOutboxStore().readAllWorkspaces(since: 0, limit: 100, in: $0) }
            #expect(all.count == 1)
        }
    }

    /// Concurrent appenders with a reader paging at the same time: the reader must never skip an event
    /// that commits after a higher sequence was already visible.
    @Test(arguments: Engine.all)
    func concurrentAppendsAreSeenInCommitOrderWithoutGaps(_ engine: Engine) async throws {
        try await TestDatabase.with(engine, poolSize: 16) { t in
            let o = Outbox(store: SQLOutboxStore(), clock: SystemClock(), random: SystemRandom())
            let w = WorkspaceID(3)
            let writers = 8, perWriter = 40
            let seen = try await withThrowingTaskGroup(of: [StoredEvent].self) { group in
                for wr in 0..<writers {
                    group.addTask {
                        for i in 0..<perWriter {
                            try await t.db.transaction { tx in
                                try await o.publish("test.event", workspace: w, payload: ["w": .int(Int64(wr)), "i": .int(Int64(i))], in: tx)
                                // Hold the transaction open a little so commits interleave.
                                if i % 7 == 0 { try await Task.sleep(nanoseconds: 1_000_000) }
                            }
                        }
                        return []
                    }
                }
                group.addTask {
                    var cursor: Int64 = 0
                    var got: [StoredEvent] = []
                    let deadline = Date().addingTimeInterval(120)
                    while got.count < writers * perWriter && Date() < deadline {
                        let page = try await o.feed(w, since: cursor, limit: 50, db: t.db)
                        got += page
                        if let last = page.last { cursor = last.sequence } else { try await Task.sleep(nanoseconds: 2_000_000) }
                    }
                    return got
                }
                var all: [StoredEvent] = []
                for try await r in group { all += r }
                return all
            }
            #expect(seen.count == writers * perWriter, "the paging reader saw every committed event")
            #expect(Set(seen.map(\.sequence)).count == seen.count, "no duplicates")
            #expect(seen.map(\.sequence) == (1...Int64(writers * perWriter)).map { $0 }, "gapless and in order")
        }
    }
}
