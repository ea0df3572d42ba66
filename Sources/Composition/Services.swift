import Adapters
import Crypto
import Domain
import Foundation
import Logging
import Ports

/// swift-log behind the domain's logging port.
public struct SwiftLogDomainLog: DomainLog {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }
    private func meta(_ m: [String: String]) -> Logger.Metadata { m.mapValues { .string($0) } }
    public func debug(_ message: String, _ metadata: [String: String]) { logger.debug("\(message)", metadata: meta(metadata)) }
    public func info(_ message: String, _ metadata: [String: String]) { logger.info("\(message)", metadata: meta(metadata)) }
    public func warning(_ message: String, _ metadata: [String: String]) { logger.warning("\(message)", metadata: meta(metadata)) }
    public func error(_ message: String, _ metadata: [String: String]) { logger.error("\(message)", metadata: meta(metadata)) }
}

/// The one composition root: every live adapter is built here, once, and handed to the three executables.
public struct Services: Sendable {
    public let config: AppConfig
    public let logger: Logger
    public let db: any SQLDatabase
    public let clock: any TimeSource
    public let random: any RandomSource
    public let secrets: any SecretBox
    public let hasher: any PasswordHasher
    public let jobs: SQLJobStore
    public let outbox: Outbox
    public let workerStatus: any WorkerStatusStore
    public let workspaces: any WorkspaceStore
    public let users: any UserStore
    public let setup: SetupService
    public let migrations: MigrationRunner
    public let metrics: MetricsRegistry
    public let digests: any Digests
    public let sessions: any SessionStore
    public let failedLogins: any FailedLoginStore
    public let apiKeys: APIKeyService
    public let settings: SettingsService
    public let audit: any AuditStore
    public let auth: AuthService
    public let actions: ActionRegistry
    public let blocklist: Blocklist
    /// Outgoing mail; nil when OPSIQ_SMTP_URL is not set.
    public let mailer: (any MailSender)?
    /// Outbound HTTP behind the SSRF guard (webhooks, automation steps); policy from OPSIQ_OUTBOUND_*.
    public let outboundHTTP: any OutboundHTTPClient
    /// Outbound webhook endpoints (Developer > Webhooks); delivery runs in the worker (WebhookServices.swift).
    public let webhooks: WebhookEndpoints
    public let accountEmails: AccountEmails
    public let departments: any DepartmentStore
    /// The helpdesk: tickets, replies, SLA clocks.
    public let tickets: TicketService
    /// Reply templates with template variables.
    public let canned: CannedResponses
    /// Every email OpsIQ sends about tickets, written in the transaction of its cause (held here when no SMTP is set).
    public let mailOutbox: any MailOutboxStore
    /// The email template registry and the sites' edits of it.
    public let emailTemplates: EmailTemplates
    /// Renders ticket emails and writes them to the outbox.
    public let ticketMailer: TicketMailer
    /// IMAP mailboxes: settings, test connection, polling and import into tickets.
    public let mailboxes: Mailboxes
    /// Bytes kept outside the database, under `<OPSIQ_DATA_DIR>/files/`.
    public let files: any FileStorage
    /// Files on tickets (checked, stored in `files`).
    public let attachments: TicketAttachments
    /// The customer ticket portal behind the widget's tickets mode.
    public let portal: TicketPortal
    public let tracking: any TrackingStore
    public let visitors: any VisitorLookup
    public let trackingMaintenance: any TrackingMaintenance
    /// Analytics reports for the admin pages and the `analytics.*` actions.
    public let analytics: AnalyticsService
    public let analyticsLists: any AnalyticsLists
    /// Group commit for beacons (bounded; 503 when full).
    public let ingest: TrackingIngest
    /// Sites and their tracking settings, cached for the beacon.
    public let trackingSites: TrackingSiteCache
    /// Country lookup (nil when the GeoIP file is missing: visitors then show "Unknown").
    public let geo: GeoIPCountryDatabase?
    /// GeoIP country and city, the daily visitor-hash salt, custom script paths.
    public let enrichment: Enrichment
    /// Required by the first-run setup form; derived from the master key so every web process agrees.
    public let setupToken: String
    /// Automations (Developer > Triggers): triggers, conditions, steps, run log.
    public let automations: Automations
    /// Inbound platform webhooks (`/connectors.php?slug=stripe`).
    public let platformWebhooks: PlatformWebhooks
    /// The client automation steps send webhooks with: `outboundHTTP` (SSRF-guarded) unless a test swaps it.
    public let automationHTTP: OutboundHTTPRef

