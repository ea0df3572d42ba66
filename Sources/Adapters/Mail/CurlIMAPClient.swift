import CCurl
import Foundation
import NIOPosix
import Ports

private let imapCurlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// The live `IMAPClient`: IMAP over libcurl, one connection per call (the easy handle is reused
/// within a call), on the client's own thread pool (curl blocks). `STATUS` gives UIDVALIDITY,
/// `UID SEARCH UID n:*` the new UIDs (both over one connection), and a `;UID=n` URL fetches one
/// message; a batch fetch sends them all on one logged-in connection. The password never reaches a log line or an error.
public final class CurlIMAPClient: IMAPClient {
    private let threadPool: NIOThreadPool

    public init(threads: Int = 2) {
        threadPool = NIOThreadPool(numberOfThreads: max(1, threads))
        threadPool.start()
    }

    deinit { threadPool.shutdownGracefully(queue: .global()) { _ in } }

    public func shutdown() async { try? await threadPool.shutdownGracefully() }

    private func run(_ account: IMAPAccount, path: String, command: String?) async throws -> [UInt8] {
        try await onPool {
            let session = IMAPCurlExchange(account: account)
            return session.perform(path: path, command: command)
        }
    }

    private func onPool<T: Sendable>(_ work: @escaping @Sendable () -> Result<T, IMAPError>) async throws -> T {
        let result: Result<T, IMAPError>
        do {
            result = try await threadPool.runIfActive(work)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw IMAPError(.connect, "the IMAP client is shut down")
        }
        return try result.get()
    }

    static func quoted(_ folder: String) -> String {
        "\"" + folder.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func folderPath(_ folder: String) -> String {
        folder.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? folder
    }

    public func newUIDs(_ account: IMAPAccount, after: Int64) async throws -> (uidValidity: Int64, uids: [Int64]) {
        // STATUS and SEARCH over one connection.
        let (statusBytes, searchBytes) = try await onPool { () -> Result<([UInt8], [UInt8]), IMAPError> in
            let session = IMAPCurlExchange(account: account)
            let status: [UInt8]
            switch session.perform(path: "", command: "STATUS \(Self.quoted(account.folder)) (UIDVALIDITY UIDNEXT MESSAGES)") {
            case .success(let b): status = b
            case .failure(let e): return .failure(e)
            }
            let text = String(decoding: status, as: UTF8.self)
            guard Self.number(after: "UIDVALIDITY", in: text) != nil else { return .success((status, [])) }
            // One `* SEARCH` line must fit libcurl's receive buffer, or the end of it is lost (a folder of
            // 10,000 messages answers ~49 KB): search in windows of UIDs up to UIDNEXT, on the same connection.
            guard let uidNext = Self.number(after: "UIDNEXT", in: text) else {
                return session.perform(path: Self.folderPath(account.folder), command: "UID SEARCH UID \(after + 1):*").map { (status, $0) }
            }
            var found: [UInt8] = []
            var from = after + 1
            repeat {
                let to = from + Self.searchWindow - 1
                switch session.perform(path: Self.folderPath(account.folder), command: "UID SEARCH UID \(from):\(to)") {
                case .success(let b): found += b + Array("\r\n".utf8)
                case .failure(let e): return .failure(e)
                }
                from = to + 1
            } while from < uidNext
            return .success((status, found))
        }
        let status = String(decoding: statusBytes, as: UTF8.self)
        guard let validity = Self.number(after: "UIDVALIDITY", in: status) else {
            throw IMAPError(.protocolError, "IMAP server \(account.endpoint) sent no UIDVALIDITY for folder \(account.folder)")
        }
        let uids = Self.searchResult(searchBytes)
        // `n:*` always matches the highest UID, even when it is below n (RFC 3501 6.4.8).
        return (validity, uids.filter { $0 > after }.sorted())
    }

    public func fetch(_ account: IMAPAccount, uid: Int64) async throws -> [UInt8] {
        try await run(account, path: Self.folderPath(account.folder) + "/;UID=\(uid)", command: nil)
    }

    /// All of them over one connection: the easy handle is reused, so libcurl logs in and selects
    /// the folder once and then sends one `UID FETCH` per message on the open connection.
    public func fetch(_ account: IMAPAccount, uids: [Int64]) async throws -> [IMAPMessage] {
        guard !uids.isEmpty else { return [] }
        let path = Self.folderPath(account.folder)
        return try await onPool {
            let session = IMAPCurlExchange(account: account)
            // Which were unread before: libcurl's fetch (`BODY[]`) sets \Seen, and a poll that fails
            // after fetching puts back what it did not take (`setSeen(seen: false)`).
            let unseen: Set<Int64>
            switch session.perform(path: path, command: "UID SEARCH UID \(Self.uidSet(uids)) UNSEEN") {
            case .success(let b): unseen = Set(Self.searchResult(b))
            case .failure(let e): return .failure(e)
            }
            var out: [IMAPMessage] = []
            out.reserveCapacity(uids.count)
            for uid in uids {
                switch session.perform(path: path + "/;UID=\(uid)", command: nil) {
                case .success(let raw): out.append(IMAPMessage(uid: uid, raw: raw, seen: !unseen.contains(uid)))
                case .failure(let e): return .failure(e)
                }
            }
            return .success(out)
        }
    }

    public func setSeen(_ account: IMAPAccount, uids: [Int64], seen: Bool) async throws {
        guard !uids.isEmpty else { return }
        let path = Self.folderPath(account.folder)
        try await onPool { () -> Result<Void, IMAPError> in
            let session = IMAPCurlExchange(account: account)
            // Commands stay short: 100 UIDs each, on one connection.
            var i = 0
            while i < uids.count {
                let part = Array(uids[i..<min(i + 100, uids.count)])
                i += part.count
                if case .failure(let e) = session.perform(path: path, command: "UID STORE \(Self.uidSet(part)) \(seen ? "+" : "-")FLAGS.SILENT (\\Seen)") { return .failure(e) }
            }
            return .success(())
        }
    }

    /// `1,2,5` (UIDs are numbers, so nothing needs quoting).
    static func uidSet(_ uids: [Int64]) -> String { uids.map(String.init).joined(separator: ",") }

    /// The numbers of `* SEARCH` lines.
    static func searchResult(_ bytes: [UInt8]) -> [Int64] {
        var out: [Int64] = []
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) where line.hasPrefix("* SEARCH") {
            out += line.dropFirst("* SEARCH".count).split(separator: " ").compactMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return out
    }

    public func test(_ account: IMAPAccount) async throws {
        _ = try await newUIDs(account, after: Int64.max - 1)
    }

    /// UIDs per `UID SEARCH` window: at most ~11 bytes each, so a line stays far below the 512 KB buffer.
    static let searchWindow: Int64 = 20_000

    static func number(after key: String, in text: String) -> Int64? {
        guard let r = text.range(of: key + " ") else { return nil }
        return Int64(text[r.upperBound...].prefix { $0.isNumber })
    }
}

/// Blocking libcurl IMAP requests on one easy handle, so the connection (logged in, folder selected)
/// stays open from one request to the next; the C callbacks reach it through the user-data pointer.
private final class IMAPCurlExchange {
    // Used by one thread at a time, and only inside one thread-pool work item.
    let account: IMAPAccount
    var body: [UInt8] = []
    /// The last tagged NO/BAD line the server sent (why a command failed).
    var refusal: String?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var handle: UnsafeMutableRawPointer?

