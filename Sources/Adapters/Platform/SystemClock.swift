import Foundation
import Ports

/// The wall clock.
public struct SystemClock: TimeSource {
    public init() {}
    public func now() -> Date { Date() }
}

/// The system CSPRNG (getrandom through Swift's SystemRandomNumberGenerator).
public struct SystemRandom: RandomSource {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &g) }
    }
    public func unit() -> Double {
        var g = SystemRandomNumberGenerator()
        return Double.random(in: 0..<1, using: &g)
    }
}
