import Foundation

/// One part of a `multipart/form-data` body: a text field, or a file when `fileName` is set.
struct MultipartPart: Equatable {
    var name: String
    var fileName: String?
    var contentType: String?
    var data: [UInt8]
}

/// Why a multipart body could not be read; shown to the person who posted it.
struct MultipartError: Error, CustomStringConvertible {
    var description: String
}

/// A small `multipart/form-data` reader (RFC 7578) for the admin's upload forms.
enum MultipartForm {
    /// The boundary of a `multipart/form-data; boundary=…` content type (quoted or not); nil for anything else.
    static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for p in parts.dropFirst() where p.lowercased().hasPrefix("boundary=") {
            var b = String(p.dropFirst("boundary=".count))
            if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(b.utf8.count) else { return nil }
            return b
        }
        return nil
    }

    static func index(of needle: [UInt8], in hay: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, start <= hay.count - needle.count else { return nil }
        let first = needle[0], last = hay.count - needle.count
        var i = start
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < needle.count && hay[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// Splits the body into its parts. A body that does not follow the format is refused, never guessed at.
    static func parse(_ body: [UInt8], boundary: String) throws -> [MultipartPart] {
        let dash = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n--\(boundary)".utf8)
        guard var pos = index(of: dash, in: body, from: 0) else { throw MultipartError(description: "the upload is not a multipart form (no boundary)") }
        pos += dash.count
        var parts: [MultipartPart] = []
        while true {
            // After a boundary: `--` ends the body, CRLF starts a part.
            if pos + 1 < body.count, body[pos] == UInt8(ascii: "-"), body[pos + 1] == UInt8(ascii: "-") { return parts }
            guard pos + 1 < body.count, body[pos] == 13, body[pos + 1] == 10 else { throw MultipartError(description: "the upload is cut short or malformed") }
            pos += 2
            guard let headerEnd = index(of: [13, 10, 13, 10], in: body, from: pos) else { throw MultipartError(description: "a part of the upload has no end of headers") }
            let headerText = String(decoding: body[pos..<headerEnd], as: UTF8.self)
            let dataStart = headerEnd + 4
            guard let dataEnd = index(of: delimiter, in: body, from: dataStart) else { throw MultipartError(description: "the upload is cut short (a part has no closing boundary)") }
            var name: String?, fileName: String?, contentType: String?
            for line in headerText.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if key == "content-disposition" {
                    let params = dispositionParams(value)
                    name = params["name"]
                    fileName = params["filename"]
                } else if key == "content-type" {
                    contentType = value
                }
            }
            guard let name else { throw MultipartError(description: "a part of the upload has no field name") }
            parts.append(MultipartPart(name: name, fileName: fileName, contentType: contentType, data: Array(body[dataStart..<dataEnd])))
            pos = dataEnd + delimiter.count
            if parts.count > 1000 { throw MultipartError(description: "the upload has too many parts") }
        }
    }

    /// `form-data; name="files"; filename="a \"b\".pdf"` → ["name": "files", "filename": "a \"b\".pdf"].
    static func dispositionParams(_ value: String) -> [String: String] {
        var out: [String: String] = [:]
        var chars = Array(value)[...]
        // Skip the disposition type.
        while let c = chars.first, c != ";" { chars = chars.dropFirst() }
        while !chars.isEmpty {
            chars = chars.drop { $0 == ";" || $0 == " " || $0 == "\t" }
            var key = ""
            while let c = chars.first, c != "=", c != ";" { key.append(c); chars = chars.dropFirst() }
            guard chars.first == "=" else { continue }
            chars = chars.dropFirst()
            var v = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first, c != "\"" {
                    if c == "\\", chars.count > 1 { chars = chars.dropFirst() }
                    v.append(chars.first!)
                    chars = chars.dropFirst()
                }
                chars = chars.dropFirst()
            } else {
                while let c = chars.first, c != ";" { v.append(c); chars = chars.dropFirst() }
                v = v.trimmingCharacters(in: .whitespaces)
            }
            out[key.trimmingCharacters(in: .whitespaces).lowercased()] = v
        }
        return out
    }
}
