import Foundation
import Ports

/// The MIME reader for incoming mail: multipart trees, base64 and quoted-printable, charsets,
/// RFC 2047 encoded words in headers and RFC 2231 file names. The first `text/plain` part is the
/// text and the first `text/html` the HTML (an attached `.txt` stays an attachment); parts with a
/// file name or `Content-Disposition: attachment`, and inline images, become attachments.
public struct MIMEParser: InboundMailParser {
    public init() {}

    public func parse(_ raw: [UInt8]) -> InboundMail {
        let root = Self.entity(raw[...])
        var text: String? = nil, html: String? = nil
        var files: [InboundAttachment] = []
        Self.walk(root, depth: 0, text: &text, html: &html, files: &files)
        let h = root.headers
        func first(_ n: String) -> String? { h.first { $0.name.caseInsensitiveCompare(n) == .orderedSame }?.value }
        return InboundMail(messageID: first("Message-ID").flatMap { Self.messageIDs($0).first },
                           inReplyTo: first("In-Reply-To").map(Self.messageIDs) ?? [],
                           references: first("References").map(Self.messageIDs) ?? [],
                           subject: first("Subject") ?? "", from: first("From").flatMap { Self.addresses($0).first },
                           to: first("To").map(Self.addresses) ?? [], date: first("Date").flatMap(Self.date),
                           headers: h, text: text, html: html, attachments: files)
    }

    // MARK: - Entities

    struct Entity {
        var headers: [InboundMail.HeaderField]
        var body: ArraySlice<UInt8>
        func header(_ n: String) -> String? { headers.first { $0.name.caseInsensitiveCompare(n) == .orderedSame }?.value }
        var contentType: (type: String, params: [String: String]) {
            guard let v = header("Content-Type") else { return ("text/plain", [:]) }
            let p = MIMEParser.parameters(v)
            return (p.value.isEmpty ? "text/plain" : p.value.lowercased(), p.params)
        }
    }

