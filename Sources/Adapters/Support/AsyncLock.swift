import Synchronization

/// A FIFO counting semaphore for async code: `acquire` suspends (never blocks a thread) until a permit is free.
/// Used to lend a fixed set of connections without busy-waiting.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var permits: Int
        var waiters: [(id: UInt64, cont: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }
    private let state: Mutex<State>

    public init(permits: Int) { state = Mutex(State(permits: permits)) }

    /// Waits for a permit. Throws `CancellationError` if the task is cancelled while waiting.
    public func acquire() async throws {
        let id: UInt64? = state.withLock { s in
            if s.permits > 0 && s.waiters.isEmpty { s.permits -= 1; return nil }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
                let outcome: Int = state.withLock { s in
                    // A permit may have been released between the two locks.
                    if s.permits > 0 && s.waiters.isEmpty { s.permits -= 1; return 1 }
                    // Cancelled before we queued: the cancel handler found nothing to resume.
                    if Task.isCancelled { return 2 }
                    s.waiters.append((id, cont))
                    return 0
                }
                if outcome == 1 { cont.resume() } else if outcome == 2 { cont.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let cont: CheckedContinuation<Void, any Error>? = state.withLock { s in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).cont
            }
            cont?.resume(throwing: CancellationError())
        }
    }

    /// Waits for a permit at most `seconds`; false on timeout.
    public func acquire(timeout seconds: Double) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await self.acquire(); return true }
            group.addTask { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)); return false }
            let first = try await group.next()!
            group.cancelAll()
            if first { return true }
            // The acquire task may still have won the race after the timer fired: drain it.
            while let r = try? await group.next() {
                if r { return true }
            }
            return false
        }
    }

    public func release() {
        let cont: CheckedContinuation<Void, any Error>? = state.withLock { s in
            if s.waiters.isEmpty { s.permits += 1; return nil }
            return s.waiters.removeFirst().cont
        }
        cont?.resume()
    }
}
