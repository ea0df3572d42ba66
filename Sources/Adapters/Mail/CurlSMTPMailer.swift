import CCurl
import Foundation
import Logging
import NIOPosix
import Ports

/// libcurl wants one global initialisation before the first handle. A global `let` runs its
/// initialiser exactly once, thread-safely, on first use.
private let smtpCurlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// The live `MailSender`: SMTP through libcurl, one connection per message.
///
/// `curl_easy_perform` blocks, so every exchange runs on the mailer's own small `NIOThreadPool`,
/// never on the Swift concurrency pool. An exchange is bounded by `config.timeoutSeconds` and is
/// not interrupted by task cancellation (a message cut off halfway could still be delivered).
/// Call `shutdown()` when the service stops (deinit does it too, without waiting for the threads).
/// Message bodies and the password are never logged.
public final class CurlSMTPMailer: MailSender {
    private let config: SMTPConfig
    private let clock: any TimeSource
    private let random: any RandomSource
    private let logger: Logger
    private let threadPool: NIOThreadPool

    /// `threads` bounds how many messages are sent at the same time.
    public init(config: SMTPConfig, clock: any TimeSource, random: any RandomSource, logger: Logger, threads: Int = 2) {
        self.config = config
        self.clock = clock
        self.random = random
        var logger = logger
        logger[metadataKey: "component"] = "smtp"
        logger[metadataKey: "smtp.endpoint"] = "\(config.endpoint)"
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, threads))
        threadPool.start()
    }

    deinit {
        // A NIOThreadPool must be stopped before it is released; shutting down twice is harmless.
        threadPool.shutdownGracefully(queue: .global()) { _ in }
    }

    /// Sends `mail` and returns its Message-ID (angle brackets included). A mail with an empty
    /// from address is sent from `config.defaultFrom`.
    public func send(_ mail: OutgoingMail) async throws -> String {
        try config.validate()
        var mail = mail
        if mail.from.email.isEmpty {
            mail.from = MailAddress(config.defaultFrom.email, name: mail.from.name ?? config.defaultFrom.name)
        }
        let message = try MIMEMessage(mail, date: clock.now(), random: random)
        let metadata: Logger.Metadata = [
            "mail.message_id": "\(message.messageID)",
            "mail.recipients": "\(message.recipients.count)",
            "mail.bytes": "\(message.bytes.count)",
        ]
        try await exchange(SMTPCurlExchange(config: config, message: message), metadata: metadata)
        logger.debug("mail sent", metadata: metadata)
        return message.messageID
    }

    /// Connects, negotiates TLS as configured, logs in when credentials are set and sends NOOP,
    /// without sending mail. Throws a `MailError` that says what failed: the host, TLS, or the login.
    public func testConnection() async throws {
        try config.validate()
        try await exchange(SMTPCurlExchange(config: config, message: nil), metadata: [:])
    }

    /// Stops the mailer's threads; sends after this fail with a temporary `MailError`.
    public func shutdown() async {
        do {
            try await threadPool.shutdownGracefully()
        } catch {
            logger.debug("SMTP thread pool shutdown: \(error)")
        }
    }

    private func exchange(_ exchange: SMTPCurlExchange, metadata: Logger.Metadata) async throws {
        let failure: MailError?
        do {
            failure = try await threadPool.runIfActive { exchange.perform() }
        } catch {
            // A stopped pool also answers with CancellationError: tell the two apart.
            if Task.isCancelled { throw CancellationError() }
            throw MailError("the SMTP mailer is shut down", permanent: false)
        }
        if let failure {
            var metadata = metadata
            metadata["error"] = "\(failure.message)"
            metadata["error.permanent"] = "\(failure.permanent)"
            logger.notice("SMTP exchange failed", metadata: metadata)
            throw failure
        }
    }
}

