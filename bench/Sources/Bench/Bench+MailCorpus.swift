import Foundation

/// A deterministic set of realistic support emails for `opsiq-bench mail-import`: new questions in
/// plain text, replies that thread to earlier messages by In-Reply-To/References (with the quoted
/// text a mail client adds), HTML-only mail, messages with a PDF attachment or an inline image, and a
/// few auto-replies. Same seed, same bytes.
struct MailCorpus {
    struct Stats { var threads = 0, replies = 0, htmlOnly = 0, attachments = 0, inline = 0, auto = 0, bytes = 0 }

    private(set) var messages: [[UInt8]] = []
    private(set) var stats = Stats()
    private var state: UInt64

    init(count: Int, seed: UInt64 = 0x5EED_0A11) {
        state = seed
        var subjects: [String] = []
        var ids: [String] = []
        var senders: [String] = []
        var refs: [[String]] = []
        for i in 0..<count { append(i, &subjects, &ids, &senders, &refs) }
    }

    private mutating func next() -> UInt64 {
        // SplitMix64: fast, and the same sequence on every machine.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    static let topics = ["Parcel has not arrived", "Wrong size delivered", "Refund for order", "Cannot log in to my account", "Invoice address change",
                         "Discount code not accepted", "Damaged item", "Question about shipping to Norway", "Cancel my subscription", "Payment failed twice",
                         "Where is my tracking number?", "Product question: battery life", "Exchange request", "Double charged", "Missing part in the box"]
    static let words = ["order", "delivery", "yesterday", "please", "refund", "account", "the", "package", "was", "not", "and", "I", "tried", "again",
                        "support", "thanks", "number", "invoice", "shipping", "box", "size", "colour", "weeks", "still", "waiting", "could", "you", "check"]

    private mutating func sentence() -> String {
        var w: [String] = []
        for _ in 0..<(6 + below(14)) { w.append(Self.words[below(Self.words.count)]) }
        return w.joined(separator: " ").capitalizedFirst + "."
    }

    private mutating func paragraph(_ sentences: Int) -> String { (0..<sentences).map { _ in sentence() }.joined(separator: " ") }

