/// The domain's view of logging: a component writes structured lines without knowing the backend.
/// Values passed here must never contain secrets.
public protocol DomainLog: Sendable {
    func debug(_ message: String, _ metadata: [String: String])
    func info(_ message: String, _ metadata: [String: String])
    func warning(_ message: String, _ metadata: [String: String])
    func error(_ message: String, _ metadata: [String: String])
}

extension DomainLog {
    public func debug(_ message: String) { debug(message, [:]) }
    public func info(_ message: String) { info(message, [:]) }
    public func warning(_ message: String) { warning(message, [:]) }
    public func error(_ message: String) { error(message, [:]) }
}
