import Foundation
import Ports

/// A step failed in a way that trying again later may fix (a receiver's 5xx or 429, a timeout):
/// the run's job is retried with backoff and resumes at this step.
public struct AutomationStepRetry: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let retryAfter: TimeInterval?
    public init(_ message: String, retryAfter: TimeInterval? = nil) { self.message = message; self.retryAfter = retryAfter }
    public var description: String { message }
}

/// The two actions that exist for automations: POST a templated payload to a URL (through the
/// SSRF-guarded outbound client) and send an email through the mail outbox.
public enum AutomationSteps {
    public static let sendWebhook = "automations.send_webhook"
    public static let sendEmail = "automations.send_email"
    static let admins: Set<Role> = [.owner, .fullAdmin]

    /// What the email step needs from the mail outbox.
    public struct Mail: Sendable {
        public let store: any MailOutboxStore
        public let jobs: any JobStore
        public let db: any SQLDatabase
        public let from: MailAddress
        public let smtpConfigured: Bool
        public let clock: any TimeSource
        public let random: any RandomSource
        public init(store: any MailOutboxStore, jobs: any JobStore, db: any SQLDatabase, from: MailAddress, smtpConfigured: Bool, clock: any TimeSource, random: any RandomSource) {
            self.store = store; self.jobs = jobs; self.db = db; self.from = from; self.smtpConfigured = smtpConfigured; self.clock = clock; self.random = random
        }
    }

