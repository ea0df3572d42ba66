/// Errors of the SQL driver port, already mapped from each engine's codes.
public enum SQLError: Error, Sendable, CustomStringConvertible {
    /// A UNIQUE or PRIMARY KEY constraint refused the row. Domains map it to their own "already exists" error.
    case uniqueViolation(message: String)
    /// The database cannot be reached or the connection was lost. HTTP maps it to 503.
    case unavailable(message: String)
    /// A deadlock or lock-wait timeout: the whole transaction may be retried.
    case retryable(message: String)
    /// Waited too long for a free connection from the pool.
    case poolTimeout
    /// Any other engine error, with its native code.
    case engine(code: Int, message: String)
    /// A column held a value of the wrong type.
    case decoding(column: String, expected: String)
    /// The connection string or driver configuration is wrong.
    case configuration(String)

    public var description: String {
        switch self {
        case .uniqueViolation(let m): return "unique constraint violated: \(m)"
        case .unavailable(let m): return "database unavailable: \(m)"
        case .retryable(let m): return "transaction conflict (retryable): \(m)"
        case .poolTimeout: return "timed out waiting for a database connection"
        case .engine(let c, let m): return "database error \(c): \(m)"
        case .decoding(let c, let e): return "column \(c): expected \(e)"
        case .configuration(let m): return "database configuration: \(m)"
        }
    }

    public var isUnavailable: Bool {
        switch self {
        case .unavailable, .poolTimeout: return true
        default: return false
        }
    }
}
