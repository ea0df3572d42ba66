import Domain
import Foundation
import Ports
import Synchronization

/// A clock tests move by hand.
final class ManualClock: TimeSource, Sendable {
    private let t: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { t = Mutex(start) }
    func now() -> Date { t.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { t.withLock { $0 = $0.addingTimeInterval(seconds) } }
    func set(_ d: Date) { t.withLock { $0 = d } }
}

/// Deterministic randomness (SplitMix64), so ids and jitter repeat from run to run.
final class SeededRandom: RandomSource, Sendable {
    private let state: Mutex<UInt64>
    init(seed: UInt64 = 42) { state = Mutex(seed) }
    private func next() -> UInt64 {
        state.withLock { s in
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Randomness fixed at one value, for exact backoff checks.
struct FixedRandom: RandomSource {
    let value: Double
    func bytes(_ count: Int) -> [UInt8] { Array(repeating: 7, count: count) }
    func unit() -> Double { value }
}

/// Collects log lines so tests can assert on them.
final class MemoryLog: DomainLog, Sendable {
    let lines = Mutex<[String]>([])
    func debug(_ message: String, _ metadata: [String: String]) {}
    func info(_ message: String, _ metadata: [String: String]) { lines.withLock { $0.append("info " + message) } }
    func warning(_ message: String, _ metadata: [String: String]) { lines.withLock { $0.append("warning " + message) } }
    func error(_ message: String, _ metadata: [String: String]) { lines.withLock { $0.append("error " + message) } }
}

/// Thread-safe counters keyed by job payload, to prove each job ran exactly once.
final class ExecutionLedger: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func record(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }
    var snapshot: [String: Int] { counts.withLock { $0 } }
    func count(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
}
