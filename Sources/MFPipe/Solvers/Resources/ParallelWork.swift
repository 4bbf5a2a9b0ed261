import Dispatch
import Synchronization

/// Runs independent tasks on a fixed number of threads, each task on whichever thread is free.
///
/// Which thread runs a task is left to timing, so callers give every task its own output
/// slot and combine the slots in task order afterwards: results never depend on the
/// thread count or on timing.
public enum ParallelWork {
    /// Calls `body(index)` once for every index in `0..<count`, on up to `threads` threads,
    /// and returns when all calls have returned. One thread runs them in order, inline.
    public static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = min(max(threads, 1), count)
        if workers <= 1 {
            for index in 0..<count { body(index) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let task = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    if index >= count { break }
                    task.value(index)
                }
            }
        }
    }

    /// Sums `part(index)` for every index in `0..<count`, computed on up to `threads`
    /// threads and added in index order, so the sum has the same bits for any thread count.
    ///
    /// - Parameter order: the order in which tasks are handed out (default: index order) —
    ///   largest first balances uneven tasks; it never changes the result.
    public static func sum(_ count: Int, threads: Int, order: [Int]? = nil, _ part: (Int) -> Double) -> Double {
        var parts = [Double](repeating: 0, count: count)
        parts.withUnsafeMutableBufferPointer { slots in
            let output = UncheckedSendable(slots)
            forEach(count, threads: threads) { position in
                let index = order?[position] ?? position
                output.value[index] = part(index)
            }
        }
        return parts.reduce(0, +)
    }

    /// Items per range of `overChunks`: fixed, so that what a caller adds up over the ranges
    /// never depends on the thread count.
    public static let chunk = 1 << 16

    /// `part(range)` for the consecutive ranges of `chunk` items covering `0..<count` (the
    /// last one shorter), computed on up to `threads` threads and returned in range order.
    public static func overChunks<Part>(_ count: Int, threads: Int, _ part: (Range<Int>) -> Part) -> [Part] {
        var parts = [Part?](repeating: nil, count: (count + chunk - 1) / chunk)
        parts.withUnsafeMutableBufferPointer { slots in
            let output = UncheckedSendable(slots)
            forEach(slots.count, threads: threads) { index in
                output.value[index] = part(index * chunk..<min(count, (index + 1) * chunk))
            }
        }
        return parts.map { $0! }
    }

    /// The indices of `weights`, heaviest first (ties in index order): the order that
    /// keeps threads busy to the end when tasks differ in size.
    public static func heaviestFirst(_ weights: [Int]) -> [Int] {
        weights.indices.sorted { (weights[$0], $1) > (weights[$1], $0) }
    }
}

/// A value handed to worker threads whose safe use the caller guarantees (each thread
/// touches its own part).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The wrapped value.
    public let value: Value

    /// Wraps `value`.
    public init(_ value: Value) {
        self.value = value
    }
}
