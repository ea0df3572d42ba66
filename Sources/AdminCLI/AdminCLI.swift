import ArgumentParser
import Composition
import Domain
import Foundation
import Logging
import Ports

/// Exit codes scripts can rely on.
enum Exit {
    static let problems = ExitCode(1)      // the command ran and found problems (doctor failures, job not found)
    static let usage = ExitCode(2)         // bad configuration or usage
    static let unreachable = ExitCode(3)   // the database cannot be reached
}

@main
struct AdminCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opsiq-admin",
        abstract: "Operate an OpsIQ installation: schema, diagnostics, jobs, cron, accounts.",
        discussion: """
        Reads the same OPSIQ_* settings as opsiq-web and opsiq-worker (environment, or the file named by OPSIQ_CONFIG_FILE).
        Exit status: 0 success; 1 the command found problems; 2 bad configuration or usage; 3 database unreachable.
        """,
        subcommands: [Migrate.self, Doctor_.self, Cron.self, Jobs.self, CreateOwner.self, CreateSite.self, SetupToken.self, ActionCommand.self, Secrets.self, ResetPassword.self, Dev.self])
}

/// Loads configuration and services for one command, mapping failures to the documented exit codes.
func loadServices() throws -> Services {
    let config: AppConfig
    do { config = try AppConfig.load() } catch {
        FileHandle.standardError.write(Data("opsiq-admin: \(error)\n".utf8))
        throw Exit.usage
    }
    var logger = Logger(label: "opsiq.admin")
    logger.logLevel = config.logLevel == .info ? .warning : config.logLevel
    do { return try Services.build(config: config, logger: logger) } catch {
        FileHandle.standardError.write(Data("opsiq-admin: \(error)\n".utf8))
        throw error is ConfigError ? Exit.usage : Exit.problems
    }
}

/// Maps a database error to exit status 3 with a message; other errors pass through.
func mapUnavailable<T>(_ services: Services, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as SQLError where e.isUnavailable {
        FileHandle.standardError.write(Data("opsiq-admin: cannot reach the database (\(services.config.database.redacted)): \(e)\n".utf8))
        await services.db.shutdown()
        throw Exit.unreachable
    }
}

func fail(_ message: String, _ code: ExitCode) -> ExitCode {
    FileHandle.standardError.write(Data("opsiq-admin: \(message)\n".utf8))
    return code
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations (idempotent; safe to run from several hosts at once).")
    @Flag(help: "Only show each migration's state; change nothing.") var status = false

    func run() async throws {
        let s = try loadServices()
        try await mapUnavailable(s) {
            if status {
                let states = try await s.migrations.status()
                for st in states { print(String(format: "%04d  %-9@  %@", st.version, st.kind.rawValue, st.name)) }
                if states.contains(where: { $0.kind == .changed || $0.kind == .unknown }) { throw Exit.problems }
                return
            }
            do {
                let applied = try await s.migrations.migrate()
                print(applied.isEmpty ? "Schema is current (\(s.migrations.migrations.count) migrations)." : "Applied migrations: \(applied.map(String.init).joined(separator: ", ")).")
            } catch let e as Adapters_MigrationError {
                await s.db.shutdown()
                throw fail("\(e)", Exit.problems)
            }
        }
        await s.db.shutdown()
    }
}

struct Doctor_: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "Check database, migrations, worker heartbeat, scheduler, GeoIP and disk, each with a fix hint.")

    func run() async throws {
        let s = try loadServices()
        let checks = await Doctor(services: s).run()
        await s.db.shutdown()
        for c in checks {
            print("[\(c.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))] \(c.name): \(c.detail)")
            if let fix = c.fix, c.status != .ok { print("       fix: \(fix)") }
        }
        if checks.first(where: { $0.name == "database" })?.status == .fail { throw Exit.unreachable }
        if checks.contains(where: { $0.status == .fail }) { throw Exit.problems }
    }
}

