import Adapters
import Domain
import Foundation
import Logging
import Ports
import ServiceLifecycle

/// The worker's webhook loop: moves outbox events into deliveries and sends what is due. A tight
/// poll (idle sleep `idle`) keeps the outbox-to-delivery lag well under a second.
public struct WebhookDeliveryService: Service {
    public let dispatcher: WebhookDispatcher
    public let sender: WebhookSender
    public let logger: Logger
    public let idle: TimeInterval
    public let stopFlag = StopFlag()

    public init(dispatcher: WebhookDispatcher, sender: WebhookSender, logger: Logger, idle: TimeInterval = 0.05) {
        self.dispatcher = dispatcher; self.sender = sender; self.logger = logger; self.idle = idle
    }

    /// One dispatch and one sending pass (tests and `cron run-once`); true when anything happened.
    @discardableResult
    public func runOnce() async throws -> Bool {
        let d = try await dispatcher.dispatch()
        let n = try await sender.sendDue()
        return d.events > 0 || n > 0
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
        WebhookDeliveryService(dispatcher: WebhookDispatcher(db: db, store: webhooks.store, events: outbox.store, clock: clock),
                               sender: makeWebhookSender(holder: workerID), logger: logger)
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