    public static func register(into r: inout ActionRegistry, http: @escaping @Sendable () -> (any OutboundHTTPClient)?, mail: Mail) {
        r.register(ActionDefinition(name: sendWebhook, summary: "POST a JSON payload to a URL (an automation step: Slack incoming webhooks, chat tools, your own endpoint). Private and internal addresses are refused.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("url", .string(maxLength: 2000, format: "uri"), required: true, "The receiver's https:// URL."),
                                             ActionParam("body", .any, required: true, "The payload: an object or list is sent as JSON, a text as it is."),
                                             ActionParam("headers", .object, "Extra request headers (name to value)."),
                                             ActionParam("method", .string(maxLength: 6, enumValues: ["POST", "PUT", "PATCH"]), "POST (default), PUT or PATCH.")]) { inv in
            guard let client = http() else { throw DomainError.conflict("outbound HTTP is not available in this process") }
            let url = inv.string("url") ?? ""
            guard url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://") else {
                throw DomainError.validation(field: "url", message: "must be an absolute http(s) URL")
            }
            var headers: [(String, String)] = []
            let bodyText: String
            switch inv.params["body"] {
            case .string(let s)?: bodyText = s; headers.append(("Content-Type", "text/plain; charset=utf-8"))
            case let v?: bodyText = v.encoded(); headers.append(("Content-Type", "application/json"))
            case nil: bodyText = "{}"; headers.append(("Content-Type", "application/json"))
            }
            if case .object(let h)? = inv.params["headers"] {
                for k in h.keys.sorted() {
                    guard k.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }), let v = h[k]?.stringValue ?? h[k].map({ AutomationTemplate.text($0) }),
                          !v.contains("\r"), !v.contains("\n") else {
                        throw DomainError.validation(field: "headers.\(k)", message: "must be a header name with a one-line text value")
                    }
                    if k.lowercased() == "content-type" { headers.removeAll { $0.0 == "Content-Type" } }
                    headers.append((k, v))
                }
            }
            headers.append(("User-Agent", "OpsIQ-Automations/1"))
            let response: OutboundResponse
            do throws(OutboundHTTPError) {
                response = try await client.send(OutboundRequest(method: inv.string("method") ?? "POST", url: url, headers: headers, body: Array(bodyText.utf8),
                                                                 timeout: 15, maxResponseBytes: 16 * 1024))
            } catch {
                switch error {
                case .invalidURL, .insecureScheme, .blockedAddress: throw DomainError.validation(field: "url", message: error.description)
                default: throw AutomationStepRetry(error.description)
                }
            }
            let excerpt = String(decoding: response.body.prefix(500), as: UTF8.self)
            switch response.status {
            case 200..<300:
                return .object(["status": .int(Int64(response.status)), "body": .string(excerpt)])
            case 429, 500...599:
                throw AutomationStepRetry("the receiver answered \(response.status)", retryAfter: response.headers["retry-after"].flatMap { TimeInterval($0) })
            default:
                throw DomainError.conflict("the receiver answered \(response.status): \(excerpt.prefix(200))")
            }
        })
        r.register(ActionDefinition(name: sendEmail, summary: "Send an email (an automation step: digests, alerts). It goes through the mail outbox like every OpsIQ email; without SMTP it is held there.",
                                    scope: "settings.write", roles: admins, risk: .write, workspaceScoped: true,
                                    params: [ActionParam("to", .any, required: true, "One address or a list of addresses."),
                                             ActionParam("subject", .string(maxLength: 255), required: true, "The subject."),
                                             ActionParam("text", .string(maxLength: 200_000), required: true, "The plain-text body.")]) { inv in
            var to: [String] = []
            switch inv.params["to"] {
            case .string(let s)?: to = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case .array(let a)?: to = a.compactMap(\.stringValue).map { $0.trimmingCharacters(in: .whitespaces) }
            default: break
            }
            to = to.filter { !$0.isEmpty }
            guard !to.isEmpty, to.count <= 20 else { throw DomainError.validation(field: "to", message: "give 1 to 20 email addresses") }
            for a in to where !(a.contains("@") && !a.contains(" ") && a.count <= 190 && !a.hasPrefix("@") && !a.hasSuffix("@")) {
                throw DomainError.validation(field: "to", message: "'\(a)' is not an email address")
            }
            let subject = (inv.string("subject") ?? "").replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            guard !subject.trimmingCharacters(in: .whitespaces).isEmpty else { throw DomainError.validation(field: "subject", message: "is required") }
            let ws = inv.workspace!
            let domain = mail.from.email.split(separator: "@").last.map { $0.lowercased() } ?? "opsiq.localhost"
            let messageID = "<opsiq.automation.\(mail.random.hexToken(bytes: 10))@\(domain)>"
            let out = OutgoingMail(from: MailAddress(mail.from.email, name: ws.name), to: to.map { MailAddress($0) }, subject: subject, textBody: inv.string("text") ?? "",
                                   headers: [("Message-ID", messageID), ("Auto-Submitted", "auto-generated"), ("X-OpsIQ-Automation", inv.actor.label)])
            let now = mail.clock.now()
            let stored = try await mail.db.transaction { tx in
                let stored = try await mail.store.insert(ws.id, NewStoredMail(ticketID: nil, kind: "automation", automatic: true, status: mail.smtpConfigured ? .queued : .held,
                                                                              mail: out, messageID: messageID, now: now), in: tx)
                if mail.smtpConfigured {
                    _ = try await mail.jobs.enqueue(NewJob(kind: TicketMailer.jobKind, payload: "{\"workspace_id\":\(ws.id.raw),\"mail_id\":\(stored.id)}", queue: "default",
                                                           workspaceID: ws.id, uniqueKey: "mail.outbox.\(stored.id)", maxAttempts: 8), now: now, in: tx)
                }
                return stored
            }
            return .object(["mail_id": .int(stored.id), "status": .string(stored.status.rawValue), "to": .array(to.map { .string($0) })])
        })
    }
}

/// The outbound HTTP client the send-webhook step uses, set by the composition root (the
/// SSRF-guarded libcurl client) or by a test; nil means steps that call out fail with a clear error.
public final class OutboundHTTPRef: Sendable {
    private let value = Mutex_<(any OutboundHTTPClient)?>(nil)
    public init(_ client: (any OutboundHTTPClient)? = nil) { value.set(client) }
    public func set(_ client: (any OutboundHTTPClient)?) { value.set(client) }
    public var client: (any OutboundHTTPClient)? { value.get() }
}
