import CCurl
import Foundation
import NIOPosix
import Ports

/// The live `OutboundHTTPClient`: libcurl behind the SSRF guard.
///
/// Every send resolves the host itself (getaddrinfo), refuses the request if any address it gets is
/// one the policy blocks, then pins curl to the first address (`CURLOPT_RESOLVE`) and refuses any
/// socket to another one (`CURLOPT_OPENSOCKETFUNCTION`), so DNS rebinding between check and connect
/// cannot win. The URL keeps the name, so the Host header, TLS SNI and certificate check use it.
/// Redirects are never followed, proxies from the environment are ignored, and the response body
/// is cut at `maxResponseBytes`. Blocking calls run on the client's own thread pool.
public final class CurlOutboundHTTPClient: OutboundHTTPClient {
    public let policy: OutboundAddressPolicy
    private let threadPool: NIOThreadPool
    private let userAgent: String

    /// `threads` bounds how many requests are in flight at once.
    public init(policy: OutboundAddressPolicy, threads: Int = 8, userAgent: String = "OpsIQ/1") {
        self.policy = policy
        self.userAgent = userAgent
        threadPool = NIOThreadPool(numberOfThreads: max(1, threads))
        threadPool.start()
    }

    deinit { threadPool.shutdownGracefully(queue: .global()) { _ in } }

    public func shutdown() async { try? await threadPool.shutdownGracefully() }

    public func send(_ request: OutboundRequest) async throws(OutboundHTTPError) -> OutboundResponse {
        let url = try OutboundURL(request.url)
        if url.scheme == "http" && !policy.allowHTTP { throw .insecureScheme(request.url) }
        for (name, value) in request.headers {
            guard !name.isEmpty, (name + value).utf8.allSatisfy({ $0 != 0x0d && $0 != 0x0a && $0 != 0 }),
                  !name.contains(":") else { throw .transport("header '\(name)' has a colon or a line break") }
        }
        let policy = self.policy
        let agent = userAgent
        let result: Result<OutboundResponse, OutboundHTTPError>
        do {
            result = try await threadPool.runIfActive {
                do {
                    let address = try Self.checkedAddress(url, policy: policy)
                    return .success(try OutboundExchange(request: request, url: url, address: address, userAgent: agent).perform())
                } catch let e as OutboundHTTPError {
                    return .failure(e)
                }
            }
        } catch {
            throw .transport("the outbound HTTP client is shut down")
        }
        return try result.get()
    }

    /// Resolves (unless the host is an address) and checks every answer; returns the one to pin.
    static func checkedAddress(_ url: OutboundURL, policy: OutboundAddressPolicy) throws(OutboundHTTPError) -> OutboundIP {
        let candidates: [OutboundIP]
        if let ip = url.literal {
            candidates = [ip]
        } else {
            candidates = try resolve(url.host)
        }
        for ip in candidates {
            if let reason = policy.refusal(for: ip, host: url.host) {
                throw .blockedAddress(host: url.host, address: ip.description, reason: reason)
            }
        }
        guard let first = candidates.first else { throw .dnsFailure(host: url.host, detail: "no addresses") }
        return first
    }

    static func resolve(_ host: String) throws(OutboundHTTPError) -> [OutboundIP] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0 else { throw .dnsFailure(host: host, detail: String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(list) }
        var out: [OutboundIP] = []
        var p = list
        while let ai = p {
            if ai.pointee.ai_family == AF_INET, let sa = ai.pointee.ai_addr {
                let v4 = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } }
                out.append(OutboundIP(v4: v4))
            } else if ai.pointee.ai_family == AF_INET6, let sa = ai.pointee.ai_addr {
                let v6 = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
                out.append(OutboundIP(v6: v6))
            }
            p = ai.pointee.ai_next
        }
        var seen = Set<OutboundIP>()
        return out.filter { seen.insert($0).inserted }
    }
}
