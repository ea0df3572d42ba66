import Domain
import Foundation
import Ports
import Testing

/// Attachment rules: extension and magic bytes must agree; executables, scripts, HTML and SVG never pass.
@Suite struct AttachmentRulesTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)
    static let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + Array(repeating: 0, count: 100)

    @Test func allowedKindsPass() throws {
        #expect(try AttachmentRules.check(fileName: "shot.PNG", bytes: Self.png, maxMB: 10) == "image/png")
        #expect(try AttachmentRules.check(fileName: "a.jpg", bytes: [0xFF, 0xD8, 0xFF, 0xE0, 1, 2], maxMB: 10) == "image/jpeg")
        #expect(try AttachmentRules.check(fileName: "a.gif", bytes: Array("GIF89a....".utf8), maxMB: 10) == "image/gif")
        #expect(try AttachmentRules.check(fileName: "a.webp", bytes: Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), maxMB: 10) == "image/webp")
        #expect(try AttachmentRules.check(fileName: "a.pdf", bytes: Array("%PDF-1.7\n".utf8), maxMB: 10) == "application/pdf")
        #expect(try AttachmentRules.check(fileName: "report.xlsx", bytes: [0x50, 0x4B, 0x03, 0x04, 20, 0], maxMB: 10).hasPrefix("application/vnd.openxml"))
        #expect(try AttachmentRules.check(fileName: "notes.csv", bytes: Array("a,b\n1,2\n".utf8), maxMB: 10) == "text/csv; charset=utf-8")
    }

    @Test func renamedOrDangerousFilesAreRefused() {
        #expect(throws: DomainError.validation(field: "file", message: "is an ELF executable; executables and scripts cannot be attached")) {
            try AttachmentRules.check(fileName: "cat.png", bytes: Self.elf, maxMB: 10)
        }
        #expect(throws: DomainError.validation(field: "file", message: "is named .png but its content is a PDF file; rename it to what it is or attach another file")) {
            try AttachmentRules.check(fileName: "cat.png", bytes: Array("%PDF-1.4".utf8), maxMB: 10)
        }
        #expect(throws: DomainError.validation(field: "file", message: "is named .png but its content is not a recognised PNG file; rename it to what it is or attach another file")) {
            try AttachmentRules.check(fileName: "page.png", bytes: Array("<html><script>alert(1)</script></html>".utf8), maxMB: 10)
        }
        #expect(throws: DomainError.validation(field: "file", message: "is named .txt but it is HTML, SVG or XML markup; only plain text can be attached as .txt")) {
            try AttachmentRules.check(fileName: "logo.txt", bytes: Array("<?xml version=\"1.0\"?><svg onload=\"x()\"/>".utf8), maxMB: 10)
        }
        #expect(throws: DomainError.validation(field: "file", message: "is a script; executables and scripts cannot be attached")) {
            try AttachmentRules.check(fileName: "run.txt", bytes: Array("#!/bin/sh\nrm -rf /\n".utf8), maxMB: 10)
        }
        #expect(throws: DomainError.validation(field: "file", message: "type .svg is not allowed; allowed: \(AttachmentRules.allowedList)")) {
            try AttachmentRules.check(fileName: "logo.svg", bytes: Array("<svg/>".utf8), maxMB: 10)
        }
        #expect(throws: DomainError.validation(field: "file", message: "is empty")) { try AttachmentRules.check(fileName: "a.txt", bytes: [], maxMB: 10) }
    }

    @Test func sizeLimitNamesTheSetting() {
        let big = Self.png + Array(repeating: 0, count: 1_572_864 - Self.png.count)
        #expect(throws: DomainError.validation(field: "file", message: "is 1.5 MB; the limit is 1 MB (setting tickets.attachment_max_mb)")) {
            try AttachmentRules.check(fileName: "big.png", bytes: big, maxMB: 1)
        }
    }

    @Test func displayNamesAreSanitised() {
        #expect(AttachmentRules.displayName("../../etc/passwd.png") == "passwd.png")
        #expect(AttachmentRules.displayName("C:\\Users\\me\\in\"voice\u{0}.pdf") == "invoice.pdf")
        #expect(AttachmentRules.displayName("...") == "attachment")
        #expect(AttachmentRules.displayName(String(repeating: "x", count: 300) + ".pdf").count == 180)
        #expect(AttachmentRules.displayName(String(repeating: "x", count: 300) + ".pdf").hasSuffix(".pdf"))
    }
}
