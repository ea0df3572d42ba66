import CCurl
import Foundation
import Ports

/// One blocking libcurl request to a checked address. Everything the C callbacks touch lives
/// here and is reached through the user-data pointer; used by one pool thread at a time.
final class OutboundExchange: @unchecked Sendable {
    private let request: OutboundRequest
    private let url: OutboundURL
    private let address: OutboundIP
    private let userAgent: String
    private var body: [UInt8] = []
    private var truncated = false
    private var headerLines: [String: String] = [:]
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let pin: UnsafeMutablePointer<opsiq_curl_pin>

    init(request: OutboundRequest, url: OutboundURL, address: OutboundIP, userAgent: String) {
        self.request = request; self.url = url; self.address = address; self.userAgent = userAgent
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        pin = .allocate(capacity: 1)
        pin.initialize(to: opsiq_curl_pin())
        pin.pointee.family = address.isV4 ? AF_INET : AF_INET6
        let bytes = address.isV4 ? address.v4 : address.bytes
        withUnsafeMutableBytes(of: &pin.pointee.addr) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
    }

    deinit {
        errorBuffer.deallocate()
        pin.deinitialize(count: 1)
        pin.deallocate()
    }

    func perform() throws(OutboundHTTPError) -> OutboundResponse {
        guard outboundCurlInit == CURLE_OK else { throw .transport("libcurl could not be initialised") }
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        var resolve: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headers); curl_slist_free_all(resolve) }
        guard let handle = curl_easy_init() else { throw .transport("libcurl could not create a handle") }
        defer { curl_easy_cleanup(handle) }
        let this = Unmanaged.passUnretained(self).toOpaque()
        var setup = CURLE_OK
        func set(_ code: CURLcode) { if setup == CURLE_OK { setup = code } }

        set(opsiq_curl_set_str(handle, CURLOPT_URL, url.canonical))
        set(opsiq_curl_set_str(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(opsiq_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        // An http_proxy in the environment must not carry requests past the guard.
        set(opsiq_curl_set_str(handle, CURLOPT_PROXY, ""))
        set(opsiq_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        let ms = max(1, Int(request.timeout * 1000))
        set(opsiq_curl_set_long(handle, CURLOPT_TIMEOUT_MS, ms))
        set(opsiq_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(ms, 10_000)))
        set(opsiq_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        set(opsiq_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        set(opsiq_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        set(opsiq_curl_set_str(handle, CURLOPT_USERAGENT, userAgent))
        if url.literal == nil {
            // Pin the name to the address that was checked; the URL keeps the name for Host and TLS.
            let entry = "\(url.host):\(url.port):\(address.isV4 ? address.description : "[\(address.description)]")"
            resolve = curl_slist_append(resolve, entry)
            set(opsiq_curl_set_slist(handle, CURLOPT_RESOLVE, resolve))
        }
        set(opsiq_curl_pin_socket(handle, pin))
        // A new connection per request: a pooled one could outlive the check.
        set(opsiq_curl_set_long(handle, CURLOPT_FORBID_REUSE, 1))

        for (name, value) in request.headers { headers = curl_slist_append(headers, "\(name): \(value)") }
        // No "Expect: 100-continue" round trip for larger bodies.
        headers = curl_slist_append(headers, "Expect:")
        set(opsiq_curl_set_slist(handle, CURLOPT_HTTPHEADER, headers))

        let method = request.method.uppercased()
        switch method {
        case "GET" where request.body.isEmpty:
            set(opsiq_curl_set_long(handle, CURLOPT_HTTPGET, 1))
        case "HEAD":
            set(opsiq_curl_set_long(handle, CURLOPT_NOBODY, 1))
        default:
            if method != "POST" { set(opsiq_curl_set_str(handle, CURLOPT_CUSTOMREQUEST, method)) }
            set(opsiq_curl_set_long(handle, CURLOPT_POST, 1))
            set(opsiq_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            request.body.withUnsafeBytes { raw in
                // COPYPOSTFIELDS copies now, so the array need not outlive this call.
                let empty: [CChar] = [0]
                if let base = raw.baseAddress {
                    set(opsiq_curl_set_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base)))
                } else {
                    empty.withUnsafeBufferPointer { set(opsiq_curl_set_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress!))) }
                }
            }
        }
        set(opsiq_curl_set_write_cb(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            return Unmanaged<OutboundExchange>.fromOpaque(user).takeUnretainedValue().receive(data, size * count)
        })
        set(opsiq_curl_set_ptr(handle, CURLOPT_WRITEDATA, this))
        set(opsiq_curl_set_write_cb(handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            Unmanaged<OutboundExchange>.fromOpaque(user).takeUnretainedValue().header(data, size * count)
            return size * count
        })
        set(opsiq_curl_set_ptr(handle, CURLOPT_HEADERDATA, this))
        guard setup == CURLE_OK else { throw .transport("libcurl refused an option: \(String(cString: curl_easy_strerror(setup)))") }

        let started = DispatchTime.now().uptimeNanoseconds
        let code = withExtendedLifetime(self) { curl_easy_perform(handle) }
        let duration = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var status = 0
        opsiq_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var ipPointer: UnsafeMutablePointer<CChar>? = nil
        opsiq_curl_get_str(handle, CURLINFO_PRIMARY_IP, &ipPointer)
        let remote = ipPointer.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))

        if code == CURLE_OK || (code == CURLE_WRITE_ERROR && truncated && status > 0) {
            return OutboundResponse(status: status, headers: headerLines, body: body, truncated: truncated,
                                    remoteAddress: remote, duration: duration)
        }
        if pin.pointee.refused != 0 {
            throw .blockedAddress(host: url.host, address: "another address than the one checked", reason: "connection attempt outside the pinned address")
        }
        switch code {
        case CURLE_OPERATION_TIMEDOUT: throw .timedOut(after: request.timeout)
        case CURLE_COULDNT_CONNECT: throw .connectionRefused("\(url.host):\(url.port): \(detail)")
        case CURLE_COULDNT_RESOLVE_HOST: throw .dnsFailure(host: url.host, detail: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            throw .tls(detail)
        default: throw .transport(detail)
        }
    }

    private func receive(_ data: UnsafeMutablePointer<CChar>, _ n: Int) -> Int {
        let room = request.maxResponseBytes - body.count
        if n > room {
            // Keep what fits and stop the transfer: the status and headers are already known.
            if room > 0 { data.withMemoryRebound(to: UInt8.self, capacity: room) { body.append(contentsOf: UnsafeBufferPointer(start: $0, count: room)) } }
            truncated = true
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: n) { body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
        return n
    }

    private func header(_ data: UnsafeMutablePointer<CChar>, _ n: Int) {
        let line = data.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") { headerLines = [:]; return }  // a new response (after 1xx)
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard headerLines.count < 100 else { return }
        if let old = headerLines[name] { headerLines[name] = old + ", " + value } else { headerLines[name] = value }
    }
}

/// libcurl wants one global initialisation before the first handle (a global `let` runs once, thread-safely).
let outboundCurlInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