    init(account: IMAPAccount) {
        self.account = account
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        if let handle { curl_easy_cleanup(handle) }
        errorBuffer.deallocate()
    }

    /// The handle with everything but the URL and the command set (once per session).
    private func prepared() -> Result<UnsafeMutableRawPointer, IMAPError> {
        if let handle { return .success(handle) }
        guard imapCurlGlobalInit == CURLE_OK, let handle = curl_easy_init() else { return .failure(IMAPError(.connect, "libcurl could not be initialised")) }
        self.handle = handle
        let this = Unmanaged.passUnretained(self).toOpaque()
        var setup = CURLE_OK
        func set(_ code: CURLcode) { if setup == CURLE_OK { setup = code } }
        set(opsiq_curl_set_str(handle, CURLOPT_PROTOCOLS_STR, "imap,imaps"))
        set(opsiq_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        // Long untagged lines (a big SEARCH answer) must fit in one receive buffer (libcurl's default is 16 KB).
        set(opsiq_curl_set_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024))
        set(opsiq_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, account.timeoutSeconds))
        set(opsiq_curl_set_long(handle, CURLOPT_TIMEOUT, account.timeoutSeconds * 4))
        set(opsiq_curl_set_long(handle, CURLOPT_USE_SSL, Int((account.security == .none ? CURLUSESSL_NONE : CURLUSESSL_ALL).rawValue)))
        set(opsiq_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, account.verifyPeer ? 1 : 0))
        set(opsiq_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, account.verifyPeer ? 2 : 0))
        set(opsiq_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        set(opsiq_curl_set_str(handle, CURLOPT_USERNAME, account.username))
        set(opsiq_curl_set_str(handle, CURLOPT_PASSWORD, account.password))
        set(opsiq_curl_set_write_cb(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            Unmanaged<IMAPCurlExchange>.fromOpaque(user).takeUnretainedValue().body += UnsafeRawBufferPointer(start: data, count: size * count)
            return size * count
        })
        set(opsiq_curl_set_ptr(handle, CURLOPT_WRITEDATA, this))
        // Only what the server says is looked at (CURLINFO_HEADER_IN), never what we send (LOGIN carries the password).
        set(opsiq_curl_set_debug_cb(handle, CURLOPT_DEBUGFUNCTION) { _, type, data, size, user in
            guard type == CURLINFO_HEADER_IN, let data, let user else { return 0 }
            let me = Unmanaged<IMAPCurlExchange>.fromOpaque(user).takeUnretainedValue()
            let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) {
                let words = line.split(separator: " ", maxSplits: 2)
                if words.count >= 2, words[0] != "*", words[1] == "NO" || words[1] == "BAD" { me.refusal = String(line.prefix(300)) }
            }
            return 0
        })
        set(opsiq_curl_set_ptr(handle, CURLOPT_DEBUGDATA, this))
        set(opsiq_curl_set_long(handle, CURLOPT_VERBOSE, 1))
        guard setup == CURLE_OK else { return .failure(IMAPError(.protocolError, "libcurl refused an IMAP option: \(String(cString: curl_easy_strerror(setup)))")) }
        return .success(handle)
    }

    /// One request: `path` is the folder (and `;UID=n`) part of the URL, `command` a custom IMAP
    /// command (nil: fetch what the URL names). Reuses the session's open connection when there is one.
    func perform(path: String, command: String?) -> Result<[UInt8], IMAPError> {
        let handle: UnsafeMutableRawPointer
        switch prepared() {
        case .success(let h): handle = h
        case .failure(let e): return .failure(e)
        }
        body = []
        refusal = nil
        errorBuffer[0] = 0
        let scheme = account.security == .tls ? "imaps" : "imap"
        var setup = opsiq_curl_set_str(handle, CURLOPT_URL, "\(scheme)://\(account.endpoint)/\(path)")
        if setup == CURLE_OK { setup = opsiq_curl_set_str(handle, CURLOPT_CUSTOMREQUEST, command) }
        guard setup == CURLE_OK else { return .failure(IMAPError(.protocolError, "libcurl refused an IMAP option: \(String(cString: curl_easy_strerror(setup)))")) }
        let code = withExtendedLifetime(self) { curl_easy_perform(handle) }
        if code == CURLE_OK { return .success(body) }
        return .failure(failure(code))
    }

    private func redact(_ s: String) -> String {
        account.password.count >= 3 ? s.replacingOccurrences(of: account.password, with: "***") : s
    }

    /// libcurl's result as an `IMAPError` that says what to fix.
    private func failure(_ code: CURLcode) -> IMAPError {
        let at = account.endpoint
        var detail = String(cString: errorBuffer)
        if detail.isEmpty { detail = String(cString: curl_easy_strerror(code)) }
        detail = redact(detail)
        let said = refusal.map { " (server said \"\(redact($0))\")" } ?? ""
        let lowerRefusal = refusal?.lowercased() ?? ""
        // libcurl reports a failed SELECT as a login failure; the server's words tell them apart.
        if lowerRefusal.contains("nonexistent") || lowerRefusal.contains("doesn't exist") || lowerRefusal.contains("does not exist")
            || lowerRefusal.contains("no such") || detail.contains("Select failed") {
            return IMAPError(.folder, "folder \"\(account.folder)\" does not exist on IMAP server \(at)\(said)")
        }
        switch code {
        case CURLE_LOGIN_DENIED:
            return IMAPError(.login, "IMAP login to \(at) as \(account.username) failed: wrong user name or password\(said)")
        case CURLE_COULDNT_RESOLVE_HOST:
            return IMAPError(.connect, "IMAP host '\(account.host)' could not be resolved (check the host name)")
        case CURLE_COULDNT_CONNECT:
            return IMAPError(.connect, "could not connect to IMAP server \(at) (nothing listening or unreachable)")
        case CURLE_OPERATION_TIMEDOUT:
            return IMAPError(.timeout, "IMAP server \(at) did not answer in time")
        case CURLE_USE_SSL_FAILED:
            return IMAPError(.tls, "IMAP server \(at) does not offer STARTTLS; choose SSL/TLS (usually port 993)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            return IMAPError(.tls, "the TLS certificate of IMAP server \(at) was not accepted: \(detail)")
        case CURLE_SSL_CONNECT_ERROR, CURLE_RECV_ERROR where account.security == .tls:
            return IMAPError(.tls, "TLS handshake with IMAP server \(at) failed: \(detail) (SSL/TLS is usually port 993; port 143 wants STARTTLS)")
        case CURLE_QUOTE_ERROR:
            return IMAPError(.folder, "IMAP server \(at) refused the command on folder \"\(account.folder)\"\(said)")
        default:
            return IMAPError(.protocolError, "IMAP exchange with \(at) failed: curl error \(code.rawValue) (\(detail))\(said)")
        }
    }
}
