import Foundation

/// Bytes kept outside the database (ticket attachments, later exports and replays), under keys the
/// application generates. A key is never derived from a user's file name: adapters refuse anything
/// but `[A-Za-z0-9_-]`, so `..`, `/` or `\` can never steer a write or a read elsewhere.
public protocol FileStorage: Sendable {
    /// Stores `bytes` under `key`, durably (the call returns after the data and its name reached the disk).
    /// Writing an existing key replaces it atomically.
    func put(_ key: String, _ bytes: [UInt8]) async throws
    /// The bytes under `key`; `FileStorageError.notFound` when there are none.
    func get(_ key: String) async throws -> [UInt8]
    /// Removes `key`; removing a missing key is not an error.
    func delete(_ key: String) async throws
}

/// What a `FileStorage` adapter reports.
public enum FileStorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key is not one we generate (empty, too long, or with characters outside `[A-Za-z0-9_-]`).
    case invalidKey(String)
    case notFound(key: String)
    /// A system call failed; `operation` names it and `path` the file.
    case io(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .invalidKey(let k): return "file storage key \(k.debugDescription) is not valid: keys are 8-128 characters of A-Z, a-z, 0-9, _ and -"
        case .notFound(let k): return "no stored file with key \(k)"
        case .io(let op, let path, let e): return "file storage \(op) failed for \(path): errno \(e)"
        }
    }

    /// The one rule every adapter applies before touching anything.
    public static func validate(_ key: String) throws {
        guard (8...128).contains(key.utf8.count),
              key.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || $0 == 0x2D }) else {
            throw FileStorageError.invalidKey(key)
        }
    }
}
