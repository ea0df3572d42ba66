import Adapters
import ArgumentParser
import Composition
import Domain
import Foundation
import Glibc
import Logging
import Ports

/// `opsiq-bench webhooks`: signed deliveries a second through the whole pipeline (outbox, dispatcher,
/// delivery rows, signing, libcurl with the SSRF guard, attempt log) to a local receiver, beside plain
/// unsigned POSTs from the same client in the same process; then the outbox-to-delivery lag at a
/// steady 200 events a second, on embedded SQLite or MariaDB (the worker's own database work is part of the cost).
struct WebhookBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "webhooks", abstract: "Outbound webhook throughput and lag (SQLite or MariaDB, local receiver).")
    @Option(help: "Events in the throughput run.") var events: Int = 6000
    @Option(help: "Endpoints (deliveries to different endpoints run side by side; order is kept within each).") var endpoints: Int = 16
    @Option(help: "Seconds of the steady-rate lag run.") var lagSeconds: Int = 10
    @Option(help: "Events a second in the lag run.") var rate: Int = 200
    @Option(help: "Append the results as Markdown to this file.") var out: String?
    @Option(help: "sqlite (default) or mariadb (a database is created on the server at --mariadb-url or $OPSIQ_BENCH_MARIADB_URL).") var engine: String = "sqlite"
    @Option(help: "MariaDB URL of a server the bench may create a database on (default: $OPSIQ_BENCH_MARIADB_URL).") var mariadbURL: String?

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let receiver = try BenchReceiver(threads: 8)
        receiver.start()
        defer { receiver.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-wh-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var env = ["OPSIQ_DATA_DIR": dir.path, "OPSIQ_MASTER_KEY": String(repeating: "ab", count: 32),
                   "OPSIQ_OUTBOUND_ALLOW": "127.0.0.0/8", "OPSIQ_OUTBOUND_ALLOW_HTTP": "true"]
        var dropMaria: (() async -> Void)? = nil
        switch engine {
        case "sqlite": break
        case "mariadb":
            guard let url = mariadbURL ?? ProcessInfo.processInfo.environment["OPSIQ_BENCH_MARIADB_URL"], !url.isEmpty else {
                throw ValidationError("--engine mariadb needs --mariadb-url or OPSIQ_BENCH_MARIADB_URL (make bench-webhooks starts a private server)")
            }
            var admin = try MariaDBConfig.parse(url: url)
            admin.poolSize = 1
            let adminDB = MariaDBDatabase(config: admin, logger: logger)
            let name = "opsiq_whbench_\(Int(Date().timeIntervalSince1970))"
            _ = try await adminDB.write { try await $0.execute("CREATE DATABASE \(name) CHARACTER SET utf8mb4") }
            guard let slash = url.range(of: "/", options: .backwards), url[..<slash.lowerBound].contains("@") else {
                throw ValidationError("--mariadb-url must name a database: mariadb://user:password@host:port/database")
            }
            var dbURL = String(url[..<slash.upperBound]) + name
            if let q = url[slash.upperBound...].firstIndex(of: "?") { dbURL += String(url[q...]) }
            env["OPSIQ_DATABASE_URL"] = dbURL
            env["OPSIQ_DB_POOL_SIZE"] = "8"
            dropMaria = {
                _ = try? await adminDB.write { try await $0.execute("DROP DATABASE \(name)") }
                await adminDB.shutdown()
            }
        default:
            throw ValidationError("--engine must be sqlite or mariadb")
        }
        let s = try Services.build(config: try AppConfig.load(environment: env), logger: logger)
        try await s.migrations.migrate()
        _ = try await s.setup.createOwner(.init(email: "owner@example.com", name: "Owner", password: "correct horse battery"))
        let site = try await s.setup.createSite(.init(name: "Bench", domain: "bench.example.com"))
        let url = "http://127.0.0.1:\(receiver.port)/hook"

        // Baseline: unsigned POSTs of the same size through the same client, same concurrency.
        let sample = try WebhookSigning.body(eventID: "evt_" + String(repeating: "0", count: 32), type: "bench.e0", createdAt: Date(),
                                             siteKey: site.siteKey, payload: #"{"order_id":12345,"amount":99.5,"customer":"bench@example.com"}"#)
        let http = s.outboundHTTP
        let baseN = events
        let t0 = Date()
        await withTaskGroup(of: Void.self) { g in
            for w in 0..<endpoints {
                g.addTask {
                    var i = w
                    while i < baseN {
                        _ = try? await http.send(OutboundRequest(url: url, headers: [("Content-Type", "application/json")], body: sample))
                        i += endpoints
                    }
                }
            }
        }
        let baseRate = Double(baseN) / Date().timeIntervalSince(t0)

        var ids: [Int64] = []
        for k in 0..<endpoints { ids.append(try await s.webhooks.create(site.id, url: url, events: ["bench.e\(k)"], description: "bench").endpoint.id) }
        let service = s.makeWebhookService(workerID: "bench")
        let outbox = s.outbox
        let before = receiver.count
        var published = 0
        while published < events {
            let n = min(500, events - published)
            let batch = (0..<n).map { i in
                NewEvent(type: "bench.e\((published + i) % endpoints)", workspaceID: site.id, payload: #"{"order_id":\#(published + i),"amount":99.5,"customer":"bench@example.com"}"#)
            }
            try await s.db.transaction { _ = try await outbox.publish(batch, in: $0) }
            published += n
        }
        let t1 = Date()
        while try await service.runOnce() {}
        let signedTime = Date().timeIntervalSince(t1)
        let delivered = receiver.count - before
        let signedRate = Double(delivered) / signedTime

        // Lag: a steady rate while the worker loop runs as in production.
        let loop = Task { await service.loop() }
        let lagStart = Date()
        let total = rate * lagSeconds
        var sent = 0
        while sent < total {
            let due = Int(Date().timeIntervalSince(lagStart) * Double(rate))
            if due > sent {
                let n = min(due - sent, total - sent)
                let batch = (0..<n).map { i in NewEvent(type: "bench.e\((sent + i) % endpoints)", workspaceID: site.id, payload: #"{"lag":\#(sent + i)}"#) }
                try await s.db.transaction { _ = try await outbox.publish(batch, in: $0) }
                sent += n
            }
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        let deadline = Date().addingTimeInterval(30)
        var lags: [Double] = []
        while Date() < deadline {
            lags = []
            var pending = 0
            for id in ids {
                for d in try await s.webhooks.deliveries(site.id, endpoint: id, status: nil, limit: 10_000) where d.eventSequence > 0 {
                    if d.status == .delivered, let at = d.deliveredAt, d.eventType.hasPrefix("bench.") , d.eventCreatedAt >= lagStart.addingTimeInterval(-0.001) {
                        lags.append(at.timeIntervalSince(d.eventCreatedAt))
                    } else if d.status == .pending { pending += 1 }
                }
            }
            if pending == 0 && lags.count >= total { break }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        service.stopFlag.stop()
        await loop.value
        lags.sort()
        func pct(_ p: Double) -> Double { lags.isEmpty ? .nan : lags[min(lags.count - 1, Int(Double(lags.count) * p))] * 1000 }
        await s.db.shutdown()
        await dropMaria?()
        let engineName = engine == "mariadb" ? "MariaDB (private server, pool of 8)" : "embedded SQLite"

        let text = """
        ## Outbound webhooks (`opsiq-bench webhooks`, `make bench-webhooks`)

        Run \(ISO8601DateFormatter().string(from: Date())) on \(ProcessInfo.processInfo.activeProcessorCount) cores, \(engineName), a local receiver
        (8 threads, `200 OK`), \(endpoints) endpoints side by side (order kept within each), a new connection per request (the SSRF guard pins each one).

        | Measure | Result | Ratio to baseline |
        |---|---|---|
        | Baseline: unsigned POSTs, same client, \(endpoints) concurrent | \(Int(baseRate)) requests/s | 1.00 |
        | Signed deliveries, whole pipeline (outbox → dispatcher → delivery rows → sign → send → attempt log) | \(Int(signedRate)) deliveries/s (\(delivered) in \(String(format: "%.2f", signedTime)) s) | \(String(format: "%.2f", signedRate / baseRate)) |
        | Outbox-to-delivery lag at \(rate) events/s for \(lagSeconds) s | p50 \(String(format: "%.0f", pct(0.5))) ms, p99 \(String(format: "%.0f", pct(0.99))) ms (\(lags.count) of \(total) delivered) | |

        Targets: at least 1,000 signed deliveries a second, lag p99 under 1 s.

        """
        print(text)
        if let out {
            let h = FileHandle(forWritingAtPath: out) ?? { _ = FileManager.default.createFile(atPath: out, contents: nil); return FileHandle(forWritingAtPath: out)! }()
            h.seekToEndOfFile()
            h.write(Data(text.utf8))
            try? h.close()
        }
    }
}

/// A minimal HTTP/1.1 receiver on loopback: threads blocked in accept(), each reading one request
/// (headers and Content-Length body) per connection and answering 200. Counts requests.
final class BenchReceiver: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var n = 0
    private var stopped = false

    init(threads: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok, listen(fd, 1024) == 0 else { throw ValidationError("the bench receiver could not listen") }
        port = Int(UInt16(bigEndian: addr.sin_port))
        self.threads = threads
    }

    private let threads: Int

    func start() {
        for _ in 0..<threads {
            let t = Thread { [self] in serve() }
            t.start()
        }
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return n }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        var buf = [UInt8](repeating: 0, count: 65536)
        let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { lock.lock(); let s = stopped; lock.unlock(); if s { return } else { continue } }
            var got: [UInt8] = []
            var need = -1
            while true {
                let r = read(c, &buf, buf.count)
                if r <= 0 { break }
                got += buf[0..<r]
                if need < 0, let end = Self.headerEnd(got) {
                    let head = String(decoding: got[0..<end], as: UTF8.self).lowercased()
                    var length = 0
                    if let range = head.range(of: "content-length:") {
                        length = Int(head[range.upperBound...].prefix { $0 != "\r" }.trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                    need = end + 4 + length
                }
                if need >= 0 && got.count >= need { break }
            }
            _ = reply.withUnsafeBytes { write(c, $0.baseAddress, reply.count) }
            close(c)
            lock.lock(); n += 1; lock.unlock()
        }
    }

    static func headerEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}
