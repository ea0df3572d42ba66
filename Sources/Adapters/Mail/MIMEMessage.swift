import Foundation
import Ports

/// One `OutgoingMail` rendered for SMTP: the RFC 5322 message bytes and the envelope that goes with them.
///
/// Headers are folded at 78 columns, non-ASCII display names and subjects become RFC 2047 UTF-8
/// encoded-words, bodies are quoted-printable UTF-8 (`text/plain`, or `multipart/alternative` with
/// an HTML part). Every line ends in CRLF. The bytes are not dot-stuffed: libcurl escapes a leading
/// "." on each line while it uploads (RFC 5321 4.5.2), so doing it here would double the dots.
public struct MIMEMessage: Sendable {
    /// The Message-ID header value, angle brackets included.
    public let messageID: String
    /// The envelope sender (MAIL FROM), a bare address.
    public let envelopeFrom: String
    /// The envelope recipients (RCPT TO), bare addresses in order, duplicates removed.
    public let recipients: [String]
    /// Header and body.
    public let bytes: [UInt8]

    /// Headers that come from `OutgoingMail`'s own fields or from the MIME structure; setting them
    /// through `headers` is refused rather than silently doubled. Bcc would reveal hidden recipients.
    static let reservedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "reply-to", "subject", "date",
        "mime-version", "content-type", "content-transfer-encoding",
    ]

    /// Renders `mail`. Throws a permanent `MailError` naming the field when the mail cannot be
    /// expressed safely: CR or LF in a header (header injection), a malformed address, no recipient.
    public init(_ mail: OutgoingMail, date: Date, random: any RandomSource) throws {
        let from = try Self.checkedAddress(mail.from, role: "from")
        guard !mail.to.isEmpty else { throw MailError("mail has no recipients", permanent: true) }
        var recipients: [String] = []
        var seen: Set<String> = []
        for address in mail.to {
            let email = try Self.checkedAddress(address, role: "to")
            if seen.insert(email.lowercased()).inserted { recipients.append(email) }
        }
        if let replyTo = mail.replyTo { _ = try Self.checkedAddress(replyTo, role: "reply-to") }
        try Self.checkHeaderText(mail.subject, what: "subject")

        var messageID: String? = nil
        var extras: [(String, String)] = []
        for (name, value) in mail.headers {
            try Self.checkHeaderName(name)
            try Self.checkHeaderText(value, what: "header \(name)")
            let key = name.lowercased()
            if key == "message-id" {
                guard messageID == nil else { throw MailError("mail has two Message-ID headers", permanent: true) }
                messageID = try Self.checkedMessageID(value)
            } else if Self.reservedHeaders.contains(key) {
                throw MailError("header \(name) is set by the mailer from the mail's fields; do not pass it in headers",
                                permanent: true)
            } else {
                extras.append((name, value))
            }
        }
        let domain = from.split(separator: "@").last.map { $0.lowercased() } ?? "localhost"
        let id = messageID ?? "<\(random.hexToken(bytes: 16))@\(domain)>"

        var head = ""
        head += "Date: \(Self.rfc5322Date(date))\r\n"
        head += Self.addressHeader("From", [mail.from])
        head += Self.addressHeader("To", mail.to)
        if let replyTo = mail.replyTo { head += Self.addressHeader("Reply-To", [replyTo]) }
        head += Self.unstructuredHeader("Subject", mail.subject)
        head += "Message-ID: \(id)\r\n"
        for (name, value) in extras { head += Self.unstructuredHeader(name, value) }
        head += "MIME-Version: 1.0\r\n"

        var bytes = Array(head.utf8)
        if let html = mail.htmlBody {
            // "=_" never occurs in quoted-printable output ('=' is always followed by hex or CRLF),
            // so the boundary cannot collide with the content.
            let boundary = "=_opsiq_\(random.hexToken(bytes: 12))"
            bytes += Array("Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n".utf8)
            for (type, body) in [("text/plain", mail.textBody), ("text/html", html)] {
                bytes += Array("--\(boundary)\r\n".utf8)
                bytes += Array("Content-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
                bytes += Self.quotedPrintable(body)
                bytes += [13, 10]  // belongs to the delimiter that follows (RFC 2046 5.1.1)
            }
            bytes += Array("--\(boundary)--\r\n".utf8)
        } else {
            bytes += Array("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
            bytes += Self.quotedPrintable(mail.textBody)
            if !bytes.ends(with: [13, 10]) { bytes += [13, 10] }
        }

        self.messageID = id
        self.envelopeFrom = from
        self.recipients = recipients
        self.bytes = bytes
    }
}

// MARK: Checks

extension MIMEMessage {
    /// The bare address, or a permanent error naming the field and what is wrong with it.
    static func checkedAddress(_ address: MailAddress, role: String) throws -> String {
        let email = address.email
        if let name = address.name { try checkHeaderText(name, what: "\(role) display name") }
        guard !email.isEmpty else { throw MailError("\(role) address is empty", permanent: true) }
        guard email.utf8.count <= 254 else { throw MailError("\(role) address is longer than 254 characters", permanent: true) }
        // Internationalized addresses need SMTPUTF8 end to end, which this mailer does not negotiate.
        guard email.unicodeScalars.allSatisfy({ $0.isASCII }) else {
            throw MailError("\(role) address '\(printable(email))' has non-ASCII characters (internationalized addresses are not supported)",
                            permanent: true)
        }
        let forbidden = Set("<>()[],;:\\\" ".unicodeScalars)
        guard email.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !forbidden.contains($0) }) else {
            throw MailError("\(role) address '\(printable(email))' contains a character not allowed in an address", permanent: true)
        }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else {
            throw MailError("\(role) address '\(email)' is not of the form name@domain", permanent: true)
        }
        return email
    }

    /// Refuses CR, LF and NUL: with them a value could end its header and start another (header injection).
    static func checkHeaderText(_ text: String, what: String) throws {
        if text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            throw MailError("\(what) contains a line break (CR or LF), which could inject headers; refused", permanent: true)
        }
    }

    /// Field names are printable ASCII without ':' (RFC 5322 2.2).
    static func checkHeaderName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 76,
              name.unicodeScalars.allSatisfy({ $0.value >= 33 && $0.value <= 126 && $0 != ":" }) else {
            throw MailError("header name '\(printable(name))' is not valid (printable ASCII without ':' or spaces)", permanent: true)
        }
    }

    static func checkedMessageID(_ value: String) throws -> String {
        let id = value.trimmingCharacters(in: .whitespaces)
        guard id.hasPrefix("<"), id.hasSuffix(">"), id.contains("@"), id.count <= 250,
              id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw MailError("Message-ID header '\(printable(id))' must look like <unique@domain>", permanent: true)
        }
        return id
    }

    /// For error messages: control characters shown escaped, so the message stays one line.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(200).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
    }
}

