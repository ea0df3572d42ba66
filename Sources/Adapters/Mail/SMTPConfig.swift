import Foundation
import Ports

/// How to reach the SMTP server that sends OpsIQ's mail.
public struct SMTPConfig: Sendable {
    /// How the connection is protected.
    public enum Security: String, Sendable {
        /// Plain SMTP; credentials travel in clear text. Only for a relay on localhost or a trusted network.
        case none
        /// STARTTLS when the server offers it, plain otherwise. A man in the middle can strip the offer
        /// and read the password: prefer `.startTLS` whenever credentials are set.
        case startTLSIfAvailable
        /// STARTTLS required: the send fails when the server does not offer it (usual on port 587).
        case startTLS
        /// Implicit TLS from the first byte, `smtps://` (usual on port 465).
        case tls
    }

    public var host: String
    public var port: Int
    public var username: String?
    /// Never logged, never part of `description` or of an error message.
    public var password: String?
    public var security: Security
    /// The name announced in EHLO; nil lets libcurl use this machine's host name.
    public var heloName: String?
    /// Bounds a whole exchange with the server: connecting, TLS, login and the transfer.
    public var timeoutSeconds: Int
    /// Whether the server's certificate and host name are checked. Turn off only for a test
    /// server with a self-signed certificate.
    public var verifyPeer: Bool
    /// Sender used when an `OutgoingMail` comes with an empty from address.
    public var defaultFrom: MailAddress

    public init(
        host: String,
        port: Int = 587,
        username: String? = nil,
        password: String? = nil,
        security: Security = .startTLS,
        heloName: String? = nil,
        timeoutSeconds: Int = 30,
        verifyPeer: Bool = true,
        defaultFrom: MailAddress
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.security = security
        self.heloName = heloName
        self.timeoutSeconds = timeoutSeconds
        self.verifyPeer = verifyPeer
        self.defaultFrom = defaultFrom
    }

