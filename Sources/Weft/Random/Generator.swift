import Synchronization

/// A seeded random generator: a Philox key plus a counter that each draw advances by the number
/// of blocks it used. Same seed, same sequence of draws → bit-identical tensors.
public final class RandomGenerator: Sendable {
    private struct State { var key: UInt64; var counter: UInt64 }
    private let state: Mutex<State>

    public init(seed: UInt64) { state = Mutex(State(key: RandomGenerator.scramble(seed), counter: 0)) }

    /// The process-wide default generator (seed 0 until `Random.seed` is called).
    public static let global = RandomGenerator(seed: 0)

    /// SplitMix64 finaliser, so that nearby seeds give unrelated keys.
    static func scramble(_ seed: UInt64) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public func reseed(_ seed: UInt64) { state.withLock { $0 = State(key: RandomGenerator.scramble(seed), counter: 0) } }

    /// Reserves `blocks` counter values; returns (key, first counter).
    public func reserve(blocks: Int) -> (key: UInt64, counter: UInt64) {
        state.withLock { s in
            let c = s.counter
            s.counter &+= UInt64(blocks)
            return (s.key, c)
        }
    }

    /// The state to checkpoint: (key, counter).
    public var snapshot: (key: UInt64, counter: UInt64) { state.withLock { ($0.key, $0.counter) } }
    public func restore(key: UInt64, counter: UInt64) { state.withLock { $0 = State(key: key, counter: counter) } }

    /// A uniform integer in 0..<bound (for shuffling).
    public func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let (k, c) = reserve(blocks: 1)
        let (a, b, _, _) = Philox4x32(key: k).block(c, stream: 7)
        return Int((UInt64(a) << 32 | UInt64(b)) % UInt64(bound))
    }

    /// A seeded permutation of 0..<n (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        let (k, c) = reserve(blocks: n)
        let ph = Philox4x32(key: k)
        for i in stride(from: n - 1, to: 0, by: -1) {
            let (a, b, _, _) = ph.block(c &+ UInt64(i), stream: 7)
            let j = Int((UInt64(a) << 32 | UInt64(b)) % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }
}

/// Seeding, like `torch.manual_seed`.
public enum Random {
    public static func seed(_ seed: UInt64) { RandomGenerator.global.reseed(seed) }
}
