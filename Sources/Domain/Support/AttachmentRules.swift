import Foundation
import Ports

/// What may be attached to a ticket. A file passes only when its extension is on the list AND its
/// first bytes are what that extension promises: `invoice.png` holding an ELF binary, an HTML page or
/// an SVG is refused. Executables, scripts, HTML and SVG are never accepted (SVG and HTML run script
/// in a browser that opens them). The content type stored and served is ours, from the checked kind,
/// never the uploader's.
public enum AttachmentRules {
    public enum Kind: String, Sendable, CaseIterable {
        case png, jpeg, gif, webp, pdf, text, zip
    }

    /// Allowed extensions, the kind their bytes must be, and the content type we serve them as.
    public static let extensions: [String: (kind: Kind, contentType: String)] = [
        "png": (.png, "image/png"),
        "jpg": (.jpeg, "image/jpeg"),
        "jpeg": (.jpeg, "image/jpeg"),
        "gif": (.gif, "image/gif"),
        "webp": (.webp, "image/webp"),
        "pdf": (.pdf, "application/pdf"),
        "txt": (.text, "text/plain; charset=utf-8"),
        "csv": (.text, "text/csv; charset=utf-8"),
        "zip": (.zip, "application/zip"),
        // Office Open XML files are zip archives.
        "docx": (.zip, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "xlsx": (.zip, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ]

    public static let settingName = "tickets.attachment_max_mb"
    public static let defaultMaxMB = 10
    public static let maxMBRange = 1...50

    static func starts(_ b: [UInt8], _ prefix: [UInt8], at offset: Int = 0) -> Bool {
        b.count >= offset + prefix.count && Array(b[offset..<offset + prefix.count]) == prefix
    }

    static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// What the bytes are, by their magic numbers; nil when they are none of the allowed binary kinds.
    public static func sniff(_ b: [UInt8]) -> Kind? {
        if starts(b, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(b, [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(b, ascii("GIF87a")) || starts(b, ascii("GIF89a")) { return .gif }
        if starts(b, ascii("RIFF")) && starts(b, ascii("WEBP"), at: 8) { return .webp }
        if starts(b, ascii("%PDF-")) { return .pdf }
        // A local file header, or the end-of-central-directory record of an empty archive.
        if starts(b, [0x50, 0x4B, 0x03, 0x04]) || starts(b, [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        return nil
    }

    /// Executables and scripts, whatever they are called.
    static func dangerous(_ b: [UInt8]) -> String? {
        if starts(b, [0x7F, 0x45, 0x4C, 0x46]) { return "an ELF executable" }
        if starts(b, ascii("MZ")) { return "a Windows executable" }
        for m: [UInt8] in [[0xFE, 0xED, 0xFA, 0xCE], [0xFE, 0xED, 0xFA, 0xCF], [0xCE, 0xFA, 0xED, 0xFE], [0xCF, 0xFA, 0xED, 0xFE], [0xCA, 0xFE, 0xBA, 0xBE]] where starts(b, m) {
            return "a Mach-O executable"
        }
        if starts(b, ascii("#!")) { return "a script" }
        return nil
    }

    /// Plain text: UTF-8 without NUL bytes, and not markup a browser would run (HTML, SVG, XML).
    static func textProblem(_ b: [UInt8]) -> String? {
        if b.contains(0) { return "it contains binary data" }
        guard let s = String(validating: b, as: UTF8.self) else { return "it is not UTF-8 text" }
        let head = s.drop { $0 == "\u{FEFF}" || $0.isWhitespace }.prefix(512).lowercased()
        for marker in ["<!doctype", "<html", "<script", "<svg", "<?xml", "<head", "<body", "<iframe"] where head.contains(marker) {
            return "it is HTML, SVG or XML markup"
        }
        return nil
    }

    /// The allowed extensions, for messages.
    public static var allowedList: String { extensions.keys.sorted().joined(separator: ", ") }

    /// Checks a file; returns the content type to store. Errors name the field `file` and the limit.
    public static func check(fileName: String, bytes: [UInt8], maxMB: Int) throws -> String {
        let limit = maxMB * 1024 * 1024
        guard !bytes.isEmpty else { throw DomainError.validation(field: "file", message: "is empty") }
        guard bytes.count <= limit else {
            let mb = (Double(bytes.count) / 1_048_576 * 10).rounded() / 10
            throw DomainError.validation(field: "file", message: "is \(mb) MB; the limit is \(maxMB) MB (setting \(settingName))")
        }
        let ext = (fileName as NSString).pathExtension.lowercased()
        guard let allowed = extensions[ext] else {
            throw DomainError.validation(field: "file", message: "type .\(ext.isEmpty ? "(none)" : ext) is not allowed; allowed: \(allowedList)")
        }
        if let what = dangerous(bytes) {
            throw DomainError.validation(field: "file", message: "is \(what); executables and scripts cannot be attached")
        }
        if allowed.kind == .text {
            if let problem = textProblem(bytes) {
                throw DomainError.validation(field: "file", message: "is named .\(ext) but \(problem); only plain text can be attached as .\(ext)")
            }
        } else {
            let actual = sniff(bytes)
            guard actual == allowed.kind else {
                let found = actual.map { "a \($0.rawValue.uppercased()) file" } ?? "not a recognised \(allowed.kind.rawValue.uppercased()) file"
                throw DomainError.validation(field: "file", message: "is named .\(ext) but its content is \(found); rename it to what it is or attach another file")
            }
        }
        return allowed.contentType
    }

    /// A file name fit for display and for `Content-Disposition`: the last path component, no control
    /// characters, quotes or separators, at most 180 characters with the extension kept.
    public static func displayName(_ raw: String) -> String {
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var cleaned = String(last.unicodeScalars.filter { s in
            !(s.properties.generalCategory == .control || s.properties.generalCategory == .format) && !"\"<>:|?*;".unicodeScalars.contains(s)
        }.map(Character.init)).trimmingCharacters(in: .whitespaces)
        while cleaned.hasPrefix(".") { cleaned.removeFirst() }
        if cleaned.isEmpty { return "attachment" }
        if cleaned.count > 180 {
            let ext = (cleaned as NSString).pathExtension
            let keep = ext.isEmpty || ext.count > 10 ? "" : "." + ext
            cleaned = String(cleaned.prefix(180 - keep.count)) + keep
        }
        return cleaned
    }
}
