import Glibc
import Ports

/// What can go wrong with a `FileSpool`, each naming the file or directory involved.
public enum FileSpoolError: Error, Sendable, CustomStringConvertible {
    /// Another `FileSpool` (in this process or another) holds the directory's lock.
    case locked(directory: String)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// A record that is not the torn tail of the newest segment fails its length or checksum test.
    case corrupt(path: String, offset: UInt64, reason: String)
    case recordTooLarge(bytes: Int, limit: Int)
    /// `acknowledge` was given a position the spool never returned.
    case invalidPosition(SpoolPosition, reason: String)
    case closed(directory: String)
    /// An earlier write or sync failed; what reached the disk is unknown until the spool is reopened.
    case failed(directory: String, cause: String)

    public var description: String {
        switch self {
        case .locked(let dir):
            return "spool directory \(dir) is in use by another process (or another spool in this one): its lock file is held; stop the other instance or use another directory"
        case .io(let op, let path, let err):
            return "spool \(op) failed on \(path): \(String(cString: strerror(err))) (errno \(err))"
        case .corrupt(let path, let offset, let reason):
            return "spool segment \(path) is corrupt at byte \(offset): \(reason). Records there were acknowledged to clients; inspect or move the file aside before restarting"
        case .recordTooLarge(let bytes, let limit):
            return "spool record of \(bytes) bytes exceeds the \(limit)-byte limit"
        case .invalidPosition(let pos, let reason):
            return "spool position \(pos) cannot be acknowledged: \(reason)"
        case .closed(let dir):
            return "spool \(dir) is closed"
        case .failed(let dir, let cause):
            return "spool \(dir) stopped after a failed write (\(cause)); reopen it to recover what reached the disk"
        }
    }
}