    /// Builds the services for `config`. Opening MariaDB is lazy, so this succeeds while the database is down.
    public static func build(config: AppConfig, logger: Logger, clock: any TimeSource = SystemClock(),
                             random: any RandomSource = SystemRandom(), spool: (any DurableSpool)? = nil) throws -> Services {
        let key = try MasterKey.resolve(config, random: random)
        let secrets = try AESGCMSecretBox(masterKey: key, previousKeys: config.previousMasterKeys)
        let db: any SQLDatabase
        switch config.database {
        case .sqlite(let path):
            do {
                db = try SQLiteDatabase(config: SQLiteConfig(path: path), logger: logger)
            } catch {
                throw ConfigError("OPSIQ_DATABASE_URL", "cannot open SQLite database at \(path): \(error)")
            }
        case .mariadb(let c):
            db = MariaDBDatabase(config: c, logger: logger)
        }
        return Services(config: config, logger: logger, db: db, clock: clock, random: random, secrets: secrets,
                        setupToken: deriveSetupToken(masterKey: key), spool: spool)
    }

    /// Wires services over an already-open database (tests pass their own database and clock).
    public init(config: AppConfig, logger: Logger, db: any SQLDatabase, clock: any TimeSource, random: any RandomSource, secrets: any SecretBox, setupToken: String, mailer: (any MailSender)? = nil,
                spool: (any DurableSpool)? = nil) {
        self.setupToken = setupToken
        self.config = config
        self.outboundHTTP = CurlOutboundHTTPClient(policy: config.outboundPolicy, userAgent: "OpsIQ/1")
        self.logger = logger
        self.db = db
        self.clock = clock
        self.random = random
        self.secrets = secrets
        self.hasher = Argon2PasswordHasher(random: random)
        self.jobs = SQLJobStore(db: db)
        self.outbox = Outbox(store: SQLOutboxStore(), clock: clock, random: random)
        self.workerStatus = SQLWorkerStatusStore(db: db)
        self.workspaces = SQLWorkspaceStore(secrets: secrets)
        self.users = SQLUserStore(db: db)
        self.setup = SetupService(db: db, users: users, workspaces: workspaces, outbox: outbox, hasher: hasher, clock: clock, random: random)
        self.migrations = MigrationRunner(db: db)
        self.metrics = MetricsRegistry()
        let digests = CryptoDigests()
        self.digests = digests
        self.sessions = SQLSessionStore(db: db)
        self.failedLogins = SQLFailedLoginStore(db: db)
        self.apiKeys = APIKeyService(store: SQLAPIKeyStore(db: db), rateLimits: SQLRateLimitStore(db: db), digests: digests, clock: clock, random: random)
        self.settings = SettingsService(store: SQLSettingsStore(db: db), db: db, clock: clock)
        self.audit = SQLAuditStore(db: db)
        var auth = AuthService(db: db, users: users, sessions: sessions, failedLogins: failedLogins, hasher: hasher, digests: digests,
                               secrets: secrets, clock: clock, random: random)
        let settingsService = settings
        auth.policyProvider = {
            let values = try await settingsService.resolved(workspace: nil)
            var p = LoginPolicy()
            if let n = values.first(where: { $0.name == "security.max_failed_logins" })?.value.intValue { p.maxFailures = Int(n) }
            if let m = values.first(where: { $0.name == "security.lockout_minutes" })?.value.intValue { p.window = TimeInterval(m * 60) }
            return p
        }
        self.auth = auth
        self.geo = try? GeoIPCountryDatabase(path: config.geoIPPath)
        self.tracking = SQLTrackingStore(db: db)
        self.visitors = SQLVisitorLookup(db: db)
        self.trackingMaintenance = SQLTrackingMaintenance(db: db)
        // SQLite has one writer anyway; on MariaDB two lanes overlap one transaction's commit with the next one's work.
        let visitorStore = self.visitors
        let ingestLog = logger
        self.ingest = TrackingIngest(store: self.tracking, lanes: db.dialect == .mariadb ? 2 : 1, capacity: config.ingestQueueCapacity, spool: spool,
                                     log: { ingestLog.warning("\($0)") }) { events in
            try await IdentityResolution.attach(events, visitors: visitorStore)
        }
        let siteLookup = workspaces
        self.trackingSites = TrackingSiteCache(settings: settings, clock: clock) { key in try await db.read { try await siteLookup.find(siteKey: key, in: $0) } }
        self.enrichment = Enrichment(config: config, logger: logger, db: db, settings: settings, workspaces: workspaces, country: geo, digests: digests, clock: clock, random: random)
        if let url = config.smtpURL, let smtp = try? SMTPConfig.parse(url: url, defaultFrom: config.mailFrom) {
            self.mailer = mailer ?? CurlSMTPMailer(config: smtp, clock: clock, random: random, logger: logger)
        } else {
            self.mailer = mailer
        }
        self.accountEmails = AccountEmails(db: db, users: users, tokens: SQLOneTimeTokenStore(db: db), jobs: jobs, hasher: hasher, digests: digests,
                                           sessions: sessions, outbox: outbox, clock: clock, random: random, baseURL: config.baseURL,
                                           mailConfigured: self.mailer != nil)
        let departments = SQLDepartmentStore(db: db)
        self.departments = departments
        let blocklist = Blocklist(store: SQLBlockedNetworkStore(db: db), clock: clock)
        self.blocklist = blocklist
        var tickets = TicketService(db: db, store: SQLTicketStore(), departments: departments, users: users, settings: settings, outbox: outbox, clock: clock)
        tickets.audit = audit
        let mailOutbox = SQLMailOutboxStore()
        self.mailOutbox = mailOutbox
        let emailTemplates = EmailTemplates(db: db, store: SQLEmailTemplateStore(), outbox: outbox, clock: clock)
        self.emailTemplates = emailTemplates
        var ticketMailer = TicketMailer(store: mailOutbox, tickets: tickets.store, templates: emailTemplates, jobs: jobs, workspaces: workspaces,
                                        departments: departments, users: users, settings: settings, clock: clock, random: random, from: config.mailFrom,
                                        smtpConfigured: self.mailer != nil)
        let mailboxStore = SQLMailboxStore()
        // Replies go back to the mailbox of the ticket's department, when it has one.
        ticketMailer.replyAddress = { ws, department, conn in
            guard let department else { return nil }
            return try await mailboxStore.list(ws, in: conn).first { $0.enabled && $0.departmentID == department }?.address
        }
        // The automatic emails link anonymous customers to their ticket in the site's portal.
        let portalStore = SQLTicketPortalStore()
        ticketMailer.portalLink = { ws, ticket, tx in
            try await TicketPortal.accessLink(ws, ticket: ticket, store: portalStore, settings: settingsService, digests: digests, random: random, now: clock.now(), in: tx)
        }
        self.ticketMailer = ticketMailer
        tickets.mailer = ticketMailer
        self.tickets = tickets
        let canned = CannedResponses(db: db, store: SQLCannedResponseStore(), tickets: tickets, outbox: outbox, clock: clock)
        self.canned = canned
        let files = LocalFileStorage(root: (config.dataDir as NSString).appendingPathComponent("files"))
        self.files = files
        let attachments = TicketAttachments(db: db, store: SQLTicketAttachmentStore(), files: files, tickets: tickets, digests: digests, random: random,
                                            outbox: outbox, clock: clock)
        self.attachments = attachments
        self.portal = TicketPortal(db: db, store: SQLTicketPortalStore(), tickets: tickets, attachments: attachments, rateLimits: SQLRateLimitStore(db: db),
                                   digests: digests, random: random, clock: clock)
        let importer = MailImport(tickets: tickets, mailer: ticketMailer, attachments: attachments, html: SQLTicketMessageHTMLStore(), log: SwiftLogDomainLog(logger: logger))
        let mailboxes = Mailboxes(db: db, store: mailboxStore, imap: CurlIMAPClient(), parser: MIMEParser(), importer: importer, secrets: secrets,
                                  workspaces: workspaces, outbox: outbox, clock: clock)
        self.mailboxes = mailboxes
        var registry = ActionRegistry()
        AccessActions.register(into: &registry, AccessServices(db: db, users: users, workspaces: workspaces, sessions: sessions, apiKeys: apiKeys,
                                                               settings: settings, audit: audit, setup: setup, outbox: outbox, secrets: secrets,
                                                               clock: clock, random: random, blocklist: blocklist,
                                                               departments: departments))
        AccessActions.registerInvitations(into: &registry, accountEmails: accountEmails)
        let analytics = AnalyticsService(reports: SQLAnalyticsReports(db: db), settings: settings, blocked: blocklist.store, clock: clock)
        self.analytics = analytics
        let analyticsLists = SQLAnalyticsLists(db: db)
        self.analyticsLists = analyticsLists
        LiveActions.register(into: &registry, visitors: self.visitors, clock: clock, analytics: analytics, lists: analyticsLists)
        AnalyticsActions.register(into: &registry, analytics: analytics, lists: analyticsLists)
        EventsAPI.register(into: &registry, tracking: self.tracking, visitors: self.visitors, settings: self.settings, digests: digests, clock: clock, random: random)
        TicketActions.register(into: &registry, tickets: tickets)
        CannedResponseActions.register(into: &registry, canned: canned)
        TicketAttachments.register(into: &registry, attachments: attachments)
        TicketPortal.register(into: &registry, portal: self.portal)
        MailActions.register(into: &registry, templates: emailTemplates, outbox: mailOutbox, tickets: tickets, db: db, settings: settings)
        MailboxActions.register(into: &registry, mailboxes: mailboxes, tickets: tickets, ownAddresses: [config.mailFrom.email.lowercased()])
        // Automations run steps from the finished registry, which they are part of: it is handed over below.
        let registryRef = ActionRegistryRef()
        let automations = Automations(db: db, store: SQLAutomationStore(), workspaces: workspaces, outbox: outbox, jobs: jobs, settings: settings, tickets: tickets,
                                      secrets: secrets, digests: digests, clock: clock, random: random, registry: registryRef, baseURL: config.baseURL)
        self.automations = automations
        let automationHTTP = OutboundHTTPRef(self.outboundHTTP)
        self.automationHTTP = automationHTTP
        EventActions.register(into: &registry, outbox: outbox, db: db)
        AutomationActions.register(into: &registry, automations: automations)
        AutomationSteps.register(into: &registry, http: { automationHTTP.client },
                                 mail: AutomationSteps.Mail(store: mailOutbox, jobs: jobs, db: db, from: config.mailFrom, smtpConfigured: self.mailer != nil,
                                                            clock: clock, random: random))
        let platformWebhooks = PlatformWebhooks(db: db, store: SQLPlatformWebhookStore(), workspaces: workspaces, outbox: outbox, secrets: secrets, digests: digests, clock: clock)
        self.platformWebhooks = platformWebhooks
        PlatformWebhooks.register(into: &registry, webhooks: platformWebhooks)
        let webhooks = WebhookEndpoints(db: db, store: SQLWebhookStore(), secrets: secrets, clock: clock, random: random, settings: config.webhookSettings)
        self.webhooks = webhooks
        WebhookActions.register(into: &registry, endpoints: webhooks, sender: Self.webhookSender(
            config: config, db: db, outbox: outbox, workspaces: workspaces, endpoints: webhooks, http: outboundHTTP, digests: digests, users: users,
            mail: mailOutbox, jobs: jobs, smtp: self.mailer != nil, clock: clock, random: random, log: SwiftLogDomainLog(logger: logger), holder: "web"))
        self.actions = registry
        registryRef.set(registry)
    }

