import Foundation

/// A file that came with an incoming email (an attachment, or an inline image referenced by `cid:`).
public struct InboundAttachment: Sendable, Equatable {
    public var fileName: String
    public var contentType: String
    public var bytes: [UInt8]
    /// The Content-ID without angle brackets (inline images).
    public var contentID: String?
    public var inline: Bool
    public init(fileName: String, contentType: String, bytes: [UInt8], contentID: String?, inline: Bool) {
        self.fileName = fileName; self.contentType = contentType; self.bytes = bytes; self.contentID = contentID; self.inline = inline
    }
}

/// An incoming email, decoded: headers unfolded with RFC 2047 words decoded, bodies in UTF-8.
public struct InboundMail: Sendable, Equatable {
    /// The Message-ID, angle brackets included (nil when the message has none).
    public var messageID: String?
    public var inReplyTo: [String]
    public var references: [String]
    public var subject: String
    public var from: MailAddress?
    public var to: [MailAddress]
    public var date: Date?
    /// Every header in order, names as written, values unfolded and decoded.
    public var headers: [HeaderField]
    public var text: String?
    public var html: String?
    public var attachments: [InboundAttachment]

    public struct HeaderField: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    public init(messageID: String?, inReplyTo: [String], references: [String], subject: String, from: MailAddress?, to: [MailAddress], date: Date?,
                headers: [HeaderField], text: String?, html: String?, attachments: [InboundAttachment]) {
        self.messageID = messageID; self.inReplyTo = inReplyTo; self.references = references; self.subject = subject; self.from = from; self.to = to
        self.date = date; self.headers = headers; self.text = text; self.html = html; self.attachments = attachments
    }

    /// The first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Turns raw RFC 5322 bytes into an `InboundMail`. Never fails: a malformed part is kept as text or dropped.
public protocol InboundMailParser: Sendable {
    func parse(_ raw: [UInt8]) -> InboundMail
}
