import Synchronization

/// A small lock-protected box (Synchronization.Mutex is non-copyable; this class can be stored in `let`s of Sendable classes).
public final class Mutex_<Value: Sendable>: Sendable {
    private let m: Mutex<Value>
    public init(_ value: Value) { m = Mutex(value) }
    public func get() -> Value { m.withLock { $0 } }
    public func set(_ v: Value) { m.withLock { $0 = v } }
    @discardableResult
    public func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { m.withLock { body(&$0) } }
}