    public var domainLog: any DomainLog { SwiftLogDomainLog(logger: logger) }

    /// The job handlers every worker knows. Later contexts add theirs here.
    public func jobHandlers() -> JobHandlers {
        var h = JobHandlers()
        Maintenance.register(into: &h, services: self)
        let retention = RetentionTask(db: db, workspaces: workspaces, settings: settings, maintenance: trackingMaintenance, clock: clock)
        h.register(RetentionTask.jobKind) { _ in try await retention.run() }
        // After a site's time zone changed, its daily rollups are recounted in the new zone (until then the
        // reports read raw sessions: right, but slower).
        let rollups = SQLTrackingMaintenance(db: db)
        let settings = self.settings
        let workspaces = self.workspaces
        let db = self.db
        let log = self.logger
        // Each site's sessions without an Intent class under its current rules (new, changed, or all after the rules
        // changed), oldest first, at most 200,000 a site a run (the next run goes on).
        let analytics = self.analytics, lists = self.analyticsLists, clock = self.clock
        h.register(AnalyticsService.intentClassifyJob) { _ in
            let now = clock.now()
            for ws in try await db.read({ try await workspaces.all(in: $0) }) {
                try await analytics.classifyPendingSessions(ws.id, from: Date(timeIntervalSince1970: 0), to: now.addingTimeInterval(86400), lists: lists, limit: 200_000)
            }
        }
        h.register(Maintenance.rezoneKind) { _ in
            for ws in try await db.read({ try await workspaces.all(in: $0) }) {
                let id = try await settings.value("timezone", workspace: ws.id)?.stringValue ?? "UTC"
                guard let zone = TimeZone(identifier: id) else { continue }
                // A new time zone, page tables not filled yet (data from before migration 27), or no rollups at all
                // for a site with sessions (data from before migration 23).
                let state = try await rollups.rollupState(ws.id)
                if let state, state.zone == zone.identifier, state.pages { continue }
                if state == nil, try await !rollups.hasSessions(ws.id) { continue }
                log.info("recounting daily analytics rollups", metadata: ["site": "\(ws.siteKey)", "from": "\(state?.zone ?? "none")", "to": "\(zone.identifier)",
                                                                         "pages": "\(state?.pages ?? false)"])
                try await rollups.rebuildDailyRollups(ws.id, zone: zone)
            }
        }
        let slaCheck = TicketSLACheck(db: db, workspaces: workspaces, store: tickets.store, outbox: outbox, clock: clock, departments: departments, audit: audit)
        h.register(TicketSLACheck.jobKind) { _ in try await slaCheck.run() }
        enrichment.register(into: &h)
        let mailboxes = self.mailboxes, jobs = self.jobs
        let own: Set<String> = [config.mailFrom.email.lowercased()]
        h.register(Mailboxes.dispatchJobKind) { _ in _ = try await mailboxes.enqueueDue(jobs: jobs) }
        h.register(Mailboxes.pollJobKind) { ctx in
            let p = try JSONValue.parse(ctx.job.payload)
            guard let ws = p["workspace_id"]?.intValue.map(WorkspaceID.init), let id = p["mailbox_id"]?.intValue else {
                throw PermanentJobFailure("mail poll job \(ctx.job.id) has a malformed payload")
            }
            do {
                _ = try await mailboxes.poll(ws, id: id, ownAddresses: own)
            } catch DomainError.notFound(let m) {
                throw PermanentJobFailure(m)  // the mailbox was deleted meanwhile
            }
        }
        let automations = self.automations
        h.register(Automations.runJobKind, policy: RetryPolicy(base: 30, factor: 3, cap: 3600, jitter: 0.3)) { ctx in
            let p = try JSONValue.parse(ctx.job.payload)
            guard let ws = p["workspace_id"]?.intValue.map(WorkspaceID.init), let run = p["run_id"]?.intValue else {
                throw PermanentJobFailure("automation job \(ctx.job.id) has a malformed payload")
            }
            try await automations.execute(ws, runID: run, attempt: ctx.job.attempts, maxAttempts: ctx.job.maxAttempts)
        }
        h.register(Automations.scheduleJobKind) { ctx in
            guard let tick = try JSONValue.parse(ctx.job.payload)["tick"]?.intValue else { throw PermanentJobFailure("schedule job \(ctx.job.id) has no tick") }
            try await automations.dispatchSchedules(tick: Date(epochMillis: tick))
        }
        h.register(Automations.eventsJobKind) { _ in try await automations.dispatchEvents() }
        if let mailer {
            let outbox = OutboxMailSender(db: db, store: mailOutbox, mailer: mailer, clock: clock)
            h.register(TicketMailer.jobKind, policy: RetryPolicy(base: 30, factor: 3, cap: 3600, jitter: 0.3)) { ctx in try await outbox.run(ctx) }
            let from = config.mailFrom
            h.register(AccountEmails.mailJobKind, policy: RetryPolicy(base: 30, factor: 3, cap: 3600, jitter: 0.3)) { ctx in
                let p = try JSONValue.parse(ctx.job.payload)
                guard let to = p["to"]?.stringValue, let subject = p["subject"]?.stringValue, let text = p["text"]?.stringValue else {
                    throw PermanentJobFailure("mail job \(ctx.job.id) has a malformed payload")
                }
                do {
                    _ = try await mailer.send(OutgoingMail(from: from, to: [MailAddress(to)], subject: subject, textBody: text, headers: [("Auto-Submitted", "auto-generated")]))
                } catch let e as MailError where e.permanent {
                    throw PermanentJobFailure(e.message)
                }
            }
        }
        return h
    }

