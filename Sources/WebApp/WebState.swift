import Composition
import Domain
import Foundation
import Ports

/// What the web process knows about its schema, shared by `/readyz` and the schema watcher.
final class SchemaState: Sendable {
    enum Status: Sendable, Equatable {
        case unknown(String)
        case pending(Int)
        case current
    }
    private let status = Mutex_<Status>(.unknown("not checked yet"))
    func set(_ s: Status) { status.set(s) }
    var current: Status { status.get() }
}
