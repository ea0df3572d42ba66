/// Errors every context raises; each front end maps them once (HTTP status, CLI exit code).
public enum DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Input is wrong; `field` names it so the caller can show the message beside it.
    case validation(field: String, message: String)
    /// The request conflicts with the current state (already exists, already set up).
    case conflict(String)
    case notFound(String)
    /// Signed in (or a valid key), but not allowed to do this.
    case forbidden(String)
    /// No valid session or key.
    case unauthenticated(String)
    /// Too many requests; retry after this many seconds.
    case rateLimited(retryAfter: Int, limit: Int)

    public var description: String {
        switch self {
        case .validation(let f, let m): return "\(f): \(m)"
        case .conflict(let m): return m
        case .notFound(let m): return m
        case .forbidden(let m): return m
        case .unauthenticated(let m): return m
        case .rateLimited(let after, let limit): return "rate limit of \(limit) requests a minute reached; retry in \(after) s"
        }
    }
}