    /// The periodic tasks every scheduler runs.
    public func periodicTasks() -> [PeriodicTask] {
        Maintenance.periodicTasks() + Automations.periodicTasks
    }

    public func makeRunner(workerID: String, concurrency: Int? = nil) -> JobRunner {
        JobRunner(config: JobRunnerConfig(workerID: workerID, concurrency: concurrency ?? config.workerConcurrency,
                                          leaseSeconds: TimeInterval(config.jobLeaseSeconds)),
                  store: jobs, handlers: jobHandlers(), clock: clock, random: random, log: domainLog)
    }

    public func makeScheduler(workerID: String) -> Scheduler {
        Scheduler(tasks: periodicTasks(), db: db, ticks: SQLScheduleStore(db: db, workerID: workerID), jobs: jobs,
                  clock: clock, log: domainLog)
    }

    /// A process-unique worker id: host, pid and a random suffix.
    public func newWorkerID(role: String) -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(role)-\(host)-\(ProcessInfo.processInfo.processIdentifier)-\(random.hexToken(bytes: 3))"
    }

    /// Embedded mode applies migrations itself; production verifies and leaves applying to `opsiq-admin migrate`.
    public func prepareSchema() async throws -> Int {
        if config.database.isEmbedded {
            try await migrations.migrate()
            return 0
        }
        return try await migrations.verify()
    }
}

