import Adapters
import ArgumentParser
import Composition
import Domain
import Foundation
import Logging
import Ports

/// `opsiq-bench mail-import`: 10,000 realistic emails (`MailCorpus`) bulk-APPENDed to a private
/// Dovecot over one connection (bench/mail/append.py), then imported end to end by the real poller
/// (`Mailboxes.poll`: STATUS+SEARCH, chunked fetch over one session, MIME parser, threading, tickets,
/// attachments, acknowledgements into the mail outbox, progress per message) into SQLite and a private
/// MariaDB. Baselines: the same messages fetched raw over IMAP by the same client, parsed only, and the
/// same row count inserted raw (one row per transaction, as the importer commits per message).
/// `scripts/bench.sh mail` (`make bench-mail`) starts the servers.
struct MailImportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mail-import", abstract: "Import emails from IMAP into tickets (SQLite and MariaDB).")
    @Option(help: "Messages to load and import.") var messages: Int = 10_000
    @Option(help: "IMAPS port of the private Dovecot (scripts/test-dovecot.sh).") var imapPort: Int
    @Option(help: "Dovecot user.") var imapUser: String = "bench"
    @Option(help: "Dovecot password.") var imapPassword: String = "benchpw"
    @Option(help: "The bulk-append helper.") var appendScript: String = "bench/mail/append.py"
    @Option(help: "MariaDB URL of a server the bench may create databases on (default: $OPSIQ_BENCH_MARIADB_URL).") var mariadbURL: String?
    @Option(help: "Append the results as Markdown to this file.") var out: String?

    func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let t0 = ContinuousClock.now
        try await body()
        return (ContinuousClock.now - t0).seconds
    }

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-mail-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let corpus = MailCorpus(count: messages)
        let s = corpus.stats
        let file = dir.appendingPathComponent("corpus.bin").path
        try corpus.write(to: file)
        let appendSeconds = try await seconds { try bulkAppend(file) }
        var text = """
            ## Mail import from IMAP (`opsiq-bench mail-import`)

            Run \(ISO8601DateFormatter().string(from: Date())): \(messages) messages (\(String(format: "%.1f", Double(s.bytes) / 1_048_576)) MB) in a private Dovecot \
            (IMAPS on loopback), \(s.threads) new threads, \(s.replies) replies threaded by In-Reply-To/References, \(s.htmlOnly) HTML-only, \
            \(s.attachments) with a PDF attachment (8–60 KB), \(s.inline) with an inline image, \(s.auto) auto-replies. Bulk APPEND over one connection: \
            \(String(format: "%.1f", appendSeconds)) s.

            """
        let account = IMAPAccount(host: "127.0.0.1", port: imapPort, security: .tls, username: imapUser, password: imapPassword, verifyPeer: false, timeoutSeconds: 30)
        let imap = CurlIMAPClient()
        // Baseline 1: the same messages fetched raw, in the poller's chunks of 25 over one session each.
        var fetchedBytes = 0
        var raws: [[UInt8]] = []
        let fetchSeconds = try await seconds {
            let uids = try await imap.newUIDs(account, after: 0).uids
            guard uids.count == messages else { throw ValidationError("Dovecot holds \(uids.count) messages, expected \(messages)") }
            var i = 0
            while i < uids.count {
                let chunk = Array(uids[i..<min(i + 25, uids.count)])
                for m in try await imap.fetch(account, uids: chunk) { fetchedBytes += m.raw.count; raws.append(m.raw) }
                i += chunk.count
            }
        }
        await imap.shutdown()
        // Baseline 2: MIME parsing alone.
        let parser = MIMEParser()
        var parsed = 0
        let parseSeconds = await seconds { for r in raws { parsed += parser.parse(r).subject.count > 0 ? 1 : 0 } }
        raws = []

        var rows: [String] = []
        func row(_ label: String, _ secs: Double, base: Double) -> String {
            "| \(label) | \(String(format: "%.2f", secs)) | \(String(format: "%.0f", Double(messages) / secs)) | \(String(format: "%.1f×", secs / max(base, 0.0001))) |"
        }
        rows.append(row("baseline: fetch raw over IMAP (chunks of 25, one session each)", fetchSeconds, base: fetchSeconds))
        rows.append(row("baseline: MIME-parse only (in memory)", parseSeconds, base: fetchSeconds))

        let sqlitePath = dir.appendingPathComponent("mail.sqlite").path
        let sqlite = try SQLiteDatabase(config: SQLiteConfig(path: sqlitePath), logger: logger)
        rows += try await suite("SQLite", sqlite, dataDir: dir.appendingPathComponent("data-sqlite").path, logger: logger, fetchSeconds: fetchSeconds)
        await sqlite.shutdown()
        if let url = mariadbURL ?? ProcessInfo.processInfo.environment["OPSIQ_BENCH_MARIADB_URL"], !url.isEmpty {
            var admin = try MariaDBConfig.parse(url: url)
            admin.poolSize = 1
            let adminDB = MariaDBDatabase(config: admin, logger: logger)
            let name = "opsiq_mbench_\(Int(Date().timeIntervalSince1970))"
            _ = try await adminDB.write { try await $0.execute("CREATE DATABASE \(name) CHARACTER SET utf8mb4") }
            var cfg = admin
            cfg.database = name
            cfg.poolSize = 4
            let maria = MariaDBDatabase(config: cfg, logger: logger)
            rows += try await suite("MariaDB", maria, dataDir: dir.appendingPathComponent("data-maria").path, logger: logger, fetchSeconds: fetchSeconds)
            await maria.shutdown()
            _ = try? await adminDB.write { try await $0.execute("DROP DATABASE \(name)") }
            await adminDB.shutdown()
        } else {
            rows.append("| MariaDB | skipped: no MariaDB URL (run `make bench-mail`, which starts a private server) | | |")
        }
        text += """

            | step | seconds | messages/s | time vs. raw fetch |
            |---|---:|---:|---:|
            \(rows.joined(separator: "\n"))

            "Import" is the real poller end to end (`Mailboxes.poll` at its default batch of 200 per poll, repeated until the folder is drained): \
            list, fetch, parse, thread, create the ticket or add the reply, keep the attachments, queue the acknowledgement in the mail outbox \
            and record the poll position after each message. The bench checks every message ended up on a ticket.

            """
        print(text)
        if let out {
            let old = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            try (old + text).write(toFile: out, atomically: true, encoding: .utf8)
        }
    }

    /// `append.py` over one IMAPS connection.
    func bulkAppend(_ file: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [appendScript, "127.0.0.1", String(imapPort), imapUser, imapPassword, file]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let outText = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0, Int(outText.trimmingCharacters(in: .whitespacesAndNewlines)) == messages else {
            throw ValidationError("bulk APPEND failed (status \(p.terminationStatus)): \(outText)")
        }
    }

    /// The real import on one engine, then the raw-insert baseline on the same database.
    func suite(_ engine: String, _ db: any SQLDatabase, dataDir: String, logger: Logger, fetchSeconds: Double) async throws -> [String] {
        let key = String(repeating: "ab", count: 32)
        let config = try AppConfig.load(environment: ["OPSIQ_DATA_DIR": dataDir, "OPSIQ_MASTER_KEY": key])
        let master = MasterKey.decode(key)!
        let services = Services(config: config, logger: logger, db: db, clock: SystemClock(), random: SystemRandom(), secrets: try AESGCMSecretBox(masterKey: master),
                                setupToken: deriveSetupToken(masterKey: master))
        try await services.migrations.migrate()
        let site = try await services.setup.createSite(.init(name: "Shop", domain: "shop.example"))
        let ws = site.id
        let department = try await db.transaction { try await services.departments.insert(ws, name: "Support", now: Date(), in: $0) }
        var mailboxes = services.mailboxes
        mailboxes.verifyPeer = false
        let box = try await mailboxes.save(ws, id: nil, MailboxFields(name: "Support", address: "support@shop.example", host: "127.0.0.1", port: imapPort,
                                                                       security: .tls, username: imapUser, password: imapPassword, folder: "INBOX",
                                                                       departmentID: department.id, pollMinutes: 1, enabled: true))
        var created = 0, replied = 0, duplicate = 0, ignored = 0, polls = 0
        let importSeconds = try await seconds {
            while true {
                let r = try await mailboxes.poll(ws, id: box.id, ownAddresses: ["help@shop.example"])
                if let e = r.error { throw ValidationError("poll failed: \(e)") }
                if r.imported.isEmpty { break }
                polls += 1
                for o in r.imported {
                    switch o {
                    case .created: created += 1
                    case .replied: replied += 1
                    case .duplicate: duplicate += 1
                    case .ignored: ignored += 1
                    }
                }
            }
        }
        let counts = try await db.read { conn in
            func count(_ table: String) async throws -> Int64 {
                try await conn.queryFirst("SELECT COUNT(*) AS n FROM \(table) WHERE workspace_id = ?", [.int(ws.raw)]).map { try $0.int("n") } ?? 0
            }
            return (try await count("tickets"), try await count("ticket_messages"), try await count("ticket_attachments"), try await count("mail_outbox"))
        }
        guard counts.1 == Int64(messages), created + replied == messages else {
            throw ValidationError("\(engine): \(counts.1) ticket messages for \(messages) emails (created \(created), replied \(replied), duplicate \(duplicate), ignored \(ignored))")
        }
        // Baseline 3: the same number of rows inserted raw, one per transaction.
        try await db.write { try await $0.execute("CREATE TABLE bench_mail_raw (id BIGINT PRIMARY KEY, message_id VARCHAR(255) NOT NULL, body TEXT NOT NULL)") }
        let body = String(repeating: "Hello, my parcel has not arrived. ", count: 20)
        let rawSeconds = try await seconds {
            for i in 0..<messages {
                try await db.transaction { try await $0.execute("INSERT INTO bench_mail_raw (id, message_id, body) VALUES (?, ?, ?)", [.int(Int64(i + 1)), .text("<m\(i)@x>"), .text(body)]) }
            }
        }
        return [
            "| \(engine): baseline, the same row count inserted raw (one row per transaction) | \(String(format: "%.2f", rawSeconds)) | \(String(format: "%.0f", Double(messages) / rawSeconds)) | \(String(format: "%.1f×", rawSeconds / fetchSeconds)) |",
            "| **\(engine): import end to end** (\(polls) polls; \(counts.0) tickets, \(counts.1) messages, \(counts.2) attachments, \(counts.3) acknowledgements queued) | \(String(format: "%.2f", importSeconds)) | **\(String(format: "%.0f", Double(messages) / importSeconds))** | \(String(format: "%.1f×", importSeconds / fetchSeconds)) |",
        ]
    }
}
