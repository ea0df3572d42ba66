import Foundation
import Ports

/// A site's "do not track" rules (Settings > Tracking): visitor addresses in `tracking.excluded_ips`
/// and pages matching `tracking.excluded_paths` are not recorded.
public struct TrackingExclusions: Sendable, Equatable {
    public let networks: [CIDR]
    public let pathPatterns: [String]

    public init(networks: [CIDR] = [], pathPatterns: [String] = []) {
        self.networks = networks
        self.pathPatterns = pathPatterns
    }

    /// From a site's resolved settings. Values were validated when saved; an entry that no longer
    /// parses is skipped rather than failing every beacon.
    public init(settings: [SettingsService.Resolved]) {
        func text(_ name: String) -> String { settings.first { $0.name == name }?.value.stringValue ?? "" }
        networks = Self.entries(text("tracking.excluded_ips")).compactMap { CIDR($0) }
        pathPatterns = Self.entries(text("tracking.excluded_paths"))
    }

    public var isEmpty: Bool { networks.isEmpty && pathPatterns.isEmpty }

    /// True when `ip` lies in an excluded network. Not an address: false.
    public func excludes(ip: String) -> Bool {
        guard !networks.isEmpty, let address = IPAddress(ip) else { return false }
        return networks.contains { $0.contains(address) }
    }

    /// True when the page path (query and fragment ignored) matches an excluded pattern.
    public func excludes(path: String) -> Bool {
        pathPatterns.contains { PagePattern.matches($0, path: path) }
    }

    /// The entries of a list setting: separated by commas or line breaks, trimmed, empties dropped.
    public static func entries(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    public static let maxEntries = 200

    /// Validates `tracking.excluded_ips`; returns the entries in canonical form, joined by ", ".
    static func normalizeNetworks(_ text: String, field: String) throws -> String {
        let items = entries(text)
        guard items.count <= maxEntries else { throw DomainError.validation(field: field, message: "at most \(maxEntries) addresses or ranges") }
        return try items.map { item in
            guard let c = CIDR(item) else {
                throw DomainError.validation(field: field, message: "'\(item)' is not an IP address or CIDR range (e.g. 203.0.113.7, 198.51.100.0/24, 2001:db8::/32)")
            }
            return c.text
        }.joined(separator: ", ")
    }

    /// Validates `tracking.excluded_paths`: each pattern starts with "/" (or "*") and holds no spaces.
    static func normalizePatterns(_ text: String, field: String) throws -> String {
        let items = entries(text)
        guard items.count <= maxEntries else { throw DomainError.validation(field: field, message: "at most \(maxEntries) patterns") }
        for item in items {
            guard item.hasPrefix("/") || item.hasPrefix("*") else {
                throw DomainError.validation(field: field, message: "'\(item)' must be a page path starting with / (e.g. /admin/*, /checkout/*/debug)")
            }
            guard item.count <= 255, !item.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" }) else {
                throw DomainError.validation(field: field, message: "'\(item)' must be a path pattern of at most 255 characters without spaces, ? or #")
            }
        }
        return items.joined(separator: ", ")
    }
}
