import Foundation

/// A strict allow-list HTML sanitiser for HTML mail (and the template preview). It re-writes the input
/// from its own tokens instead of editing it, so whatever it does not know is gone:
/// - only formatting elements survive (paragraphs, lists, tables, links, images, inline styling);
///   `script`, `style`, `iframe`, `object`, `form` and their kin are dropped with their content (void ones
///   like `embed`, `input`, `meta`, `link` and `base` are dropped like every unknown tag);
/// - only listed attributes survive, never an `on…` handler; values are re-escaped;
/// - links only to `http:`, `https:`, `mailto:` and `#…`; images only from `https:`/`http:` (when
///   allowed), `data:image/(png|jpeg|gif|webp);base64` and `cid:` references the caller maps to a URL
///   (the stored inline attachment), else dropped;
/// - a `style` attribute is dropped when it holds anything that can load or run (`url(`, `expression`,
///   `@import`, escapes).
public struct HTMLSanitizer: Sendable {
    /// Maps a `cid:` reference (without the scheme) to the URL that serves it; nil drops the image.
    public var cid: @Sendable (String) -> String?
    /// Remote images (`http(s):`); off for mail shown in the admin, where they would tell the sender it was read.
    public var remoteImages: Bool

    public init(remoteImages: Bool = false, cid: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.remoteImages = remoteImages; self.cid = cid
    }

    static let allowedTags: Set<String> = [
        "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt", "em", "font",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strike",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
    ]
    /// Dropped together with everything inside them.
    static let droppedWithContent: Set<String> = [
        "script", "style", "iframe", "object", "applet", "form", "noscript", "template", "title", "head", "svg", "math", "textarea",
        "select", "button", "frameset", "noframes", "xmp", "plaintext", "noembed", "audio", "video", "canvas",
    ]
    static let voidTags: Set<String> = ["br", "hr", "img", "col"]
    static let allowedAttributes: Set<String> = [
        "href", "src", "alt", "title", "width", "height", "align", "valign", "colspan", "rowspan", "style", "color", "bgcolor", "border",
        "cellpadding", "cellspacing", "dir", "lang", "face", "size", "start", "type",
    ]

