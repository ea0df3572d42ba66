import Foundation

/// One HTTP request OpsIQ sends to somebody else's server (webhook deliveries, automation steps,
/// connector calls). The adapter behind `OutboundHTTPClient` applies the SSRF guard, so no caller
/// can reach an address the operator has not allowed.
public struct OutboundRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    /// Header names as they should be sent, in order.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Whole-request deadline (connect, send, wait, read).
    public var timeout: TimeInterval
    /// Bytes of the response body kept; the rest is read and discarded (or the transfer stopped).
    public var maxResponseBytes: Int

    public init(method: String = "POST", url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                timeout: TimeInterval = 15, maxResponseBytes: Int = 64 * 1024) {
        self.method = method; self.url = url; self.headers = headers; self.body = body
        self.timeout = timeout; self.maxResponseBytes = maxResponseBytes
    }

    public static func == (a: OutboundRequest, b: OutboundRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body && a.timeout == b.timeout
            && a.maxResponseBytes == b.maxResponseBytes
            && a.headers.map { $0.0 } == b.headers.map { $0.0 } && a.headers.map { $0.1 } == b.headers.map { $0.1 }
    }
}

/// What came back. Redirects are never followed: a 3xx is returned as it is.
public struct OutboundResponse: Sendable, Equatable {
    public var status: Int
    /// Lower-cased header names.
    public var headers: [String: String]
    /// At most `maxResponseBytes` of the body.
    public var body: [UInt8]
    /// True when the body was longer than `maxResponseBytes`.
    public var truncated: Bool
    /// The address actually connected to (after the SSRF check), for delivery logs.
    public var remoteAddress: String?
    public var duration: TimeInterval

    public init(status: Int, headers: [String: String], body: [UInt8], truncated: Bool, remoteAddress: String?, duration: TimeInterval) {
        self.status = status; self.headers = headers; self.body = body; self.truncated = truncated
        self.remoteAddress = remoteAddress; self.duration = duration
    }
}

/// Why a request got no HTTP answer. Each case says what the operator or developer should fix.
public enum OutboundHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not absolute http(s), has credentials, or a bad port.
    case invalidURL(String)
    /// HTTP (not HTTPS) while the operator has not allowed plain HTTP.
    case insecureScheme(String)
    /// The host resolved (or is spelled as) an address the SSRF guard refuses.
    case blockedAddress(host: String, address: String, reason: String)
    case dnsFailure(host: String, detail: String)
    case connectionRefused(String)
    case timedOut(after: TimeInterval)
    case tls(String)
    case transport(String)

    public var description: String {
        switch self {
        case .invalidURL(let d): return "invalid URL: \(d)"
        case .insecureScheme(let u): return "plain HTTP is not allowed for \(u): use https:// (or allow HTTP in the security settings)"
        case .blockedAddress(let h, let a, let r): return "refused by SSRF protection: \(h) resolves to \(a) (\(r))"
        case .dnsFailure(let h, let d): return "could not resolve \(h): \(d)"
        case .connectionRefused(let d): return "connection refused: \(d)"
        case .timedOut(let s): return "no answer within \(Int(s)) s"
        case .tls(let d): return "TLS error: \(d)"
        case .transport(let d): return "transport error: \(d)"
        }
    }
}

/// Sends outbound HTTP through the SSRF guard.
public protocol OutboundHTTPClient: Sendable {
    func send(_ request: OutboundRequest) async throws(OutboundHTTPError) -> OutboundResponse
}
