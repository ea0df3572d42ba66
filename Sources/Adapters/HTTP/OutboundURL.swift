import Foundation
import Ports

/// An outbound URL taken apart by hand, so that what is checked is exactly what curl is given:
/// `scheme://host[:port]/rest`, no credentials, no fragment, ASCII only.
struct OutboundURL: Sendable, Equatable {
    var scheme: String
    /// Lower-cased name, or the address text for a literal (IPv6 without brackets).
    var host: String
    var port: Int
    /// Path and query, starting with `/`.
    var rest: String
    /// Set when the host is written as an address (in any spelling).
    var literal: OutboundIP?

    init(_ text: String) throws(OutboundHTTPError) {
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw .invalidURL("the URL may contain only printable ASCII without spaces (use punycode for international names)")
        }
        guard let sep = text.range(of: "://") else { throw .invalidURL("'\(text)' is not absolute: it needs https://") }
        scheme = text[..<sep.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { throw .invalidURL("scheme \(scheme) is not allowed: use https://") }
        let afterScheme = text[sep.upperBound...]
        let authEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = String(afterScheme[..<authEnd])
        var tail = String(afterScheme[authEnd...])
        if let hash = tail.firstIndex(of: "#") { tail = String(tail[..<hash]) }
        rest = tail.hasPrefix("/") ? tail : "/" + tail
        guard !authority.contains("@") else { throw .invalidURL("credentials in the URL are not allowed") }
        var hostPart = authority
        var portText: String?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("unclosed [ in the host") }
            hostPart = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL("unexpected text after the IPv6 address") }
                portText = String(after.dropFirst())
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = String(authority[..<colon])
            portText = String(authority[authority.index(after: colon)...])
        }
        if hostPart.hasSuffix(".") { hostPart.removeLast() }
        guard !hostPart.isEmpty else { throw .invalidURL("the URL has no host") }
        let defaultPort = scheme == "https" ? 443 : 80
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw .invalidURL("port '\(portText)' is not a number from 1 to 65535") }
            port = p
        } else {
            port = defaultPort
        }
        if let ip = OutboundIP.literal(hostPart) {
            literal = ip
            host = ip.description
        } else if authority.hasPrefix("[") || OutboundIP.looksNumeric(hostPart) {
            throw .invalidURL("'\(hostPart)' is not a valid IP address")
        } else {
            guard OutboundAddressPolicy.isHostName(hostPart.lowercased()) else { throw .invalidURL("'\(hostPart)' is not a valid host name") }
            host = hostPart.lowercased()
        }
    }

    /// The host as it goes in a URL (IPv6 in brackets).
    var urlHost: String { literal.map { $0.isV4 ? host : "[\(host)]" } ?? host }

    /// The URL handed to curl: a literal is rewritten in its canonical spelling.
    var canonical: String {
        let defaultPort = scheme == "https" ? 443 : 80
        return "\(scheme)://\(urlHost)\(port == defaultPort ? "" : ":\(port)")\(rest)"
    }
}
