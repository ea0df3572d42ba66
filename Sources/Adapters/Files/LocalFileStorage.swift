import Foundation
import Glibc
import NIOPosix
import Ports

/// `FileStorage` on the local disk, under `<OPSIQ_DATA_DIR>/files/`. A key `abcdef…` lives at
/// `files/ab/cd/abcdef…` so no directory grows past a few thousand entries. Writes go to a temporary
/// file in the same directory, are fsynced, renamed over the final name and the directory is fsynced:
/// a crash leaves either the old bytes or the new ones, never a torn file. Keys are checked before any
/// path is built (`FileStorageError.validate`), so a key can never name a file outside the root.
/// The blocking calls run on NIO's thread pool, never on an event loop.
public struct LocalFileStorage: FileStorage {
    public let root: String
    let threads: NIOThreadPool

    public init(root: String, threads: NIOThreadPool = .singleton) {
        self.root = root
        self.threads = threads
    }

    /// The directory and file of a key (the key must have been validated).
    func location(_ key: String) -> (directory: String, file: String) {
        let chars = Array(key)
        let dir = root + "/" + String(chars[0..<2]) + "/" + String(chars[2..<4])
        return (dir, dir + "/" + key)
    }

    public func put(_ key: String, _ bytes: [UInt8]) async throws {
        try FileStorageError.validate(key)
        let (dir, file) = location(key)
        try await threads.runIfActive {
            try Self.makeDirectories(dir)
            let tmp = dir + "/.tmp-" + key + "-" + UUID().uuidString
            let fd = try Self.open(tmp, O_CREAT | O_EXCL | O_WRONLY, mode: 0o600)
            do {
                defer { Glibc.close(fd) }
                try Self.writeAll(fd, bytes, path: tmp)
                try Self.check(fsync(fd), "fsync", tmp)
            } catch {
                _ = Glibc.unlink(tmp)
                throw error
            }
            do {
                try Self.check(Glibc.rename(tmp, file), "rename", tmp)
            } catch {
                _ = Glibc.unlink(tmp)
                throw error
            }
            try Self.syncDirectory(dir)
        }
    }

    public func get(_ key: String) async throws -> [UInt8] {
        try FileStorageError.validate(key)
        let file = location(key).file
        return try await threads.runIfActive {
            let fd: Int32
            do { fd = try Self.open(file, O_RDONLY) } catch FileStorageError.io(_, _, let e) where e == ENOENT { throw FileStorageError.notFound(key: key) }
            defer { Glibc.close(fd) }
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileStorageError.io(operation: "read", path: file, errno: errno)
                }
                if n == 0 { break }
                out.append(contentsOf: chunk[0..<n])
            }
            return out
        }
    }

    public func delete(_ key: String) async throws {
        try FileStorageError.validate(key)
        let (dir, file) = location(key)
        try await threads.runIfActive {
            if Glibc.unlink(file) < 0 {
                if errno == ENOENT { return }
                throw FileStorageError.io(operation: "unlink", path: file, errno: errno)
            }
            try Self.syncDirectory(dir)
        }
    }

    // MARK: - System calls, with errno turned into FileStorageError

    static func check(_ rc: Int32, _ op: String, _ path: String) throws {
        if rc < 0 { throw FileStorageError.io(operation: op, path: path, errno: errno) }
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw FileStorageError.io(operation: "open", path: path, errno: errno) }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        let err = Posix.writeFully(fd, bytes)
        if err != 0 { throw FileStorageError.io(operation: "write", path: path, errno: err) }
    }

    static func syncDirectory(_ dir: String) throws {
        let fd = try open(dir, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(fd) }
        while fsync(fd) < 0 {
            if errno != EINTR { throw FileStorageError.io(operation: "fsync (directory)", path: dir, errno: errno) }
        }
    }

    static func makeDirectories(_ dir: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw FileStorageError.io(operation: "mkdir (\(error.localizedDescription))", path: dir, errno: EIO)
        }
    }
}