struct Cron: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Scheduler commands for installs that use system cron.", subcommands: [RunOnce.self])

    struct RunOnce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run-once", abstract: "Do one scheduler tick, then run due jobs until none are left (at most --max-seconds).")
        @Option(help: "Stop starting new jobs after this many seconds.") var maxSeconds: Int = 50

        func run() async throws {
            let s = try loadServices()
            try await mapUnavailable(s) {
                if s.config.database.isEmbedded { try await s.migrations.migrate() }
                let id = s.newWorkerID(role: "cron")
                let scheduler = s.makeScheduler(workerID: id)
                let enqueued = try await scheduler.tick()
                let runner = s.makeRunner(workerID: id)
                try await s.workerStatus.beat(WorkerHeartbeat(workerID: id, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier),
                                                              startedAt: s.clock.now(), lastSeenAt: s.clock.now(), jobsDone: 0))
                let ran = try await runner.drain(deadline: s.clock.now().addingTimeInterval(TimeInterval(maxSeconds)))
                try await s.workerStatus.beat(WorkerHeartbeat(workerID: id, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier),
                                                              startedAt: s.clock.now(), lastSeenAt: s.clock.now(), jobsDone: runner.jobsDone))
                print("tick: scheduled \(enqueued.count) task(s)\(enqueued.isEmpty ? "" : " (\(enqueued.joined(separator: ", ")))"); ran \(ran) job(s), \(runner.jobsDone) succeeded")
            }
            await s.db.shutdown()
        }
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect and retry background jobs.", subcommands: [List.self, Retry.self, Dead.self])

    static func printTable(_ jobs: [JobRecord]) {
        print("ID        STATUS   KIND                          ATTEMPTS  RUN AT                LAST ERROR")
        let f = ISO8601DateFormatter()
        for j in jobs {
            let err = (j.lastError ?? "").replacingOccurrences(of: "\n", with: " ").prefix(60)
            print("\(String(j.id).padding(toLength: 9, withPad: " ", startingAt: 0)) \(j.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(j.kind.padding(toLength: 29, withPad: " ", startingAt: 0)) \("\(j.attempts)/\(j.maxAttempts)".padding(toLength: 9, withPad: " ", startingAt: 0)) \(f.string(from: j.runAt))  \(err)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List recent jobs, newest first, with counts by status.")
        @Option(help: "Only this status: queued, running, done or dead.") var status: String?
        @Option(help: "How many to show.") var limit: Int = 50

        func run() async throws {
            var st: JobStatus? = nil
            if let status {
                guard let v = JobStatus(rawValue: status) else { throw fail("--status must be queued, running, done or dead; got '\(status)'", Exit.usage) }
                st = v
            }
            let s = try loadServices()
            try await mapUnavailable(s) {
                let counts = try await s.jobs.counts()
                print(JobStatus.allCases.map { "\($0.rawValue): \(counts[$0] ?? 0)" }.joined(separator: "  "))
                Jobs.printTable(try await s.jobs.list(status: st, limit: max(1, min(limit, 10_000))))
            }
            await s.db.shutdown()
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead-lettered jobs (failed on every attempt).")
        @Option(help: "How many to show.") var limit: Int = 50
        func run() async throws {
            let s = try loadServices()
            try await mapUnavailable(s) { Jobs.printTable(try await s.jobs.list(status: .dead, limit: max(1, limit))) }
            await s.db.shutdown()
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a dead job back in the queue with a fresh attempt budget.")
        @Argument(help: "The job id (from jobs list or jobs dead).") var id: Int64
        func run() async throws {
            let s = try loadServices()
            try await mapUnavailable(s) {
                guard try await s.jobs.retry(id: id, now: s.clock.now()) else {
                    await s.db.shutdown()
                    throw fail("job \(id) not found, or not dead", Exit.problems)
                }
                print("Job \(id) queued again.")
            }
            await s.db.shutdown()
        }
    }
}

struct CreateOwner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-owner", abstract: "Create the Owner account (there is exactly one).")
    @Option(help: "The Owner's email address.") var email: String
    @Option(help: "The Owner's name.") var name: String
    @Flag(help: "Read the password from standard input (one line) instead of prompting.") var passwordStdin = false

    func run() async throws {
        let password: String
        if passwordStdin {
            password = readLine(strippingNewline: true) ?? ""
        } else {
            guard let p = getpass("Password (at least 12 characters): ") else { throw Exit.usage }
            password = String(cString: p)
        }
        let s = try loadServices()
        try await mapUnavailable(s) {
            if s.config.database.isEmbedded { try await s.migrations.migrate() }
            do {
                let u = try await s.setup.createOwner(.init(email: email, name: name, password: password))
                print("Owner \(u.email) created (id \(u.id)).")
            } catch let e as DomainError {
                await s.db.shutdown()
                switch e {
                case .validation: throw fail("\(e)", Exit.usage)
                default: throw fail("\(e)", Exit.problems)
                }
            }
        }
        await s.db.shutdown()
    }
}

struct CreateSite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-site", abstract: "Create a site (workspace) and print its site key and tracking snippet.")
    @Option(help: "The site's name.") var name: String
    @Option(help: "The site's domain, like shop.example.com.") var domain: String
    @Option(help: "A short description.") var description: String = ""

    func run() async throws {
        let s = try loadServices()
        try await mapUnavailable(s) {
            if s.config.database.isEmbedded { try await s.migrations.migrate() }
            do {
                let w = try await s.setup.createSite(.init(name: name, domain: domain, description: description))
                print("Site \(w.name) created (id \(w.id)).")
                print("site key: \(w.siteKey)")
                print("snippet:  <script src=\"\(s.config.baseURL)/widget.php\" data-site-key=\"\(w.siteKey)\" async></script>")
            } catch let e as DomainError {
                await s.db.shutdown()
                throw fail("\(e)", Exit.usage)
            }
        }
        await s.db.shutdown()
    }
}

struct SetupToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "setup-token", abstract: "Print the first-run setup URL with its token.")
    func run() async throws {
        let s = try loadServices()
        print("\(s.config.baseURL)/setup?token=\(s.setupToken)")
        await s.db.shutdown()
    }
}

