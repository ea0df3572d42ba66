import Foundation
import Ports

/// Sends pending deliveries, strictly in sequence order within each endpoint, endpoints side by side.
///
/// Order: an endpoint's next delivery is always its oldest pending one, so a later event is not sent
/// before an earlier one is delivered or given up (after the last retry). A sender holds an endpoint
/// by a lease row; a sender that dies mid-flight loses nothing: the lease runs out and the delivery
/// is sent again (at least once; the receiver deduplicates by `event_id`, which never changes).
/// Only a 2xx answer is success. 410 Gone disables the endpoint at once; `disableAfterFailures`
/// consecutive failed attempts disable it too, publishing `webhook.endpoint_disabled` and emailing
/// the installation's owners. Nothing is dropped: pending deliveries wait for re-enabling.
public struct WebhookSender: Sendable {
    public let db: any SQLDatabase
    public let store: any WebhookStore
    public let outbox: Outbox
    public let workspaces: any WorkspaceStore
    public let endpoints: WebhookEndpoints
    public let http: any OutboundHTTPClient
    public let digests: any Digests
    public let notices: WebhookDisabledNotice
    public let clock: any TimeSource
    public let random: any RandomSource
    public let log: any DomainLog
    public let holder: String
    public var schedule = WebhookRetrySchedule()
    /// Endpoints sent to at the same time in one pass.
    public var concurrency = 16
    /// Deliveries one endpoint gets per pass before others have their turn.
    public var perEndpointPerPass = 200
    /// Deliveries of one endpoint sent before their results are written in one transaction. A sender
    /// that dies mid-run sends at most these again (same `event_id`), so receivers deduplicate.
    public var recordEvery = 50
    public static let excerptLength = 512

    public init(db: any SQLDatabase, store: any WebhookStore, outbox: Outbox, workspaces: any WorkspaceStore, endpoints: WebhookEndpoints,
                http: any OutboundHTTPClient, digests: any Digests, notices: WebhookDisabledNotice, clock: any TimeSource, random: any RandomSource,
                log: any DomainLog, holder: String) {
        self.db = db; self.store = store; self.outbox = outbox; self.workspaces = workspaces; self.endpoints = endpoints; self.http = http
        self.digests = digests; self.notices = notices; self.clock = clock; self.random = random; self.log = log; self.holder = holder
    }

    /// Longer than one attempt can take (the HTTP timeout) plus recording it.
    var lease: TimeInterval { endpoints.settings.timeout * 2 + 5 }

    /// One pass over every endpoint with a due delivery; returns the attempts made.
    @discardableResult
    public func sendDue() async throws -> Int {
        let due = try await db.read { try await store.dueEndpointsAllWorkspaces(now: clock.now(), limit: 256, in: $0) }
        guard !due.isEmpty else { return 0 }
        return await withTaskGroup(of: Int.self) { group in
            var total = 0
            var next = due.makeIterator()
            var running = 0
            while running < concurrency, let (ws, id) = next.next() {
                group.addTask { await self.sendEndpoint(ws, id) }
                running += 1
            }
            while let n = await group.next() {
                total += n
                if let (ws, id) = next.next() { group.addTask { await self.sendEndpoint(ws, id) } }
            }
            return total
        }
    }

    /// Sends one endpoint's due deliveries in order while they succeed; returns the attempts made.
    func sendEndpoint(_ ws: WorkspaceID, _ id: Int64) async -> Int {
        var attempts = 0
        do {
            let now = clock.now()
            guard try await db.transaction({ try await store.leaseEndpoint(ws, id: id, holder: holder, now: now, until: now.addingTimeInterval(lease), in: $0) }) else {
                return 0
            }
            do {
                attempts = try await sendLeased(ws, id)
            } catch {
                log.warning("webhook sending failed; will retry", ["endpoint_id": String(id), "error": String(describing: error)])
            }
            try await db.transaction { try await store.releaseEndpoint(ws, id: id, holder: holder, in: $0) }
        } catch {
            log.warning("webhook endpoint lease failed; will retry", ["endpoint_id": String(id), "error": String(describing: error)])
        }
        return attempts
    }