    /// Where mail goes, for logs and error messages (no credentials).
    public var endpoint: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses `smtp://user:pass@host:587` (plain), `smtp://…?starttls=required` (STARTTLS required),
    /// `smtp://…?starttls=optional` (STARTTLS when offered) and `smtps://user:pass@host:465` (implicit TLS).
    ///
    /// User and password are percent-decoded, so a password holding `@`, `:` or `/` is written
    /// `%40`, `%3A`, `%2F`. The port defaults to 587 for `smtp://` and 465 for `smtps://`. Other
    /// query keys: `helo` (EHLO name), `timeout` (seconds), `verifyPeer` (`true`/`false`); any
    /// other key is an error, so a typo does not silently fall back to a default.
    public static func parse(url: String, defaultFrom: MailAddress) throws -> SMTPConfig {
        let url = url.trimmingCharacters(in: .whitespaces)
        guard let schemeEnd = url.range(of: "://") else {
            throw configError("SMTP URL has no scheme: expected smtp://user:password@host:587 or smtps://user:password@host:465")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "smtp" || scheme == "smtps" else {
            throw configError("SMTP URL scheme '\(scheme)' is not supported: use smtp:// or smtps://")
        }
        var rest = Substring(url[schemeEnd.upperBound...])

        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            guard path.isEmpty else {
                throw configError("SMTP URL has a path '/\(path)': give the EHLO name as ?helo=name instead")
            }
            rest = rest[..<slash]
        }

        var username: String? = nil
        var password: String? = nil
        var hostPort = rest
        // The password may itself contain an unescaped '@': the host starts after the last one.
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostPort = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = try decode(userInfo[..<colon], what: "user name")
                password = try decode(userInfo[userInfo.index(after: colon)...], what: "password")
            } else {
                username = try decode(userInfo, what: "user name")
            }
            guard username?.isEmpty == false else {
                throw configError("SMTP URL has an '@' but an empty user name: drop the '@' for no login")
            }
        }

        var host = ""
        var portText: Substring? = nil
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw configError("SMTP URL host '\(hostPort)' has an unclosed '['")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw configError("SMTP URL host '\(hostPort)' has junk after ']'")
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else {
            throw configError("SMTP URL has no host: expected \(scheme)://user:password@host:port")
        }
        var port = scheme == "smtps" ? 465 : 587
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw configError("SMTP URL port '\(portText)' is not a number between 1 and 65535")
            }
            port = p
        }

        var config = SMTPConfig(host: host, port: port, username: username, password: password,
                                security: scheme == "smtps" ? .tls : .none, defaultFrom: defaultFrom)
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = try decode(parts.count > 1 ? parts[1] : "", what: "value of '\(key)'")
            switch key {
            case "starttls":
                guard scheme == "smtp" else {
                    throw configError("SMTP URL option starttls does not apply to smtps://, which is TLS from the start")
                }
                switch value {
                case "required": config.security = .startTLS
                case "optional": config.security = .startTLSIfAvailable
                default:
                    throw configError("SMTP URL option starttls='\(value)' must be 'required' or 'optional'")
                }
            case "helo":
                config.heloName = value
            case "timeout":
                guard let n = Int(value), (1...3600).contains(n) else {
                    throw configError("SMTP URL option timeout='\(value)' must be a whole number of seconds from 1 to 3600")
                }
                config.timeoutSeconds = n
            case "verifyPeer":
                switch value {
                case "true": config.verifyPeer = true
                case "false": config.verifyPeer = false
                default: throw configError("SMTP URL option verifyPeer='\(value)' must be 'true' or 'false'")
                }
            default:
                throw configError("SMTP URL option '\(key)' is unknown: use starttls, helo, timeout or verifyPeer")
            }
        }
        try config.validate()
        return config
    }

    /// Checks what a hand-built config may get wrong (`parse(url:defaultFrom:)` already does).
    public func validate() throws {
        guard !host.isEmpty else { throw Self.configError("SMTP host is empty") }
        // The host goes into the URL that libcurl parses: nothing may change that URL's meaning.
        let hostForbidden = CharacterSet(charactersIn: "/?#@[]% \\").union(.controlCharacters).union(.whitespacesAndNewlines)
        guard host.rangeOfCharacter(from: hostForbidden) == nil else {
            throw Self.configError("SMTP host '\(host)' is not a host name or IP address")
        }
        guard (1...65535).contains(port) else { throw Self.configError("SMTP port \(port) is out of range 1...65535") }
        guard timeoutSeconds >= 1 else {
            throw Self.configError("SMTP timeoutSeconds must be at least 1 (got \(timeoutSeconds))")
        }
        if let heloName {
            guard !heloName.isEmpty, heloName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._[]:".contains($0)) }) else {
                throw Self.configError("SMTP EHLO name '\(heloName)' must be a host name (letters, digits, '-', '.')")
            }
        }
        // NUL separates the fields of AUTH PLAIN; CR or LF would end the SMTP command line.
        if let username, username.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw Self.configError("SMTP user name contains a control character")
        }
        if let password, password.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw Self.configError("SMTP password contains a control character")
        }
        if password != nil, username == nil {
            throw Self.configError("SMTP password is set without a user name")
        }
    }

    static func configError(_ message: String) -> MailError { MailError(message, permanent: true) }

    private static func decode(_ raw: Substring, what: String) throws -> String {
        guard let s = String(raw).removingPercentEncoding else {
            throw configError("SMTP URL \(what) has a malformed %-escape")
        }
        return s
    }
}

extension SMTPConfig: CustomStringConvertible, CustomReflectable {
    /// The URL form with the password masked, safe to log.
    public var description: String {
        let scheme = security == .tls ? "smtps" : "smtp"
        var text = "\(scheme)://"
        if let username { text += "\(username)\(password == nil ? "" : ":***")@" }
        text += endpoint
        var options: [String] = []
        switch security {
        case .startTLS: options.append("starttls=required")
        case .startTLSIfAvailable: options.append("starttls=optional")
        case .none, .tls: break
        }
        if let heloName { options.append("helo=\(heloName)") }
        if timeoutSeconds != 30 { options.append("timeout=\(timeoutSeconds)") }
        if !verifyPeer { options.append("verifyPeer=false") }
        return options.isEmpty ? text : text + "?" + options.joined(separator: "&")
    }

    /// `dump` and debugger views show the masked description, never the password.
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