/// Built-in housekeeping: pruning finished jobs, old schedule ticks, stale heartbeats, and the webhook
/// delivery and automation run logs past OPSIQ_DELIVERY_LOG_DAYS.
public enum Maintenance {
    public static let pruneKind = "platform.prune"
    public static let rezoneKind = "analytics.rollups.rezone"

    public static func periodicTasks() -> [PeriodicTask] {
        [
            PeriodicTask(name: "platform.prune", schedule: try! CronExpression("17 * * * *")) { tick in
                NewJob(kind: pruneKind, payload: "{}", queue: "default", uniqueKey: "platform.prune")
            },
            PeriodicTask(name: rezoneKind, schedule: try! CronExpression("*/10 * * * *")) { _ in
                NewJob(kind: rezoneKind, payload: "{}", queue: "default", uniqueKey: rezoneKind)
            },
            // Sessions get their Intent class in the background too, so the funnel rarely waits for it.
            PeriodicTask(name: AnalyticsService.intentClassifyJob, schedule: try! CronExpression("*/5 * * * *")) { _ in
                NewJob(kind: AnalyticsService.intentClassifyJob, payload: "{}", queue: "default", uniqueKey: AnalyticsService.intentClassifyJob)
            },
            PeriodicTask(name: "analytics.retention", schedule: try! CronExpression("41 3 * * *")) { _ in
                NewJob(kind: RetentionTask.jobKind, payload: "{}", queue: "default", uniqueKey: "analytics.retention")
            },
            VisitorSalts.periodicTask,
            TicketSLACheck.periodicTask,
            Mailboxes.periodicTask,
        ]
    }