    private func sendLeased(_ ws: WorkspaceID, _ id: Int64) async throws -> Int {
        var attempts = 0
        guard let site = try await db.read({ try await workspaces.find(ws, in: $0) }) else { return 0 }
        while attempts < perEndpointPerPass {
            let want = min(recordEvery, perEndpointPerPass - attempts)
            let state = try await db.read { conn -> (WebhookEndpoint?, [WebhookDelivery], [Int64: StoredEvent]) in
                let endpoint = try await store.endpoint(ws, id: id, in: conn)
                let heads = try await store.pendingDeliveries(ws, endpoint: id, limit: want, in: conn)
                let events = try await outbox.store.events(ws, sequences: heads.map(\.eventSequence), in: conn)
                return (endpoint, heads, Dictionary(events.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a }))
            }
            guard let endpoint = state.0, endpoint.enabled, !state.1.isEmpty else { break }
            var run: [Attempted] = []
            var blocked = false
            for head in state.1 {
                guard head.nextAttemptAt.epochMillis <= clock.now().epochMillis else { blocked = true; break }  // stored times are whole milliseconds
                attempts += 1
                let done = await attempt(head, endpoint: endpoint, siteKey: site.siteKey, event: state.2[head.eventSequence])
                run.append(done)
                if !done.sendNext { blocked = true; break }
            }
            try await record(run, endpoint: endpoint)
            if blocked || state.1.count < want { break }
        }
        return attempts
    }

    /// The outcome of one attempt, not yet written.
    struct Attempted: Sendable {
        var delivery: WebhookDelivery
        var record: WebhookAttempt?
        var success: Bool
        var disableReason: String?
        /// The endpoint's next delivery may go (this one was delivered or given up for good).
        var sendNext: Bool
    }

    /// One attempt at one delivery, returned for `record`. Sending stops at the first one that is not a 2xx.
    func attempt(_ d: WebhookDelivery, endpoint: WebhookEndpoint, siteKey: String, event: StoredEvent?) async -> Attempted {
        let sentAt = clock.now()
        var delivery = d
        delivery.attempts += 1
        guard let event, event.sequence == d.eventSequence else {
            delivery.status = .failed
            delivery.lastError = "the event is no longer in the outbox"
            return Attempted(delivery: delivery, record: nil, success: false, disableReason: nil, sendNext: true)  // nothing to send; the next one may go
        }
        let body: [UInt8]
        let headers: [(String, String)]
        do {
            body = try WebhookSigning.body(eventID: event.eventID, type: event.type, createdAt: event.createdAt, siteKey: siteKey, payload: event.payload)
            headers = WebhookSigning.headers(eventID: event.eventID, sentAt: sentAt, body: body,
                                             secrets: try endpoints.signingSecrets(endpoint, now: sentAt), digests: digests)
        } catch {
            // A payload or secret that cannot be used is not the receiver's failure: kept pending, tried again later.
            delivery.attempts = d.attempts
            delivery.nextAttemptAt = sentAt.addingTimeInterval(schedule.delays.first ?? 5)
            delivery.lastError = "could not be signed: \(error)"
            return Attempted(delivery: delivery, record: nil, success: false, disableReason: nil, sendNext: false)
        }
        let outcome = await send(OutboundRequest(method: "POST", url: endpoint.url, headers: headers, body: body,
                                                 timeout: endpoints.settings.timeout, maxResponseBytes: endpoints.settings.maxResponseBytes))
        let now = clock.now()
        var disableReason: String? = nil
        if outcome.success {
            delivery.status = .delivered
            delivery.deliveredAt = now
            delivery.lastError = nil
        } else {
            if outcome.status == 410 {
                disableReason = "the endpoint answered 410 Gone"
            }
            let wait = (outcome.status == 429 || outcome.status == 503) ? WebhookRetrySchedule.retryAfter(outcome.retryAfter, now: now) : nil
            if let delay = schedule.delay(afterAttempt: delivery.attempts, random: random) {
                delivery.nextAttemptAt = now.addingTimeInterval(wait ?? delay)
            } else {
                delivery.status = .failed
            }
            delivery.lastError = outcome.error ?? "HTTP \(outcome.status ?? 0)"
        }
        delivery.lastStatusCode = outcome.status
        let record = WebhookAttempt(id: 0, deliveryID: d.id, endpointID: endpoint.id, attempt: delivery.attempts, at: sentAt,
                                    requestHeaders: headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n"),
                                    requestBody: String(decoding: body, as: UTF8.self), statusCode: outcome.status,
                                    responseExcerpt: outcome.excerpt, error: outcome.error, durationMillis: Int(now.timeIntervalSince(sentAt) * 1000))
        return Attempted(delivery: delivery, record: record, success: outcome.success, disableReason: disableReason, sendNext: outcome.success)
    }

    /// Writes a run of attempts in one transaction: the attempt log, the deliveries, the endpoint's
    /// failure count (and disabling), and a renewed lease. Only the run's last attempt can be a failure.
    func record(_ run: [Attempted], endpoint: WebhookEndpoint) async throws {
        guard !run.isEmpty else { return }
        let ws = endpoint.workspaceID
        let limit = endpoints.settings.disableAfterFailures
        let now = clock.now()
        let counted = run.filter { $0.record != nil }
        try await db.transaction { tx in
            try await store.insertAttempts(ws, counted.compactMap(\.record), in: tx)
            for a in run { try await store.updateDelivery(a.delivery, in: tx) }
            _ = try await store.leaseEndpoint(ws, id: endpoint.id, holder: holder, now: now, until: now.addingTimeInterval(lease), in: tx)
            guard let last = counted.last, var e = try await store.endpoint(ws, id: endpoint.id, in: tx) else { return }
            var failures = counted.contains(where: \.success) ? 0 : e.consecutiveFailures
            if !last.success { failures += 1 }
            var disableReason = last.disableReason
            guard failures != e.consecutiveFailures || disableReason != nil || (!last.success && failures >= limit) else { return }
            e.consecutiveFailures = failures
            if disableReason == nil && !last.success && failures >= limit { disableReason = "\(failures) consecutive failed deliveries" }
            if let reason = disableReason, e.enabled {
                e.enabled = false
                e.disabledAt = now
                e.disabledReason = reason
                try await outbox.publish("webhook.endpoint_disabled", workspace: ws, payload: [
                    "endpoint_id": .int(e.id), "url": .string(e.url), "reason": .string(reason),
                    "disabled_at": .string(WebhookSigning.timestamp(now)), "consecutive_failures": .int(Int64(failures)),
                ], in: tx)
                try await notices.notify(e, reason: reason, now: now, in: tx)
                log.warning("webhook endpoint disabled", ["endpoint_id": String(e.id), "reason": reason])
            }
            e.updatedAt = now
            try await store.updateEndpoint(e, in: tx)
        }
    }

    struct Outcome: Sendable {
        var success: Bool
        var status: Int?
        var retryAfter: String?
        var excerpt: String
        var error: String?
    }

    func send(_ request: OutboundRequest) async -> Outcome {
        do {
            let r = try await http.send(request)
            let ok = (200...299).contains(r.status)
            var excerpt = String(decoding: r.body.prefix(Self.excerptLength), as: UTF8.self)
            if r.body.count > Self.excerptLength || r.truncated { excerpt += "…" }
            return Outcome(success: ok, status: r.status, retryAfter: r.headers["retry-after"], excerpt: excerpt,
                           error: ok ? nil : (300...399).contains(r.status) ? "HTTP \(r.status): redirects are not followed" : "HTTP \(r.status)")
        } catch {
            return Outcome(success: false, status: nil, retryAfter: nil, excerpt: "", error: error.description)
        }
    }

    /// Sends a `webhook.test` event to one endpoint now, without storing a delivery; the answer is returned.
    public func sendTest(_ ws: WorkspaceID, id: Int64) async throws -> (status: Int?, excerpt: String, error: String?, eventID: String) {
        let e = try await endpoints.get(ws, id: id)
        guard let site = try await db.read({ try await workspaces.find(ws, in: $0) }) else { throw DomainError.notFound("site not found") }
        let now = clock.now()
        let eventID = outbox.newEventID()
        let body = try WebhookSigning.body(eventID: eventID, type: "webhook.test", createdAt: now, siteKey: site.siteKey,
                                           payload: #"{"endpoint_id":\#(e.id),"message":"This is a test event from OpsIQ."}"#)
        let headers = WebhookSigning.headers(eventID: eventID, sentAt: now, body: body, secrets: try endpoints.signingSecrets(e, now: now), digests: digests)
        let o = await send(OutboundRequest(url: e.url, headers: headers, body: body, timeout: endpoints.settings.timeout,
                                           maxResponseBytes: endpoints.settings.maxResponseBytes))
        return (o.status, o.excerpt, o.error, eventID)
    }
}

