import Foundation
import Synchronization

/// Test-owned `/etc/hosts` lines, so names resolve to blocked addresses through the system resolver
/// (getaddrinfo re-reads the file on every call). Each line carries a unique marker and `remove()`
/// deletes exactly those lines, leaving what others wrote. The file is rewritten in place (it may be
/// a bind mount, which a rename would break).
final class EtcHosts: Sendable {
    static let path = "/etc/hosts"
    private static let lock = Mutex(())
    let marker = "opsiq-test-\(UUID().uuidString.prefix(8))"

    /// Adds `address name` lines; throws when the file is not writable (the tests need root).
    init(_ entries: [(address: String, name: String)]) throws {
        let marker = self.marker
        try Self.lock.withLock { _ in
            let old = try String(contentsOfFile: Self.path, encoding: .utf8)
            var text = old.hasSuffix("\n") || old.isEmpty ? old : old + "\n"
            for e in entries { text += "\(e.address) \(e.name) # \(marker)\n" }
            try Self.write(text)
        }
    }

    func remove() {
        let marker = self.marker
        Self.lock.withLock { _ in
            guard let old = try? String(contentsOfFile: Self.path, encoding: .utf8) else { return }
            let kept = old.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasSuffix("# \(marker)") }
            try? Self.write(kept.joined(separator: "\n"))
        }
    }

    private static func write(_ text: String) throws {
        guard let h = FileHandle(forUpdatingAtPath: path) else { throw TestServerFailure(message: "\(path) is not writable") }
        defer { try? h.close() }
        try h.truncate(atOffset: 0)
        try h.write(contentsOf: Data(text.utf8))
    }
}