    private mutating func append(_ i: Int, _ subjects: inout [String], _ ids: inout [String], _ senders: inout [String], _ refs: inout [[String]]) {
        let id = "<m\(i).\(next() % 1_000_000)@mail.customer\(i % 7).example>"
        let roll = below(100)
        var subject: String, from: String
        var references: [String] = []
        var quoted = ""
        if roll < 35, !ids.isEmpty {
            // A reply to one of the last 300 messages, by the same customer, threaded by headers.
            let parent = max(0, ids.count - 1 - below(min(300, ids.count)))
            subject = subjects[parent].hasPrefix("Re: ") ? subjects[parent] : "Re: " + subjects[parent]
            from = senders[parent]
            references = refs[parent] + [ids[parent]]
            quoted = "\n\nOn Tue, 1 Dec 2026, \(from) wrote:\n> " + paragraph(2)
            stats.replies += 1
        } else {
            subject = Self.topics[below(Self.topics.count)] + " #\(10_000 + i)"
            from = "customer\(below(2_000))@example.net"
            stats.threads += 1
        }
        // About 2% are out-of-office answers: imported, but never acknowledged.
        let auto = below(100) < 2
        if auto {
            subject = "Automatic reply: " + subject
            stats.auto += 1
        }
        let name = "Customer \(from.prefix { $0 != "@" }.dropFirst("customer".count))"
        var headers = """
            From: \(name) <\(from)>
            To: support@shop.example
            Subject: \(subject)
            Message-ID: \(id)
            Date: Tue, 01 Dec 2026 \(String(format: "%02d:%02d:%02d", (i / 3600) % 24, (i / 60) % 60, i % 60)) +0100
            MIME-Version: 1.0

            """
        if !references.isEmpty {
            headers += "In-Reply-To: \(references.last!)\nReferences: \(references.suffix(10).joined(separator: "\n "))\n"
        }
        if auto { headers += "Auto-Submitted: auto-replied\n" }
        let text = "Hello,\n\n" + paragraph(2 + below(6)) + "\n\n" + paragraph(1 + below(3)) + "\n\nBest regards,\n\(name)" + quoted
        let kind = below(100)
        var body: String
        if kind < 15 {
            // HTML only, as many webmail clients send it.
            let html = "<html><head><style>p{margin:0}</style></head><body>" + text.components(separatedBy: "\n\n").map { "<p>\(Self.escape($0))</p>" }.joined()
                + "<div style=\"color:#888\">Sent from my phone</div></body></html>"
            body = headers + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" + Self.quotedPrintable(html)
            stats.htmlOnly += 1
        } else if kind < 25 {
            // A PDF attachment of 8 to 60 KB.
            var pdf = Array("%PDF-1.4\n".utf8)
            for _ in 0..<(8_000 + below(52_000)) { pdf.append(UInt8(truncatingIfNeeded: next())) }
            body = headers + "Content-Type: multipart/mixed; boundary=\"b\(i)\"\n\n--b\(i)\nContent-Type: text/plain; charset=utf-8\n\n" + text
                + "\n--b\(i)\nContent-Type: application/pdf; name=\"invoice-\(i).pdf\"\nContent-Disposition: attachment; filename=\"invoice-\(i).pdf\"\n"
                + "Content-Transfer-Encoding: base64\n\n" + Data(pdf).base64EncodedString(options: .lineLength76Characters) + "\n--b\(i)--\n"
            stats.attachments += 1
        } else if kind < 28 {
            // HTML with an inline image (a photo of the damage) and a text alternative.
            var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            for _ in 0..<(4_000 + below(12_000)) { png.append(UInt8(truncatingIfNeeded: next())) }
            body = headers + "Content-Type: multipart/related; boundary=\"r\(i)\"\n\n--r\(i)\nContent-Type: multipart/alternative; boundary=\"a\(i)\"\n\n"
                + "--a\(i)\nContent-Type: text/plain; charset=utf-8\n\n" + text + "\n--a\(i)\nContent-Type: text/html; charset=utf-8\n\n<p>\(Self.escape(text))</p>"
                + "<img src=\"cid:photo\(i)@customer\">\n--a\(i)--\n--r\(i)\nContent-Type: image/png; name=\"photo.png\"\nContent-ID: <photo\(i)@customer>\n"
                + "Content-Disposition: inline; filename=\"photo.png\"\nContent-Transfer-Encoding: base64\n\n"
                + Data(png).base64EncodedString(options: .lineLength76Characters) + "\n--r\(i)--\n"
            stats.inline += 1
        } else {
            body = headers + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + text + "\n"
        }
        let raw = Array(body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
        stats.bytes += raw.count
        messages.append(raw)
        subjects.append(subject)
        ids.append(id)
        senders.append(from)
        refs.append(references)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Quoted-printable with soft breaks at 76 characters (the body is ASCII HTML with `=` in attributes).
    static func quotedPrintable(_ s: String) -> String {
        var out = "", line = ""
        for ch in s.unicodeScalars {
            var piece: String
            if ch == "\n" { out += line + "\n"; line = ""; continue }
            if ch == "=" || ch.value > 126 { piece = String(format: "=%02X", ch.value & 0xFF) } else { piece = String(ch) }
            if line.count + piece.count > 75 { out += line + "=\n"; line = "" }
            line += piece
        }
        return out + line
    }

    /// The bulk-append file: each message as its length, a newline, then its bytes.
    func write(to path: String) throws {
        var data = Data()
        for m in messages {
            data.append(contentsOf: Array("\(m.count)\n".utf8))
            data.append(contentsOf: m)
        }
        try data.write(to: URL(fileURLWithPath: path))
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