// MARK: Headers

extension MIMEMessage {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Tue, 25 Nov 2026 09:05:00 +0000` (RFC 5322 3.3), always UTC, independent of the locale.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        func two(_ n: Int?) -> String { let n = n ?? 0; return n < 10 ? "0\(n)" : "\(n)" }
        return "\(weekdays[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    /// `From`, `To`, `Reply-To`: a comma-separated list of `name <address>`, folded between words.
    static func addressHeader(_ name: String, _ addresses: [MailAddress]) -> String {
        var segments: [String] = []
        for (i, address) in addresses.enumerated() {
            var words: [String]
            if let display = address.name, !display.isEmpty {
                words = displayNameWords(display) + ["<\(address.email)>"]
            } else {
                words = [address.email]
            }
            if i < addresses.count - 1 { words[words.count - 1] += "," }
            segments += words
        }
        return fold(name, first: segments[0], rest: segments.dropFirst().map { (" ", $0) })
    }

    /// A display name as phrase words: plain atoms when it is simple ASCII, a quoted string when it
    /// is other printable ASCII, RFC 2047 encoded-words otherwise.
    static func displayNameWords(_ name: String) -> [String] {
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".unicodeScalars)
        let words = name.split(separator: " ", omittingEmptySubsequences: false)
        if !name.contains("=?"), words.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy { atext.contains($0) } }) {
            return words.map(String.init)
        }
        if name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), !name.contains("=?"), name.utf8.count < 900 {
            return ["\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""]
        }
        return encodedWords(name, firstMaxBytes: 39)
    }

    /// An unstructured field (Subject, extra headers). Tidy ASCII is folded at its own whitespace;
    /// anything else (non-ASCII, control characters, edge whitespace, text that looks like an
    /// encoded-word) becomes UTF-8 encoded-words, which round-trip the value exactly.
    static func unstructuredHeader(_ name: String, _ value: String) -> String {
        let tidy = !value.isEmpty
            && value.unicodeScalars.allSatisfy({ ($0.value >= 0x20 && $0.value < 0x7F) || $0 == "\t" })
            && !value.contains("=?")
            && value.first != " " && value.first != "\t" && value.last != " " && value.last != "\t"
        if tidy {
            // Words and the whitespace run before each: a fold goes in front of a run, so unfolding
            // (removing the CRLF) gives back the value byte for byte.
            var pieces: [(String, String)] = []
            var space = "", word = ""
            for ch in value {
                if ch == " " || ch == "\t" {
                    if !word.isEmpty { pieces.append((space, word)); space = ""; word = "" }
                    space.append(ch)
                } else {
                    word.append(ch)
                }
            }
            pieces.append((space, word))
            let folded = fold(name, first: pieces[0].1, rest: Array(pieces.dropFirst()))
            if !folded.split(separator: "\r\n").contains(where: { $0.utf8.count > 998 }) { return folded }
        }
        if value.isEmpty { return "\(name):\r\n" }
        // First word shorter so that "Name: " plus it stays within 76 columns (RFC 2047 2).
        let firstBudget = max(9, min(45, (76 - name.utf8.count - 2 - 12) / 4 * 3))
        let words = encodedWords(value, firstMaxBytes: firstBudget)
        return fold(name, first: words[0], rest: words.dropFirst().map { (" ", $0) })
    }

    /// `=?UTF-8?B?…?=` words of at most 45 bytes of text each (72 columns), cut between Unicode
    /// scalars so no word holds half a character. Whitespace between adjacent encoded-words is
    /// dropped by decoders, so the text reassembles exactly.
    static func encodedWords(_ text: String, firstMaxBytes: Int) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        var limit = firstMaxBytes
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > limit, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
                limit = 45
            }
            chunk += bytes
        }
        words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
        return words
    }

    /// `Name: first` then each (whitespace, word), starting a continuation line (CRLF before the
    /// whitespace) when the line would pass 78 columns. A word longer than a line stays whole.
    static func fold(_ name: String, first: String, rest: [(String, String)]) -> String {
        var out = ""
        var line = "\(name): \(first)"
        for (space, word) in rest {
            if line.utf8.count + space.utf8.count + word.utf8.count > 78 {
                out += line + "\r\n"
                line = space + word
            } else {
                line += space + word
            }
        }
        return out + line + "\r\n"
    }
}

// MARK: Body

extension MIMEMessage {
    /// Quoted-printable (RFC 2045 6.7) of the UTF-8 text, lines of at most 76 characters. Any of
    /// CRLF, LF or CR in the text is a line break and becomes CRLF. A "." line stays "." (libcurl
    /// dot-stuffs it on the wire).
    static func quotedPrintable(_ text: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var lines: [ArraySlice<UInt8>] = []
        let bytes = Array(text.utf8)
        var start = 0, i = 0
        while i < bytes.count {
            if bytes[i] == 13 || bytes[i] == 10 {
                lines.append(bytes[start..<i])
                if bytes[i] == 13, i + 1 < bytes.count, bytes[i + 1] == 10 { i += 1 }
                start = i + 1
            }
            i += 1
        }
        lines.append(bytes[start..<bytes.count])

        for (n, line) in lines.enumerated() {
            var column = 0
            for index in line.indices {
                let byte = line[index]
                let isLast = index == line.index(before: line.endIndex)
                let literal: Bool
                switch byte {
                case 33...60, 62...126: literal = true
                case 32, 9: literal = !isLast  // trailing whitespace would be stripped in transit
                default: literal = false
                }
                let width = literal ? 1 : 3
                // Room for the '=' of a soft break unless this is the line's last character.
                if column + width > (isLast ? 76 : 75) {
                    out += [61, 13, 10]
                    column = 0
                }
                if literal {
                    out.append(byte)
                } else {
                    out += [61, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                }
                column += width
            }
            if n < lines.count - 1 { out += [13, 10] }
        }
        return out
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