/// Tells the installation's owners that an endpoint was disabled, through the mail outbox.
public struct WebhookDisabledNotice: Sendable {
    public let users: any UserStore
    public let mail: any MailOutboxStore
    public let jobs: any JobStore
    public let from: MailAddress
    public let baseURL: String
    /// With no SMTP configured the mail is held in the outbox (visible in the admin) instead of queued.
    public let smtpConfigured: Bool
    public static let mailKind = "webhook.endpoint_disabled"

    public init(users: any UserStore, mail: any MailOutboxStore, jobs: any JobStore, from: MailAddress, baseURL: String, smtpConfigured: Bool) {
        self.users = users; self.mail = mail; self.jobs = jobs; self.from = from; self.baseURL = baseURL; self.smtpConfigured = smtpConfigured
    }

    func notify(_ e: WebhookEndpoint, reason: String, now: Date, in tx: any SQLConnection) async throws {
        let owners = try await users.all(in: tx).filter { $0.role == .owner && $0.active }
        for owner in owners {
            let text = """
                The webhook endpoint \(e.url) was disabled: \(reason).

                Nothing is lost: its undelivered events are kept. When the receiver works again, enable the endpoint
                under Developer > Webhooks and choose to deliver everything missed since it was disabled.

                \(baseURL)/admin/webhooks/\(e.id)
                """
            let stored = try await mail.insert(e.workspaceID, NewStoredMail(ticketID: nil, kind: Self.mailKind, automatic: true,
                                                                           status: smtpConfigured ? .queued : .held,
                                                                           mail: OutgoingMail(from: from, to: [MailAddress(owner.email, name: owner.name)],
                                                                                              subject: "Webhook endpoint disabled: \(e.url)", textBody: text,
                                                                                              headers: [("Auto-Submitted", "auto-generated")]),
                                                                           messageID: "<webhook-\(e.id)-\(now.epochMillis)-\(owner.id.raw)@opsiq>", now: now), in: tx)
            if smtpConfigured {
                _ = try await jobs.enqueue(NewJob(kind: "mail.outbox.send", payload: "{\"workspace_id\":\(e.workspaceID.raw),\"mail_id\":\(stored.id)}",
                                                  workspaceID: e.workspaceID, uniqueKey: "mail.outbox.\(stored.id)", maxAttempts: 8), now: now, in: tx)
            }
        }
    }
}