    public func sanitize(_ html: String) -> String {
        var out = ""
        var open: [String] = []
        let s = Array(html.unicodeScalars)
        var i = 0
        func text(_ c: Unicode.Scalar) {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\0": break
            default: out.unicodeScalars.append(c)
            }
        }
        while i < s.count {
            let c = s[i]
            guard c == "<", i + 1 < s.count else { text(c); i += 1; continue }
            let next = s[i + 1]
            if next == "!" || next == "?" {
                // Comments, doctypes, CDATA and processing instructions are dropped.
                if s.count >= i + 4, s[i + 2] == "-", s[i + 3] == "-" {
                    i = Self.find(s, "-->", from: i + 4).map { $0 + 3 } ?? s.count
                } else {
                    i = Self.find(s, ">", from: i + 2).map { $0 + 1 } ?? s.count
                }
                continue
            }
            let closing = next == "/"
            let nameStart = closing ? i + 2 : i + 1
            guard nameStart < s.count, Self.isLetter(s[nameStart]) else { text(c); i += 1; continue }
            guard let end = Self.tagEnd(s, from: nameStart) else { i = s.count; break }
            var j = nameStart
            while j < end, Self.isNameChar(s[j]) { j += 1 }
            let name = String(String.UnicodeScalarView(s[nameStart..<j])).lowercased()
            i = end + 1
            if closing {
                if let k = open.lastIndex(of: name) {
                    for t in open[k...].reversed() { out += "</\(t)>" }
                    open.removeSubrange(k...)
                }
                continue
            }
            if Self.droppedWithContent.contains(name) {
                // Skip to the matching close tag (no nesting is honoured: the first one ends it); none: drop the rest.
                var k = i, found = false
                while let lt = Self.find(s, "</", from: k) {
                    var n = lt + 2, tag = ""
                    while n < s.count, Self.isNameChar(s[n]) { tag.unicodeScalars.append(s[n]); n += 1 }
                    if tag.lowercased() == name { i = Self.find(s, ">", from: n).map { $0 + 1 } ?? s.count; found = true; break }
                    k = lt + 2
                }
                if !found { i = s.count }
                continue
            }
            guard Self.allowedTags.contains(name) else { continue }
            out += "<" + name
            for (attr, value) in Self.attributes(s, from: j, to: end) {
                if let v = check(tag: name, attr, value) { out += " \(attr)=\"\(HTML.escape(v))\"" }
            }
            if name == "a" { out += " rel=\"noopener noreferrer nofollow\" target=\"_blank\"" }
            out += ">"
            if !Self.voidTags.contains(name) { open.append(name) }
        }
        for t in open.reversed() { out += "</\(t)>" }
        return out
    }

    /// The attribute value to keep (decoded; the caller escapes it), or nil to drop it.
    func check(tag: String, _ attr: String, _ value: String) -> String? {
        guard Self.allowedAttributes.contains(attr) else { return nil }
        let v = HTMLToText.decodeEntities(value).trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = v.lowercased().filter { !$0.isWhitespace && $0 != "\0" }
        switch attr {
        case "href":
            guard tag == "a" else { return nil }
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("mailto:") || lower.hasPrefix("#") { return v }
            return nil
        case "src":
            guard tag == "img" else { return nil }
            if lower.hasPrefix("cid:") { return cid(String(v.dropFirst(4))) }
            if lower.hasPrefix("data:") {
                let ok = ["data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,", "data:image/webp;base64,"].contains { lower.hasPrefix($0) }
                return ok ? v : nil
            }
            if remoteImages, lower.hasPrefix("https://") || lower.hasPrefix("http://") { return v }
            return nil
        case "style":
            for bad in ["url(", "expression", "@import", "\\", "javascript:", "behavior", "-moz-binding", "<", "image-set(", "src("] where lower.contains(bad) { return nil }
            return v
        default:
            // Plain values only: nothing that is itself a URL or a script.
            if lower.contains("javascript:") || lower.contains("vbscript:") || lower.contains("data:") { return nil }
            return v
        }
    }

    static func isLetter(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") }
    static func isNameChar(_ c: Unicode.Scalar) -> Bool { isLetter(c) || (c >= "0" && c <= "9") || c == "-" }

    static func find(_ s: [Unicode.Scalar], _ needle: String, from: Int) -> Int? {
        let n = Array(needle.unicodeScalars)
        guard from >= 0, n.count <= s.count else { return nil }
        var i = from
        while i + n.count <= s.count {
            var match = true
            for k in 0..<n.count where s[i + k] != n[k] && !(isLetter(n[k]) && String(s[i + k]).lowercased() == String(n[k]).lowercased()) { match = false; break }
            if match { return i }
            i += 1
        }
        return nil
    }

    /// The `>` that ends a tag, skipping quoted attribute values.
    static func tagEnd(_ s: [Unicode.Scalar], from: Int) -> Int? {
        var quote: Unicode.Scalar? = nil
        var i = from
        while i < s.count {
            let c = s[i]
            if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == ">" { return i }
            i += 1
        }
        return nil
    }

    /// `name=value` pairs of a tag (names lowercased; values unquoted, not yet decoded).
    static func attributes(_ s: [Unicode.Scalar], from: Int, to end: Int) -> [(String, String)] {
        var out: [(String, String)] = []
        var i = from
        while i < end {
            while i < end, !isNameChar(s[i]) { i += 1 }
            var name = ""
            while i < end, isNameChar(s[i]) || s[i] == ":" || s[i] == "_" { name.unicodeScalars.append(s[i]); i += 1 }
            guard !name.isEmpty else { break }
            while i < end, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
            var value = ""
            if i < end, s[i] == "=" {
                i += 1
                while i < end, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
                if i < end, s[i] == "\"" || s[i] == "'" {
                    let q = s[i]
                    i += 1
                    while i < end, s[i] != q { value.unicodeScalars.append(s[i]); i += 1 }
                    i += 1
                } else {
                    while i < end, s[i] != " " && s[i] != "\t" && s[i] != "\n" && s[i] != "\r" { value.unicodeScalars.append(s[i]); i += 1 }
                }
            }
            out.append((name.lowercased(), value))
        }
        return out
    }
}
