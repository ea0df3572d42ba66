import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

/// The real `opsiq-worker` killed (SIGKILL) while deliveries are in flight, then started again.
@Suite(.serialized) struct WebhookWorkerKillTests {
    @Test(arguments: Engine.all)
    func killedWorkerLosesNothingAndKeepsTheOrder(_ engine: Engine) async throws {
        switch engine {
        case .sqlite:
            try await killAndRestart(databaseURL: nil)
        case .mariadb:
            // An empty database of its own, migrated by the real `opsiq-admin migrate` below.
            try await TestDatabase.with(.mariadb, migrate: false, poolSize: 2) { t in
                let cfg = try #require(t.mariaConfig)
                let pw = cfg.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                try await killAndRestart(databaseURL: "mariadb://\(cfg.user):\(pw)@\(cfg.host):\(cfg.port)/\(cfg.database)")
            }
        }
    }

    private func killAndRestart(databaseURL: String?) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-whkill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try await HTTPReceiver()
        defer { r.stop() }
        try await r.setMode("sleep:0.15")
        var env = WebhookFixture.env
        env["OPSIQ_DATA_DIR"] = dir
        env["OPSIQ_MASTER_KEY"] = String(repeating: "cd", count: 32)
        env["OPSIQ_WORKER_CONCURRENCY"] = "1"
        if let databaseURL { env["OPSIQ_DATABASE_URL"] = databaseURL }
        #expect(try await run(try productPath("opsiq-admin"), ["migrate"], env: env).status == 0)
        let s = try Services.build(config: try AppConfig.load(environment: env), logger: TestDatabase.logger)
        let owner = try await s.setup.createOwner(.init(email: "owner@example.com", name: "Owner", password: "correct horse battery"))
        let site = try await s.setup.createSite(.init(name: "Site", domain: "site.example.com"))
        let db = s.db, ws = s.workspaces
        let created = try await s.actions.invoke("webhooks.endpoints.create", actor: .user(owner, agentWorkspaces: []), siteKey: site.siteKey,
                                                 params: ["url": .string("\(r.base)/hook"), "events": .array([.string("*")])], ip: "127.0.0.1") { sk in
            try await db.read { try await ws.find(siteKey: sk, in: $0) }
        }
        let endpointID = try #require(created["id"]?.intValue)
        var published: [String] = []
        for i in 1...25 {
            let outbox = s.outbox
            published.append(try await s.db.transaction {
                try await outbox.publish([NewEvent(type: "order.completed", workspaceID: site.id, payload: #"{"n":\#(i)}"#)], in: $0)[0].eventID
            })
        }

        let first = try Daemon(try productPath("opsiq-worker"), env: env)
        var deadline = Date().addingTimeInterval(30)
        while r.requests.count < 5 && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let atKill = r.requests.count
        #expect(atKill >= 5 && atKill < 25, "killed mid-way: \(atKill) arrived; \(first.output)")

        let second = try Daemon(try productPath("opsiq-worker"), env: env)
        deadline = Date().addingTimeInterval(60)
        var delivered: [WebhookDelivery] = []
        while Date() < deadline {
            delivered = try await s.webhooks.deliveries(site.id, endpoint: endpointID, status: .delivered, limit: 100)
            if delivered.count == 25 { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        _ = await second.terminate()
        #expect(delivered.count == 25, "every delivery completed after the restart: \(second.output)")
        let arrivals = r.requests.compactMap(\.eventID)
        var firstSeen: [String] = []
        for id in arrivals where !firstSeen.contains(id) { firstSeen.append(id) }
        #expect(firstSeen == published, "every event arrived at least once, first arrivals in sequence order")
        #expect(arrivals.count >= 25)
        // A duplicate (the one in flight at the kill) is byte-identical apart from its attempt timestamp.
        for id in Set(arrivals) where arrivals.filter({ $0 == id }).count > 1 {
            let bodies = Set(r.requests.filter { $0.eventID == id }.map(\.bodyText))
            #expect(bodies.count == 1, "duplicates carry the same event and body")
        }
        await s.db.shutdown()
    }
}
