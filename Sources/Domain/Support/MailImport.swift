import Foundation
import Ports

extension MailLoopGuard {
    /// Subjects of out-of-office and other automatic answers (lowercased prefixes).
    static let autoSubjectPrefixes = ["auto:", "automatic reply", "autoreply", "auto-reply", "auto reply", "out of office", "out of the office",
                                      "ooo:", "abwesenheitsnotiz", "réponse automatique", "respuesta automática", "delivery status notification",
                                      "undeliverable:", "undelivered mail returned", "mail delivery failed", "returned mail:"]

    /// Why an incoming email must never get automatic mail back (nil: a person wrote it). Sources:
    /// RFC 3834 (`Auto-Submitted`), `Precedence: bulk|list|junk`, `X-Loop`, the Microsoft and other
    /// autoresponder headers, out-of-office subjects, and robot senders.
    public static func automatedReason(_ m: InboundMail) -> String? {
        if let a = m.header("Auto-Submitted")?.lowercased().trimmingCharacters(in: .whitespaces), !a.isEmpty, !a.hasPrefix("no") { return "Auto-Submitted: \(a)" }
        if let p = m.header("Precedence")?.lowercased().trimmingCharacters(in: .whitespaces), ["bulk", "list", "junk"].contains(p) { return "Precedence: \(p)" }
        if m.header("X-Loop") != nil { return "X-Loop" }
        if m.header("X-Autoreply") != nil || m.header("X-Autorespond") != nil || m.header("X-Auto-Response-Suppress")?.lowercased().contains("oof") == true
            || m.header("X-Auto-Response-Suppress")?.lowercased() == "all" {
            return "autoresponder header"
        }
        if m.header("List-Id") != nil || m.header("List-Unsubscribe") != nil { return "mailing list" }
        let subject = m.subject.lowercased().trimmingCharacters(in: .whitespaces)
        if autoSubjectPrefixes.contains(where: { subject.hasPrefix($0) }) { return "out-of-office subject" }
        if let from = m.from?.email, isRobotAddress(from) { return "robot sender" }
        return nil
    }
}

/// Turns HTML mail into the plain text a ticket message holds: scripts, styles, comments and every
/// tag are dropped, block elements become line breaks, entities are decoded. The result is stored
/// and shown as text (escaped), so nothing of the HTML can run anywhere.
public enum HTMLToText {
    public static func convert(_ html: String) -> String {
        var s = html
        for tag in ["script", "style", "head", "title", "noscript", "template", "iframe", "object"] {
            while let open = s.range(of: "<\(tag)", options: .caseInsensitive) {
                if let close = s.range(of: "</\(tag)>", options: .caseInsensitive, range: open.upperBound..<s.endIndex) {
                    s.removeSubrange(open.lowerBound..<close.upperBound)
                } else {
                    s.removeSubrange(open.lowerBound..<s.endIndex)
                }
            }
        }
        while let open = s.range(of: "<!--"), let close = s.range(of: "-->", range: open.upperBound..<s.endIndex) { s.removeSubrange(open.lowerBound..<close.upperBound) }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "<", let close = s[i...].firstIndex(of: ">") {
                let tag = s[s.index(after: i)..<close].lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "/ "))
                let name = tag.split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "\n" }).first.map(String.init) ?? ""
                if ["br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "hr"].contains(name) { out += "\n" }
                if name == "li" { out += "- " }
                i = s.index(after: close)
            } else {
                out.append(c)
                i = s.index(after: i)
            }
        }
        out = decodeEntities(out)
        // Collapse runs of blank lines and trailing spaces.
        let lines = out.components(separatedBy: "\n").map { $0.replacingOccurrences(of: "\t", with: " ").trimmingCharacters(in: .whitespaces) }
        var result: [String] = []
        for l in lines where !(l.isEmpty && (result.last?.isEmpty ?? true)) { result.append(l) }
        return result.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "#39": "'", "copy": "©", "euro": "€", "hellip": "…", "mdash": "—", "ndash": "–"]

    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "&", let semi = s[i...].prefix(12).firstIndex(of: ";") {
                let name = String(s[s.index(after: i)..<semi])
                var rep: String? = named[name.lowercased()]
                if rep == nil, name.hasPrefix("#") {
                    let num = name.dropFirst()
                    let v = num.lowercased().hasPrefix("x") ? UInt32(num.dropFirst(), radix: 16) : UInt32(num)
                    rep = v.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                }
                if let rep { out += rep; i = s.index(after: semi); continue }
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return out
    }
}

/// One incoming email made into ticket activity. Threading: our Message-IDs in In-Reply-To and
/// References first (messages stored on tickets and mail we sent), then a `[T-123]` subject token,
/// else a new ticket in the mailbox's department. A Message-ID already stored is not imported twice.
/// An email from a person that opens a ticket gets the automatic acknowledgement (rate-limited);
/// automated mail (auto-replies, bounces, lists) never gets one.
public struct MailImport: Sendable {
    public let tickets: TicketService
    public let mailer: TicketMailer
    public let attachments: TicketAttachments
    /// Where the sanitised HTML of HTML mail is kept beside the text.
    public let html: any TicketMessageHTMLStore
    public let log: any DomainLog

