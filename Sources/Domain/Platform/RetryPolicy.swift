import Foundation
import Ports

/// Exponential backoff with jitter: attempt n waits base·factorⁿ⁻¹ (capped), then a random share of
/// `jitter` is taken off so that failed jobs from one outage do not all come back at once.
public struct RetryPolicy: Sendable, Equatable {
    public var base: TimeInterval
    public var factor: Double
    public var cap: TimeInterval
    /// 0 = no jitter; 0.5 = the delay is drawn from [50%, 100%] of the nominal value.
    public var jitter: Double

    public init(base: TimeInterval = 5, factor: Double = 4, cap: TimeInterval = 6 * 3600, jitter: Double = 0.5) {
        self.base = base; self.factor = factor; self.cap = cap; self.jitter = jitter
    }

    public static let standard = RetryPolicy()

    /// The nominal (un-jittered) delay after failed attempt `attempt` (1-based).
    public func nominalDelay(afterAttempt attempt: Int) -> TimeInterval {
        let exp = pow(factor, Double(max(0, attempt - 1)))
        return min(cap, base * exp)
    }

    public func delay(afterAttempt attempt: Int, random: any RandomSource) -> TimeInterval {
        let d = nominalDelay(afterAttempt: attempt)
        return d * (1 - jitter * random.unit())
    }
}
