import Glibc

/// The few system calls the spool makes, each turning a failure into `FileSpoolError.io` naming the path.
/// Every descriptor is opened close-on-exec so a child process never inherits the spool's lock.
enum Posix {
    static func check(_ rc: Int32, _ op: String, _ path: String) throws {
        if rc < 0 { throw FileSpoolError.io(operation: op, path: path, errno: errno) }
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw FileSpoolError.io(operation: "open", path: path, errno: errno) }
        }
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Writes all of `bytes` (a regular file may still take them in several calls).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        let err = writeFully(fd, bytes)
        if err != 0 { throw FileSpoolError.io(operation: "write", path: path, errno: err) }
    }

    /// The write loop itself (retrying interrupted and short writes): 0, or the errno that stopped it.
    /// Shared by the spool and the local file storage, which report failures with their own errors.
    static func writeFully(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { buf in
            var done = 0
            while done < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return 0
        }
    }

    /// Exactly `count` bytes at `offset`; a short read means the file shrank under us.
    static func read(_ fd: Int32, count: Int, at offset: UInt64, path: String) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, buf.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    initialized = done
                    throw FileSpoolError.io(operation: "read", path: path, errno: errno)
                }
                if n == 0 {
                    initialized = done
                    throw FileSpoolError.io(operation: "read (file is shorter than expected)", path: path, errno: EIO)
                }
                done += n
            }
            initialized = done
        }
    }

    static func dataSync(_ fd: Int32, path: String) throws {
        while fdatasync(fd) < 0 {
            if errno != EINTR { throw FileSpoolError.io(operation: "fdatasync", path: path, errno: errno) }
        }
    }

    /// Makes a file's creation, rename or removal in `directory` durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = try open(directory, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        while fsync(fd) < 0 {
            if errno != EINTR { throw FileSpoolError.io(operation: "fsync (directory)", path: directory, errno: errno) }
        }
    }

    static func size(_ fd: Int32, path: String) throws -> UInt64 {
        var st = stat()
        try check(fstat(fd, &st), "fstat", path)
        return UInt64(st.st_size)
    }

    static func truncate(_ fd: Int32, to size: UInt64, path: String) throws {
        try check(ftruncate(fd, off_t(size)), "ftruncate", path)
    }

    static func rename(_ from: String, _ to: String) throws {
        try check(Glibc.rename(from, to), "rename to \(to)", from)
    }

    static func unlink(_ path: String) throws {
        if Glibc.unlink(path) < 0 && errno != ENOENT { throw FileSpoolError.io(operation: "unlink", path: path, errno: errno) }
    }
}