struct ActionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "action", abstract: "List and run registered actions (the same registry as the REST API), as the Owner.",
                                                    subcommands: [List.self, Run.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every registered action with its scope and risk.")
        @Flag(help: "Print JSON instead of a table.") var json = false
        func run() async throws {
            let s = try loadServices()
            let defs = s.actions.sorted
            if json {
                print(JSONValue.array(defs.map { d in
                    .object(["name": .string(d.name), "summary": .string(d.summary), "scope": .string(d.scope), "risk": .string(d.risk.rawValue),
                             "site_key_required": .bool(d.workspaceScoped), "api_key_allowed": .bool(d.apiKeyAllowed)])
                }).encoded())
            } else {
                for d in defs { print("\(d.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(d.scope.padding(toLength: 16, withPad: " ", startingAt: 0)) \(d.risk.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(d.summary)") }
            }
            await s.db.shutdown()
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run one action and print its JSON result.",
                                                        discussion: "Example: opsiq-admin action run settings.set --site-key site_abc --json '{\"name\":\"timezone\",\"value\":\"Europe/Berlin\"}'")
        @Argument(help: "The action name, e.g. sites.list.") var name: String
        @Option(help: "Parameters as a JSON object.") var json: String = "{}"
        @Option(help: "The site to act in (for site actions).") var siteKey: String?

        func run() async throws {
            guard case .object(let params)? = try? JSONValue.parse(json) else { throw fail("--json must be a JSON object", Exit.usage) }
            let s = try loadServices()
            try await mapUnavailable(s) {
                if s.config.database.isEmbedded { try await s.migrations.migrate() }
                let owner = try await s.db.read { conn in try await s.users.all(in: conn).first { $0.role == .owner } }
                let actor: Actor = owner.map { .user($0, agentWorkspaces: []) } ?? .system("opsiq-admin")
                let db = s.db, ws = s.workspaces
                do {
                    let result = try await s.actions.invoke(name, actor: actor, siteKey: siteKey ?? params["site_key"]?.stringValue, params: params, ip: "cli") { sk in
                        try await db.read { try await ws.find(siteKey: sk, in: $0) }
                    }
                    print(JSONValue.object(["ok": .bool(true), "data": result]).encoded())
                } catch let e as DomainError {
                    await s.db.shutdown()
                    print(JSONValue.object(["ok": .bool(false), "error": .object(["message": .string(e.description)])]).encoded())
                    switch e {
                    case .validation: throw Exit.usage
                    default: throw Exit.problems
                    }
                }
            }
            await s.db.shutdown()
        }
    }
}

struct Secrets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stored secrets (sealed with the master key).", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored secret under the current master key.",
            discussion: """
            To change the master key: generate a new one (openssl rand -base64 32), set it as OPSIQ_MASTER_KEY and the old one as
            OPSIQ_MASTER_KEY_PREVIOUS for every process, run this command, then remove OPSIQ_MASTER_KEY_PREVIOUS. Safe to run again.
            """)
        func run() async throws {
            let s = try loadServices()
            try await mapUnavailable(s) {
                let r = try await Adapters_SecretRotation(db: s.db, secrets: s.secrets).rotate()
                print("re-encrypted \(r.resealed) secret(s); \(r.alreadyCurrent) already under the current key")
                if !r.unreadable.isEmpty {
                    await s.db.shutdown()
                    throw fail("\(r.unreadable.count) secret(s) open with no configured key (add the key they were sealed with to OPSIQ_MASTER_KEY_PREVIOUS): \(r.unreadable.joined(separator: ", "))", Exit.problems)
                }
            }
            await s.db.shutdown()
        }
    }
}

struct ResetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset-password", abstract: "Set a team member's password (for installations without outgoing mail); ends their sessions.")
    @Option(help: "The member's email.") var email: String
    @Flag(help: "Read the new password from standard input.") var passwordStdin = false

    func run() async throws {
        let password: String
        if passwordStdin { password = readLine(strippingNewline: true) ?? "" } else {
            guard let p = getpass("New password (at least 12 characters): ") else { throw Exit.usage }
            password = String(cString: p)
        }
        guard password.count >= SetupService.minimumPasswordLength else { throw fail("password: must be at least \(SetupService.minimumPasswordLength) characters", Exit.usage) }
        let s = try loadServices()
        try await mapUnavailable(s) {
            guard let u = try await s.db.read({ try await s.users.find(email: email.lowercased(), in: $0) }) else {
                await s.db.shutdown()
                throw fail("no team member with email \(email)", Exit.problems)
            }
            let hash = try s.hasher.hash(password)
            try await s.db.transaction { tx in try await s.users.setPassword(u.id, hash: hash, now: s.clock.now(), in: tx) }
            let ended = try await s.auth.logoutEverywhere(u.id)
            print("Password of \(u.email) changed; \(ended) session(s) ended.")
        }
        await s.db.shutdown()
    }
}