    static func register(into h: inout JobHandlers, services: Services) {
        let jobs = services.jobs
        let db = services.db
        let clock = services.clock
        let workerStatus = services.workerStatus
        let webhookStore = services.webhooks.store
        let automationStore = services.automations.store
        let logDays = services.config.deliveryLogDays
        h.register(pruneKind) { _ in
            let now = clock.now()
            // The webhook delivery log and the automation run log, in transactions of at most 2,000 rows.
            let cutoff = now.addingTimeInterval(-Double(logDays) * 86400)
            while try await db.transaction({ try await webhookStore.pruneLog(before: cutoff, limit: 2000, in: $0) }) == 2000 {}
            while try await db.transaction({ try await automationStore.pruneRuns(before: cutoff, limit: 2000, in: $0) }) == 2000 {}
            _ = try await jobs.prune(before: now.addingTimeInterval(-86400))
            _ = try await SQLScheduleStore(db: db, workerID: "prune").prune(before: now.addingTimeInterval(-7 * 86400))
            // Rate-limit windows are at most an hour long (the ticket portal's new-ticket limit); per-address buckets would otherwise pile up.
            _ = try await SQLRateLimitStore(db: db).prune(before: now.addingTimeInterval(-2 * 3600))
            for hb in try await workerStatus.all() where now.timeIntervalSince(hb.lastSeenAt) > 86400 {
                try await workerStatus.remove(workerID: hb.workerID)
            }
        }
    }
}

/// The first-run setup token: an HMAC of a fixed label under the master key (24 hex characters).
public func deriveSetupToken(masterKey: [UInt8]) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: Data("opsiq-first-run-setup".utf8), using: SymmetricKey(data: masterKey))
    return Array(mac.prefix(12)).hexString
}
