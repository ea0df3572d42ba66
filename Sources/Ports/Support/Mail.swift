import Foundation

/// An email to send. `headers` carries extras such as `Message-ID`, `In-Reply-To`, `References`,
/// `Auto-Submitted`; the sender adds Date and MIME headers itself.
public struct OutgoingMail: Sendable, Equatable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    public var textBody: String
    public var htmlBody: String?
    public var headers: [(String, String)]

    public init(from: MailAddress, to: [MailAddress], replyTo: MailAddress? = nil, subject: String, textBody: String,
                htmlBody: String? = nil, headers: [(String, String)] = []) {
        self.from = from; self.to = to; self.replyTo = replyTo; self.subject = subject
        self.textBody = textBody; self.htmlBody = htmlBody; self.headers = headers
    }

    public static func == (a: OutgoingMail, b: OutgoingMail) -> Bool {
        a.from == b.from && a.to == b.to && a.replyTo == b.replyTo && a.subject == b.subject && a.textBody == b.textBody
            && a.htmlBody == b.htmlBody && a.headers.map { "\($0.0):\($0.1)" } == b.headers.map { "\($0.0):\($0.1)" }
    }
}

public struct MailAddress: Sendable, Equatable {
    public var email: String
    public var name: String?
    public init(_ email: String, name: String? = nil) { self.email = email; self.name = name }
}

/// Why a message could not be sent; `permanent` failures (a rejected recipient) are not retried.
public struct MailError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var permanent: Bool
    public init(_ message: String, permanent: Bool) { self.message = message; self.permanent = permanent }
    public var description: String { message }
}

/// Sends email (the live adapter speaks SMTP through libcurl). Returns the Message-ID used.
public protocol MailSender: Sendable {
    func send(_ mail: OutgoingMail) async throws -> String
}