/// One blocking libcurl SMTP exchange: a message upload, or a NOOP when `message` is nil.
/// Everything the C callbacks touch lives here, reached through the user-data pointer.
private final class SMTPCurlExchange: @unchecked Sendable {
    // @unchecked: used by one thread at a time (built on the caller, then run on one pool thread).
    private let config: SMTPConfig
    private let message: MIMEMessage?
    private var offset = 0
    /// The last 4xx/5xx reply line; later lines (QUIT's 221 after a failure) do not replace it.
    private var errorReply: String?
    private var sawLoginSuccess = false
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init(config: SMTPConfig, message: MIMEMessage?) {
        self.config = config
        self.message = message
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit { errorBuffer.deallocate() }

    /// Runs the exchange; nil on success.
    func perform() -> MailError? {
        guard smtpCurlGlobalInit == CURLE_OK else {
            return MailError("libcurl could not be initialised (curl_global_init failed)", permanent: false)
        }
        // Declared first so it is freed last: cleanup still talks to the server (QUIT).
        var recipients: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(recipients) }
        guard let handle = curl_easy_init() else {
            return MailError("libcurl could not create a handle", permanent: false)
        }
        defer { curl_easy_cleanup(handle) }

        let this = Unmanaged.passUnretained(self).toOpaque()
        var setup = CURLE_OK
        func set(_ code: CURLcode) { if setup == CURLE_OK { setup = code } }

        let scheme = config.security == .tls ? "smtps" : "smtp"
        var url = "\(scheme)://\(config.endpoint)/"
        // libcurl takes the EHLO name from the URL path.
        if let helo = config.heloName { url += helo.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        set(opsiq_curl_set_str(handle, CURLOPT_URL, url))
        set(opsiq_curl_set_str(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"))
        set(opsiq_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        set(opsiq_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, config.timeoutSeconds))
        set(opsiq_curl_set_long(handle, CURLOPT_TIMEOUT, config.timeoutSeconds))
        let useSSL: curl_usessl = switch config.security {
        case .none: CURLUSESSL_NONE
        case .startTLSIfAvailable: CURLUSESSL_TRY
        case .startTLS, .tls: CURLUSESSL_ALL
        }
        set(opsiq_curl_set_long(handle, CURLOPT_USE_SSL, Int(useSSL.rawValue)))
        set(opsiq_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, config.verifyPeer ? 1 : 0))
        set(opsiq_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, config.verifyPeer ? 2 : 0))
        set(opsiq_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        // Replies to a command (NOOP) would otherwise be written to stdout.
        set(opsiq_curl_set_write_cb(handle, CURLOPT_WRITEFUNCTION) { _, size, count, _ in size * count })
        // Server reply lines arrive as CURLINFO_HEADER_IN; only those are kept, never what curl
        // sends (AUTH carries the password) nor the data.
        set(opsiq_curl_set_debug_cb(handle, CURLOPT_DEBUGFUNCTION) { _, type, data, size, user in
            guard type == CURLINFO_HEADER_IN, let data, let user else { return 0 }
            Unmanaged<SMTPCurlExchange>.fromOpaque(user).takeUnretainedValue().noteReply(data, size)
            return 0
        })
        set(opsiq_curl_set_ptr(handle, CURLOPT_DEBUGDATA, this))
        set(opsiq_curl_set_long(handle, CURLOPT_VERBOSE, 1))
        if let username = config.username, !username.isEmpty {
            set(opsiq_curl_set_str(handle, CURLOPT_USERNAME, username))
            set(opsiq_curl_set_str(handle, CURLOPT_PASSWORD, config.password ?? ""))
        }
        if let message {
            set(opsiq_curl_set_str(handle, CURLOPT_MAIL_FROM, "<\(message.envelopeFrom)>"))
            for recipient in message.recipients {
                guard let list = curl_slist_append(recipients, "<\(recipient)>") else {
                    return MailError("out of memory building the recipient list", permanent: false)
                }
                recipients = list
            }
            set(opsiq_curl_set_slist(handle, CURLOPT_MAIL_RCPT, recipients))
            set(opsiq_curl_set_long(handle, CURLOPT_UPLOAD, 1))
            set(opsiq_curl_set_read_cb(handle, CURLOPT_READFUNCTION) { buffer, size, count, user in
                guard let buffer, let user else { return 0 }
                return Unmanaged<SMTPCurlExchange>.fromOpaque(user).takeUnretainedValue().read(into: buffer, max: size * count)
            })
            set(opsiq_curl_set_ptr(handle, CURLOPT_READDATA, this))
            set(opsiq_curl_set_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.bytes.count)))
        } else {
            set(opsiq_curl_set_str(handle, CURLOPT_CUSTOMREQUEST, "NOOP"))
        }
        guard setup == CURLE_OK else {
            return MailError("libcurl refused an SMTP option: \(String(cString: curl_easy_strerror(setup)))", permanent: true)
        }

        let code = withExtendedLifetime(self) { curl_easy_perform(handle) }
        if code == CURLE_OK {
            if message == nil, config.username?.isEmpty == false, !sawLoginSuccess {
                // libcurl skips AUTH silently when the server does not offer it.
                return MailError("SMTP server \(config.endpoint) did not offer a login (AUTH) on this connection, so the "
                                 + "credentials were not used; it may offer it only after STARTTLS (starttls=required)",
                                 permanent: true)
            }
            return nil
        }
        var responseCode = 0
        _ = opsiq_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &responseCode)
        return failure(code, responseCode: responseCode)
    }

    private func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        guard let message else { return 0 }
        let n = min(max, message.bytes.count - offset)
        guard n > 0 else { return 0 }
        message.bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }

    private func noteReply(_ data: UnsafeMutablePointer<CChar>, _ size: Int) {
        let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("235") { sawLoginSuccess = true }
            if line.hasPrefix("4") || line.hasPrefix("5") { errorReply = String(line.prefix(300)) }
        }
    }

    /// The one place where libcurl's result becomes a `MailError`: permanent for what retrying
    /// cannot fix (login, certificates, 5xx replies), temporary for the network and 4xx replies.
    private func failure(_ code: CURLcode, responseCode: Int) -> MailError {
        let endpoint = config.endpoint
        var detail = String(cString: errorBuffer)
        if detail.isEmpty { detail = String(cString: curl_easy_strerror(code)) }
        detail = redact(detail)
        let reply = errorReply.map(redact)
        let replyCode = reply.flatMap { Int($0.prefix(3)) } ?? (responseCode >= 400 ? responseCode : nil)
        let said = reply.map { ": server said \"\($0)\"" } ?? ""

        switch code {
        case CURLE_LOGIN_DENIED:
            return MailError("SMTP login failed (check user and password) at \(endpoint)\(said)", permanent: true)
        case CURLE_COULDNT_RESOLVE_HOST:
            return MailError("SMTP host '\(config.host)' could not be resolved (check the host name)", permanent: false)
        case CURLE_COULDNT_CONNECT:
            return MailError("could not connect to SMTP server \(endpoint) (nothing listening or unreachable): \(detail)",
                             permanent: false)
        case CURLE_OPERATION_TIMEDOUT:
            return MailError("SMTP server \(endpoint) did not complete the exchange within \(config.timeoutSeconds) s: \(detail)",
                             permanent: false)
        case CURLE_USE_SSL_FAILED:
            return MailError("SMTP server \(endpoint) does not offer STARTTLS, which the configuration requires", permanent: true)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            return MailError("the TLS certificate of SMTP server \(endpoint) was not accepted: \(detail) "
                             + "(verifyPeer=false is only for test servers)", permanent: true)
        case CURLE_SSL_CONNECT_ERROR:
            return MailError("TLS handshake with SMTP server \(endpoint) failed: \(detail) (smtps:// is implicit TLS, "
                             + "usually port 465; port 587 wants smtp:// with starttls=required)", permanent: false)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return MailError("SMTP address \(endpoint) is not usable: \(detail)", permanent: true)
        default:
            break
        }
        if let replyCode, (500..<600).contains(replyCode) {
            return MailError("SMTP server \(endpoint) refused the message (\(detail))\(said)", permanent: true)
        }
        if let replyCode, (400..<500).contains(replyCode) {
            return MailError("SMTP server \(endpoint) deferred the message, try again later (\(detail))\(said)", permanent: false)
        }
        return MailError("SMTP exchange with \(endpoint) failed: curl error \(code.rawValue) (\(detail))\(said)", permanent: false)
    }

    /// Belt and braces: no message may carry the password, whatever a server echoes.
    private func redact(_ text: String) -> String {
        guard let password = config.password, password.count >= 3 else { return text }
        return text.replacingOccurrences(of: password, with: "***")
    }
}
