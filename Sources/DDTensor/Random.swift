import Foundation

/// Deterministic random numbers: xoshiro256** seeded through SplitMix64.
/// The whole state is four UInt64s (`state`), so long runs can checkpoint and resume exactly.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    public var state: [UInt64]

    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    /// Restores a generator from a saved `state` (must be 4 words, not all zero).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        self.state = state
    }

    @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = RandomGenerator.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]; state[3] ^= state[1]; state[1] ^= state[2]; state[0] ^= state[3]
        state[2] ^= t
        state[3] = RandomGenerator.rotl(state[3], 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// Standard normal (Box–Muller; one draw per call, so the stream position is easy to reason about).
    public mutating func normal() -> Double {
        let u1 = 1 - uniform(), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Uniform integer in 0..<bound (unbiased).
    public mutating func int(below bound: Int) -> Int {
        require(bound > 0, "int(below:) needs a positive bound")
        return Int(next(upperBound: UInt64(bound)))
    }

    /// Random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, int(below: i + 1)) } }
        return p
    }
}

extension NDArray {
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
                               rng: inout RandomGenerator) -> NDArray {
        let n = shape.reduce(1, *)
        let v = (0..<n).map { _ in rng.uniform(low, high) }
        return NDArray(shape: shape, doubles: v).converted(to: dtype)
    }

    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                              rng: inout RandomGenerator) -> NDArray {
        let n = shape.reduce(1, *)
        let v = (0..<n).map { _ in mean + std * rng.normal() }
        return NDArray(shape: shape, doubles: v).converted(to: dtype)
    }
}
