import Foundation
import Testing
@testable import WebApp

/// The admin's multipart/form-data reader: fields, files with binary content, quoting, and refusals.
@Suite struct MultipartFormTests {
    func body(_ boundary: String, _ parts: [(headers: String, data: [UInt8])], close: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        for p in parts {
            out += Array("--\(boundary)\r\n\(p.headers)\r\n\r\n".utf8) + p.data + Array("\r\n".utf8)
        }
        if close { out += Array("--\(boundary)--\r\n".utf8) }
        return out
    }

    @Test func readsFieldsAndBinaryFiles() throws {
        let b = "----WebKitFormBoundaryx7Yz"
        // Binary content that contains CRLF, dashes and a near-boundary must come back byte for byte.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("\r\n--\(b.dropLast())\r\n".utf8) + [0, 255, 13, 10]
        let raw = body(b, [
            ("Content-Disposition: form-data; name=\"_csrf\"", Array("tok".utf8)),
            ("Content-Disposition: form-data; name=\"message\"", Array("Hi Ada,\r\nsee attached – ünïcode".utf8)),
            ("Content-Disposition: form-data; name=\"files\"; filename=\"shot \\\"1\\\".png\"\r\nContent-Type: image/png", png),
            ("Content-Disposition: form-data; name=\"files\"; filename=\"\"\r\nContent-Type: application/octet-stream", []),
        ])
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\(b)") == b)
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; charset=utf-8; boundary=\"quoted b\"") == "quoted b")
        #expect(MultipartForm.boundary(contentType: "application/x-www-form-urlencoded") == nil)
        #expect(MultipartForm.boundary(contentType: "multipart/form-data") == nil)
        let parts = try MultipartForm.parse(raw, boundary: b)
        #expect(parts.map(\.name) == ["_csrf", "message", "files", "files"])
        #expect(String(decoding: parts[1].data, as: UTF8.self) == "Hi Ada,\r\nsee attached – ünïcode")
        #expect(parts[0].fileName == nil && parts[2].fileName == "shot \"1\".png" && parts[2].contentType == "image/png")
        #expect(parts[2].data == png)
        #expect(parts[3].fileName == "" && parts[3].data.isEmpty)
    }

    @Test func refusesMalformedBodies() throws {
        let b = "xyz"
        #expect(throws: MultipartError.self) { try MultipartForm.parse(Array("no boundary here".utf8), boundary: b) }
        // Cut short: the last part never closes.
        let cut = Array("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue without end".utf8)
        #expect(throws: MultipartError.self) { try MultipartForm.parse(cut, boundary: b) }
        // A part without a name.
        let nameless = body(b, [("Content-Disposition: form-data", Array("v".utf8))])
        #expect(throws: MultipartError.self) { try MultipartForm.parse(nameless, boundary: b) }
        // Headers that never end.
        #expect(throws: MultipartError.self) { try MultipartForm.parse(Array("--xyz\r\nContent-Disposition: form-data; name=\"a\"".utf8), boundary: b) }
        // An empty form is fine.
        #expect(try MultipartForm.parse(Array("--xyz--\r\n".utf8), boundary: b).isEmpty)
    }
}