    public init(tickets: TicketService, mailer: TicketMailer, attachments: TicketAttachments, html: any TicketMessageHTMLStore, log: any DomainLog) {
        self.tickets = tickets; self.mailer = mailer; self.attachments = attachments; self.html = html; self.log = log
    }

    public enum Outcome: Sendable, Equatable {
        case created(number: Int64, acknowledged: Bool)
        case replied(number: Int64)
        case duplicate
        case ignored(String)
    }

    /// `[T-123]` anywhere in a subject.
    public static func subjectToken(_ subject: String) -> Int64? {
        var rest = Substring(subject)
        while let r = rest.range(of: "[T-", options: .caseInsensitive) {
            let digits = rest[r.upperBound...].prefix { $0.isNumber }
            if !digits.isEmpty, rest[r.upperBound...].dropFirst(digits.count).first == "]", let n = Int64(digits) { return n }
            rest = rest[r.upperBound...]
        }
        return nil
    }

    public static let maxBody = 200_000

    /// The text a ticket message keeps: the plain part, else the HTML made text.
    public static func body(_ m: InboundMail) -> String {
        var text = m.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if text.isEmpty, let html = m.html { text = HTMLToText.convert(html) }
        if text.isEmpty { text = m.attachments.isEmpty ? "(empty email)" : "(attachments only)" }
        return String(text.prefix(maxBody))
    }

    public func importMail(_ ws: WorkspaceID, _ m: InboundMail, departmentID: Int64?, ownAddresses: Set<String>) async throws -> Outcome {
        guard let from = m.from, from.email.contains("@") else { return .ignored("no sender address") }
        let sender = from.email.lowercased()
        if ownAddresses.contains(sender) { return .ignored("sent by this mailbox or OpsIQ itself") }
        let db = tickets.db
        if let id = m.messageID, try await db.read({ try await mailer.store.messageImported(ws, messageID: id, in: $0) }) { return .duplicate }
        let automated = MailLoopGuard.automatedReason(m)
        // Threading by headers: the newest reference first.
        var candidates = m.inReplyTo
        candidates += m.references.reversed()
        var number: Int64? = nil
        if !candidates.isEmpty, let ticketID = try await db.read({ try await mailer.store.ticketID(ws, messageIDs: candidates, in: $0) }),
           let t = try await db.read({ try await tickets.store.find(ws, id: ticketID, in: $0) }) {
            number = t.number
        }
        if number == nil, let n = Self.subjectToken(m.subject), try await db.read({ try await tickets.store.find(ws, number: n, in: $0) }) != nil { number = n }
        let body = Self.body(m)
        var outcome: Outcome
        var messageRowID: Int64? = nil
        if let number {
            do {
                let msg = try await tickets.reply(ws, number: number, body: body, author: .customer(email: sender, name: from.name ?? ""), messageID: m.messageID, scope: .everything)
                messageRowID = msg.id
                outcome = .replied(number: number)
            } catch DomainError.conflict(let why) {
                return .ignored(why)
            }
        } else {
            var subject = m.subject.trimmingCharacters(in: .whitespacesAndNewlines)
            if subject.isEmpty { subject = "(no subject)" }
            var input = TicketService.NewTicketInput(subject: String(subject.prefix(TicketService.maxSubject)), message: body, departmentID: departmentID,
                                                     customerEmail: sender, customerName: from.name ?? "")
            input.messageID = m.messageID
            input.acknowledge = automated == nil
            let detail = try await tickets.create(ws, input, scope: .everything)
            messageRowID = detail.messages.first?.id
            outcome = .created(number: detail.ticket.number, acknowledged: detail.acknowledged)
        }
        let n: Int64
        switch outcome {
        case .created(let x, _), .replied(let x): n = x
        default: return outcome
        }
        var byContentID: [String: Int64] = [:]
        for file in m.attachments {
            do {
                let a = try await attachments.attach(ws, number: n, messageID: messageRowID, fileName: file.fileName, bytes: file.bytes, scope: .everything)
                if let cid = file.contentID { byContentID[cid] = a.id }
            } catch let e as DomainError {
                // A file over the size limit or of a refused type is left out; the message itself is kept.
                log.warning("attachment not kept", ["ticket": "T-\(n)", "file": file.fileName, "reason": e.description])
            }
        }
        if let raw = m.html, !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, let messageRowID {
            try await keepHTML(ws, raw, number: n, messageRowID: messageRowID, inline: byContentID)
        }
        return outcome
    }

    /// Stores the email's HTML, sanitised, beside its text; `cid:` images become the admin's URL of the
    /// stored inline attachment (other images and everything active are dropped by the sanitiser).
    func keepHTML(_ ws: WorkspaceID, _ raw: String, number n: Int64, messageRowID: Int64, inline: [String: Int64]) async throws {
        let db = tickets.db
        guard let site = try await db.read({ try await mailer.workspaces.find(ws, in: $0) }) else { return }
        let siteKey = site.siteKey
        let clean = HTMLSanitizer(remoteImages: false) { cid in
            inline[cid].map { "/admin/tickets/T-\(n)/attachments/\($0)?site=\(siteKey)" }
        }.sanitize(String(raw.prefix(Self.maxBody * 2)))
        let store = html
        try await db.transaction { try await store.setHTML(ws, messageID: messageRowID, html: clean, in: $0) }
    }
}
