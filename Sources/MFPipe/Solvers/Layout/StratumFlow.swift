import Dispatch
import Foundation

/// Runs an epoch's strata on threads block by block as their data allows, with no wait
/// for a whole stratum: block i of stratum s starts once block i of stratum s − 1 (the last
/// to use its row bin) and the block of stratum s − 1 that used its column bin are done.
/// Every block therefore sees exactly the factors it would see in stratum order, whatever
/// the thread count and the timing, while a thread that finishes early goes on into the
/// next stratum instead of waiting for the slowest block of this one.
public enum StratumFlow {
    /// Calls `train(index, stratum)` once for every block of strata `first..<strata.grid` on
    /// up to `threads` threads, in an order that respects the blocks' data, and returns the
    /// number of strata fully trained: `strata.grid`, or fewer when `isCancelled` turned
    /// true — then the blocks begun so far are finished with every block of their strata,
    /// and none of a later stratum has begun.
    public static func run(_ strata: Strata, from first: Int, threads: Int, isCancelled: @escaping () -> Bool,
                           _ train: (_ index: Int, _ stratum: Int) -> Void) -> Int {
        let grid = strata.grid
        guard first < grid else { return first }
        if threads <= 1 {
            for stratum in first..<grid {
                if isCancelled() { return stratum }
                for index in 0..<grid { train(index, stratum) }
            }
            return grid
        }
        let state = FlowState(strata: strata, first: first, isCancelled: isCancelled)
        withoutActuallyEscaping(train) { train in
            let task = UncheckedSendable(train)
            DispatchQueue.concurrentPerform(iterations: min(threads, grid)) { _ in
                while let (index, stratum) = state.next() {
                    task.value(index, stratum)
                    state.finished(index, stratum)
                }
            }
        }
        return state.end
    }
}

/// The shared progress of one `StratumFlow.run`: which blocks are ready, under one lock.
private final class FlowState: @unchecked Sendable {
    private let strata: Strata
    private let first: Int
    private let isCancelled: () -> Bool
    private let condition = NSCondition()
    /// For each stratum index, the strata of it finished so far.
    private var done: [Int]
    /// Blocks whose data is ready, in the order they became so.
    private var ready: [(index: Int, stratum: Int)]
    private var head = 0
    /// One past the last stratum to train; lowered once, on cancellation.
    private(set) var end: Int
    /// The latest stratum a block of which has begun (`first - 1` before any).
    private var highestBegun: Int
    private var remaining: Int

    init(strata: Strata, first: Int, isCancelled: @escaping () -> Bool) {
        self.strata = strata
        self.first = first
        self.isCancelled = isCancelled
        done = [Int](repeating: first, count: strata.grid)
        ready = (0..<strata.grid).map { ($0, first) }
        end = strata.grid
        highestBegun = first - 1
        remaining = (strata.grid - first) * strata.grid
    }

    /// The next ready block, waiting while none is; nil once every block to train is done.
    func next() -> (index: Int, stratum: Int)? {
        condition.lock()
        defer { condition.unlock() }
        if end == strata.grid && isCancelled() {
            end = highestBegun + 1
            remaining -= (strata.grid - end) * strata.grid
            if remaining == 0 { condition.broadcast() }
        }
        while true {
            while head < ready.count && ready[head].stratum >= end { head += 1 }
            if head < ready.count {
                let block = ready[head]
                head += 1
                highestBegun = max(highestBegun, block.stratum)
                return block
            }
            if remaining == 0 { return nil }
            condition.wait()
        }
    }

    /// Records that block `index` of `stratum` is done and readies the blocks waiting on it.
    func finished(_ index: Int, _ stratum: Int) {
        condition.lock()
        defer { condition.unlock() }
        done[index] = stratum + 1
        remaining -= 1
        let next = stratum + 1
        if next < end {
            let columnBefore = strata.index(sharingColumnOf: index, stratum: next, in: stratum)
            if done[columnBefore] >= next { ready.append((index, next)) }
            let columnAfter = strata.index(sharingColumnOf: index, stratum: stratum, in: next)
            if columnAfter != index && done[columnAfter] == next { ready.append((columnAfter, next)) }
        }
        condition.broadcast()
    }
}
