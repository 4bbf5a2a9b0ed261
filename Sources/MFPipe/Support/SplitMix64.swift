import Foundation

/// A small, fast, seedable pseudo-random generator (Steele, Lea and Flood's SplitMix64).
///
/// Randomness in mfpipe is always a value passed in: the same seed gives the same
/// sequence on every machine, which makes splits, initialisations and epoch orders
/// reproducible bit for bit.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; saving and restoring it resumes the sequence exactly.
    public private(set) var state: UInt64

    /// Creates a generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Creates a generator for one named purpose under a pipeline seed, so that
    /// independent consumers (two stages, two ranks) draw independent streams.
    public init(seed: UInt64, stream: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stream.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        var mixer = SplitMix64(seed: seed ^ hash)
        state = mixer.next()
    }

    /// Returns the next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal sample (Box–Muller; one of the pair is discarded to keep the state simple).
    public mutating func nextGaussian() -> Double {
        let u1 = max(nextUnitDouble(), Double.leastNormalMagnitude)
        let u2 = nextUnitDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound` without modulo bias (Lemire's method).
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0)
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates), independent of the
    /// standard library's shuffling algorithm so that orders never change with the toolchain.
    public mutating func permutation(_ count: Int) -> [Int] {
        var result = Array(0..<count)
        var index = count - 1
        while index > 0 {
            result.swapAt(index, nextIndex(below: index + 1))
            index -= 1
        }
        return result
    }
}
