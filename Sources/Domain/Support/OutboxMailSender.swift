import Foundation
import Ports

/// The `mail.outbox.send` job: hands one stored email to SMTP and records the outcome on it. A
/// temporary failure is retried by the job queue (backoff); a permanent refusal, or the last
/// attempt, marks the email `failed` with the server's reason.
public struct OutboxMailSender: Sendable {
    public let db: any SQLDatabase
    public let store: any MailOutboxStore
    public let mailer: any MailSender
    public let clock: any TimeSource

    public init(db: any SQLDatabase, store: any MailOutboxStore, mailer: any MailSender, clock: any TimeSource) {
        self.db = db; self.store = store; self.mailer = mailer; self.clock = clock
    }

    public func run(_ ctx: JobContext) async throws {
        let p = try JSONValue.parse(ctx.job.payload)
        guard let ws = p["workspace_id"]?.intValue.map(WorkspaceID.init), let id = p["mail_id"]?.intValue else {
            throw PermanentJobFailure("mail job \(ctx.job.id) has a malformed payload")
        }
        guard let stored = try await db.read({ try await store.find(ws, id: id, in: $0) }) else {
            throw PermanentJobFailure("outgoing mail \(id) no longer exists")
        }
        guard stored.status == .queued else { return }  // already sent (a retried job after a lost acknowledgement)
        do {
            _ = try await mailer.send(stored.mail)
            try await db.transaction { try await store.recordAttempt(ws, id: id, status: .sent, error: nil, now: clock.now(), in: $0) }
        } catch let e as MailError {
            let last = e.permanent || ctx.job.attempts >= ctx.job.maxAttempts
            try await db.transaction { try await store.recordAttempt(ws, id: id, status: last ? .failed : .queued, error: e.message, now: clock.now(), in: $0) }
            if e.permanent { throw PermanentJobFailure(e.message) }
            throw e
        }
    }
}
