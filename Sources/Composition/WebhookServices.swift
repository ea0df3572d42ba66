import Adapters
import Domain
import Foundation
import Logging
import Ports
import ServiceLifecycle

/// The worker's outbox loop: moves outbox events into webhook deliveries, sends what is due, and
/// starts the runs of event-triggered automations. A tight poll (idle sleep `idle`) keeps the
/// outbox-to-delivery lag, and an event trigger's start, well under a second.
public struct WebhookDeliveryService: Service {
    public let dispatcher: WebhookDispatcher
    public let sender: WebhookSender
    /// Event triggers (`Automations.dispatchEventsIfNew`); nil in benchmarks of webhooks alone.
    public let eventTriggers: (@Sendable () async throws -> Int)?
    public let logger: Logger
    public let idle: TimeInterval
    public let stopFlag = StopFlag()

    public init(dispatcher: WebhookDispatcher, sender: WebhookSender, eventTriggers: (@Sendable () async throws -> Int)? = nil,
                logger: Logger, idle: TimeInterval = 0.05) {
        self.dispatcher = dispatcher; self.sender = sender; self.eventTriggers = eventTriggers; self.logger = logger; self.idle = idle
    }

    /// One dispatch and one sending pass (tests and `cron run-once`); true when anything happened.
    @discardableResult
    public func runOnce() async throws -> Bool {
        let d = try await dispatcher.dispatch()
        var started = 0
        if let eventTriggers {
            // A failing trigger pass must not hold up webhook delivery; the cursor keeps its place.
            do { started = try await eventTriggers() } catch { logger.warning("event trigger pass failed; retrying", metadata: ["error": "\(error)"]) }
        }
        let n = try await sender.sendDue()
        return d.events > 0 || n > 0 || started > 0
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await loop()
        } onGracefulShutdown: {
            stopFlag.stop()
        }
    }

    public func loop() async {
        while !stopFlag.isStopped && !Task.isCancelled {
            do {
                if try await runOnce() { continue }
                await stopFlag.sleep(idle)
            } catch {
                logger.warning("webhook pass failed; retrying", metadata: ["error": "\(error)"])
                await stopFlag.sleep(1)
            }
        }
    }
}

extension Services {
    /// The sender for one process (`holder` names its endpoint leases).
    public func makeWebhookSender(holder: String) -> WebhookSender {
        Self.webhookSender(config: config, db: db, outbox: outbox, workspaces: workspaces, endpoints: webhooks, http: outboundHTTP, digests: digests,
                           users: users, mail: mailOutbox, jobs: jobs, smtp: mailer != nil, clock: clock, random: random, log: domainLog, holder: holder)
    }

    public func makeWebhookService(workerID: String) -> WebhookDeliveryService {
        let automations = self.automations
        return WebhookDeliveryService(dispatcher: WebhookDispatcher(db: db, store: webhooks.store, events: outbox.store, clock: clock),
                                      sender: makeWebhookSender(holder: workerID),
                                      eventTriggers: { try await automations.dispatchEventsIfNew() }, logger: logger)
    }

    static func webhookSender(config: AppConfig, db: any SQLDatabase, outbox: Outbox, workspaces: any WorkspaceStore, endpoints: WebhookEndpoints,
                              http: any OutboundHTTPClient, digests: any Digests, users: any UserStore, mail: any MailOutboxStore, jobs: any JobStore,
                              smtp: Bool, clock: any TimeSource, random: any RandomSource, log: any DomainLog, holder: String) -> WebhookSender {
        WebhookSender(db: db, store: endpoints.store, outbox: outbox, workspaces: workspaces, endpoints: endpoints, http: http, digests: digests,
                      notices: WebhookDisabledNotice(users: users, mail: mail, jobs: jobs, from: config.mailFrom, baseURL: config.baseURL, smtpConfigured: smtp),
                      clock: clock, random: random, log: log, holder: holder)
    }
}

extension AppConfig {
    public var webhookSettings: WebhookSettings {
        WebhookSettings(disableAfterFailures: webhookDisableAfter, timeout: TimeInterval(webhookTimeoutSeconds), allowHTTP: outboundPolicy.allowHTTP)
    }
}