    /// Splits header and body at the first empty line (CRLF or bare LF) and unfolds the headers.
    static func entity(_ bytes: ArraySlice<UInt8>) -> Entity {
        var i = bytes.startIndex
        var lines: [String] = []
        var bodyStart = bytes.endIndex
        while i < bytes.endIndex {
            var end = i
            while end < bytes.endIndex && bytes[end] != 10 { end += 1 }
            var lineEnd = end
            if lineEnd > i && bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            let next = end < bytes.endIndex ? end + 1 : end
            if lineEnd == i { bodyStart = next; break }
            let line = decodeBytes(bytes[i..<lineEnd], charset: "utf-8")
            if let f = line.first, f == " " || f == "\t", !lines.isEmpty {
                lines[lines.count - 1] += line
            } else {
                lines.append(line)
            }
            i = next
            if i == bytes.endIndex { bodyStart = i }
        }
        let headers: [InboundMail.HeaderField] = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return InboundMail.HeaderField(name, decodeWords(value))
        }
        return Entity(headers: headers, body: bytes[bodyStart...])
    }

    static func walk(_ e: Entity, depth: Int, text: inout String?, html: inout String?, files: inout [InboundAttachment]) {
        let (type, params) = e.contentType
        if type.hasPrefix("multipart/"), let boundary = params["boundary"], depth < 20 {
            for part in splitMultipart(e.body, boundary: boundary) {
                walk(entity(part), depth: depth + 1, text: &text, html: &html, files: &files)
            }
            return
        }
        let disposition = e.header("Content-Disposition").map(parameters)
        let fileName = disposition?.params["filename"] ?? params["name"]
        let isAttachment = disposition?.value.lowercased() == "attachment" || fileName != nil
        let bytes = transferDecode(e.body, encoding: e.header("Content-Transfer-Encoding") ?? "7bit")
        if !isAttachment && type == "text/plain" && text == nil {
            text = decodeBytes(bytes[...], charset: params["charset"] ?? "us-ascii")
        } else if !isAttachment && type == "text/html" && html == nil {
            html = decodeBytes(bytes[...], charset: params["charset"] ?? "us-ascii")
        } else if isAttachment || !type.hasPrefix("text/") || e.header("Content-ID") != nil {
            let cid = e.header("Content-ID").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")) }
            let ext = type.split(separator: "/").last.map(String.init) ?? "bin"
            files.append(InboundAttachment(fileName: fileName ?? "part-\(files.count + 1).\(ext)", contentType: type, bytes: bytes,
                                           contentID: cid, inline: disposition?.value.lowercased() == "inline" || (cid != nil && disposition == nil)))
        }
    }

    /// The parts between `--boundary` lines, up to `--boundary--`.
    static func splitMultipart(_ body: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>] {
        let delimiter = Array(("--" + boundary).utf8)
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int? = nil
        var i = body.startIndex
        while i < body.endIndex {
            var end = i
            while end < body.endIndex && body[end] != 10 { end += 1 }
            var lineEnd = end
            if lineEnd > i && body[lineEnd - 1] == 13 { lineEnd -= 1 }
            let line = body[i..<lineEnd]
            if line.starts(with: delimiter) {
                if let s = partStart {
                    // The CRLF before a delimiter belongs to the delimiter.
                    var e = i
                    if e > s && body[e - 1] == 10 { e -= 1 }
                    if e > s && body[e - 1] == 13 { e -= 1 }
                    parts.append(body[s..<e])
                }
                let rest = line.dropFirst(delimiter.count)
                if rest.starts(with: [45, 45]) { return parts }
                partStart = end < body.endIndex ? end + 1 : end
            }
            i = end < body.endIndex ? end + 1 : end
        }
        if let s = partStart, s < body.endIndex { parts.append(body[s...]) }
        return parts
    }

    // MARK: - Decoding

    static func transferDecode(_ body: ArraySlice<UInt8>, encoding: String) -> [UInt8] {
        switch encoding.lowercased().trimmingCharacters(in: .whitespaces) {
        case "base64":
            let cleaned = body.filter { !($0 == 10 || $0 == 13 || $0 == 32 || $0 == 9) }
            var s = String(decoding: cleaned, as: UTF8.self)
            while s.count % 4 != 0 { s += "=" }
            return Data(base64Encoded: s).map(Array.init) ?? Array(body)
        case "quoted-printable":
            return quotedPrintableDecode(body, underscoreIsSpace: false)
        default:
            return Array(body)
        }
    }

    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: return b - 48
        case 65...70: return b - 55
        case 97...102: return b - 87
        default: return nil
        }
    }

    static func quotedPrintableDecode(_ s: ArraySlice<UInt8>, underscoreIsSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == 61 {  // '='
                let a = i + 1 < s.endIndex ? s[i + 1] : 0, b = i + 2 < s.endIndex ? s[i + 2] : 0
                if let h = hex(a), let l = hex(b) { out.append(h << 4 | l); i += 3; continue }
                // Soft line break: "=" then optional spaces then CRLF or LF.
                var j = i + 1
                while j < s.endIndex && (s[j] == 32 || s[j] == 9) { j += 1 }
                if j < s.endIndex && s[j] == 13 { j += 1 }
                if j < s.endIndex && s[j] == 10 { i = j + 1; continue }
                if j == s.endIndex { i = j; continue }
                out.append(c); i += 1
            } else if c == 95 && underscoreIsSpace {
                out.append(32); i += 1
            } else {
                out.append(c); i += 1
            }
        }
        return out
    }

    /// Bytes in a named charset as a String; unknown charsets and invalid bytes fall back to UTF-8 with
    /// replacement characters, or Latin-1 when the bytes are not UTF-8 at all.
    static func decodeBytes(_ b: ArraySlice<UInt8>, charset: String) -> String {
        let name = charset.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let enc: String.Encoding?
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii", "": enc = .utf8
        case "iso-8859-1", "latin1", "iso8859-1", "l1": enc = .isoLatin1
        case "windows-1252", "cp1252": enc = .windowsCP1252
        case "iso-8859-2", "latin2", "iso8859-2": enc = .isoLatin2
        case "windows-1250", "cp1250": enc = .windowsCP1250
        case "windows-1251", "cp1251": enc = .windowsCP1251
        case "utf-16": enc = .utf16
        case "utf-16le": enc = .utf16LittleEndian
        case "utf-16be": enc = .utf16BigEndian
        case "shift_jis", "shift-jis", "sjis": enc = .shiftJIS
        case "euc-jp": enc = .japaneseEUC
        case "iso-2022-jp": enc = .iso2022JP
        default: enc = nil
        }
        if let enc, enc != .utf8, let s = String(data: Data(b), encoding: enc) { return s }
        if let s = String(bytes: b, encoding: .utf8) { return s }
        if enc == nil, let s = String(data: Data(b), encoding: .isoLatin1) { return s }
        return String(decoding: b, as: UTF8.self)
    }

    /// Decodes RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?iso-8859-1?Q?…?=`); whitespace between two
    /// encoded words is dropped, as the RFC says.
    static func decodeWords(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        var out = ""
        var rest = Substring(value)
        var lastWasWord = false
        while let start = rest.range(of: "=?") {
            let before = rest[..<start.lowerBound]
            let afterStart = rest[start.upperBound...]
            // charset?enc?text?=
            let pieces = afterStart.split(separator: "?", maxSplits: 2, omittingEmptySubsequences: false)
            guard pieces.count == 3, let close = pieces[2].range(of: "?=") else { out += rest; rest = ""; break }
            let charset = String(pieces[0].split(separator: "*").first ?? "")
            let enc = pieces[1].lowercased()
            let payload = pieces[2][..<close.lowerBound]
            var decoded: String? = nil
            if enc == "b" {
                var s = String(payload)
                while s.count % 4 != 0 { s += "=" }
                decoded = Data(base64Encoded: s).map { decodeBytes(Array($0)[...], charset: charset) }
            } else if enc == "q" {
                decoded = decodeBytes(quotedPrintableDecode(Array(payload.utf8)[...], underscoreIsSpace: true)[...], charset: charset)
            }
            guard let word = decoded else { out += before + "=?"; rest = afterStart; lastWasWord = false; continue }
            if !(lastWasWord && before.allSatisfy({ $0 == " " || $0 == "\t" })) { out += before }
            out += word
            lastWasWord = true
            rest = pieces[2][close.upperBound...]
        }
        return out + rest
    }

    /// `value; a=b; c="d e"` (and RFC 2231 `name*=utf-8''%E2%82%AC`, `name*0=…`).
    static func parameters(_ header: String) -> (value: String, params: [String: String]) {
        var items: [String] = []
        var current = ""
        var quoted = false
        for c in header {
            if c == "\"" { quoted.toggle(); current.append(c) } else if c == ";" && !quoted { items.append(current); current = "" } else { current.append(c) }
        }
        items.append(current)
        var params: [String: String] = [:]
        var continued: [String: [(Int, String, Bool)]] = [:]
        for item in items.dropFirst() {
            guard let eq = item.firstIndex(of: "=") else { continue }
            var key = item[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var val = item[item.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if val.hasPrefix("\"") && val.hasSuffix("\"") && val.count >= 2 { val = String(val.dropFirst().dropLast()) }
            var extended = false
            if key.hasSuffix("*") { extended = true; key.removeLast() }
            if let star = key.firstIndex(of: "*"), let n = Int(key[key.index(after: star)...]) {
                continued[String(key[..<star]), default: []].append((n, val, extended))
                continue
            }
            params[key] = extended ? rfc2231(val, first: true) : val
        }
        for (key, segs) in continued {
            let sorted = segs.sorted { $0.0 < $1.0 }
            let charsetFirst = sorted.first?.2 == true
            var joined = ""
            for s in sorted { joined += s.1 }
            params[key] = charsetFirst ? rfc2231(joined, first: true) : joined
        }
        return (items[0].trimmingCharacters(in: .whitespaces), params.mapValues(decodeWords))
    }

    /// `utf-8'lang'%E2%82%AC` → "€".
    static func rfc2231(_ v: String, first: Bool) -> String {
        let parts = v.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        let (charset, text) = parts.count == 3 ? (String(parts[0]), parts[2]) : ("utf-8", Substring(v))
        var bytes: [UInt8] = []
        var i = text.utf8.startIndex
        let u = text.utf8
        while i < u.endIndex {
            let c = u[i]
            if c == 37, let a = u.index(i, offsetBy: 1, limitedBy: u.endIndex), a < u.endIndex, let b = u.index(i, offsetBy: 2, limitedBy: u.endIndex), b < u.endIndex,
               let h = hex(u[a]), let l = hex(u[b]) {
                bytes.append(h << 4 | l); i = u.index(after: b)
            } else {
                bytes.append(c); i = u.index(after: i)
            }
        }
        return decodeBytes(bytes[...], charset: charset)
    }

    /// Every `<id>` in a Message-ID, In-Reply-To or References header, brackets included.
    static func messageIDs(_ v: String) -> [String] {
        var out: [String] = []
        var rest = Substring(v)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[open...close]
            if id.count > 2 && !id.contains(" ") { out.append(String(id)) }
            rest = rest[rest.index(after: close)...]
        }
        if out.isEmpty {
            let bare = v.trimmingCharacters(in: .whitespaces)
            if !bare.isEmpty && !bare.contains(" ") && bare.contains("@") { out.append("<\(bare)>") }
        }
        return out
    }

    /// `"Name" <a@b>, c@d, Name <e@f>` → addresses (groups and comments handled loosely).
    static func addresses(_ v: String) -> [MailAddress] {
        var items: [String] = []
        var current = ""
        var quoted = false, angle = false
        for c in v {
            if c == "\"" { quoted.toggle() }
            if c == "<" && !quoted { angle = true }
            if c == ">" && !quoted { angle = false }
            if c == "," && !quoted && !angle { items.append(current); current = "" } else { current.append(c) }
        }
        items.append(current)
        return items.compactMap { item in
            let t = item.trimmingCharacters(in: .whitespaces)
            if let open = t.lastIndex(of: "<"), let close = t[open...].firstIndex(of: ">") {
                let email = t[t.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
                var name = t[..<open].trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("\"") && name.hasSuffix("\"") && name.count >= 2 { name = String(name.dropFirst().dropLast()) }
                name = name.replacingOccurrences(of: "\\\"", with: "\"")
                return email.contains("@") ? MailAddress(email, name: name.isEmpty ? nil : name) : nil
            }
            let email = t.split(separator: " ").first.map(String.init) ?? t
            return email.contains("@") ? MailAddress(email) : nil
        }
    }

    static func date(_ v: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        let cleaned = v.components(separatedBy: "(").first?.trimmingCharacters(in: .whitespaces) ?? v
        for format in ["EEE, d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm Z"] {
            f.dateFormat = format
            if let d = f.date(from: cleaned) { return d }
        }
        return nil
    }
}
