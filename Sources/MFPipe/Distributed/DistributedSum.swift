import Foundation

extension MPIWorld {
    /// `ParallelWork.sum` over every rank of the job: the tasks `0..<count` are cut into one
    /// contiguous range per rank (by `weights`, the same cut on every rank), each rank runs
    /// its range on `threads` threads, and then every rank receives what the others wrote —
    /// the bytes `regions(range)` names for each rank's range — and every task's part. The
    /// parts are added in task order, so the sum (like every region) has the same bits as
    /// in one process, for any number of ranks.
    ///
    /// With `balance`, the cut follows the time each rank took on earlier calls of the same
    /// work (`ShareBalance`); which rank computes a task never changes its result.
    public func sum(_ count: Int, weights: [Int], threads: Int, balance: ShareBalance? = nil,
                    regions: (Range<Int>) -> [UnsafeMutableRawBufferPointer], _ part: (Int) -> Double) -> Double {
        sum(shares: balance?.partition(weights, in: self) ?? partition(weights), threads: threads, balance: balance,
            regions: regions, part)
    }

    /// `sum` over the tasks `0..<shares.last.upperBound` with the cut given: rank r runs the
    /// tasks `shares[r]` (contiguous ranges in rank order covering every task).
    public func sum(shares: [Range<Int>], threads: Int, balance: ShareBalance? = nil,
                    regions: (Range<Int>) -> [UnsafeMutableRawBufferPointer], _ part: (Int) -> Double) -> Double {
        let mine = shares[rank]
        var parts = [Double](repeating: 0, count: shares.last?.upperBound ?? 0)
        parts.withUnsafeMutableBufferPointer { slots in
            let output = UncheckedSendable(slots)
            let started = Date()
            ParallelWork.forEach(mine.count, threads: threads) { position in
                output.value[mine.lowerBound + position] = part(mine.lowerBound + position)
            }
            balance?.record(seconds: Date().timeIntervalSince(started), shares: shares, in: self)
            share { other in
                regions(shares[other]) + [UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(slots)[
                    (shares[other].lowerBound * 8)..<(shares[other].upperBound * 8)])]
            }
        }
        return parts.reduce(0, +)
    }
}

/// What each task of one repeated `MPIWorld.sum` (the rows of every ALS iteration) costs,
/// learnt from the ranks' times on the calls so far, so that the next call's cut gives each
/// rank about the same time rather than the same weight (an ALS row with a thousand ratings
/// costs less per rating than one with five).
///
/// The first call's times replace the weights outright; later calls move the estimate only
/// halfway (geometrically) towards what they measured, so that the cut follows a lasting
/// difference between shares without chasing the noise of one call's timing.
/// Every rank's measured time is shared with every rank, so every rank derives the same
/// cut; which rank computes a task never changes its result.
public final class ShareBalance {
    /// Each task's estimated cost: its weight at first, then rescaled so that each rank's
    /// share sums to (about) the time the rank took on it.
    private var estimate: [Double] = []
    /// Whether a call has been timed yet.
    private var learnt = false

    /// An empty record: the first call cuts by weight alone.
    public init() {}

    /// The cut of `weights` for the next call.
    func partition(_ weights: [Int], in world: MPIWorld) -> [Range<Int>] {
        if estimate.count != weights.count {
            estimate = weights.map(Double.init)
            learnt = false
        }
        return world.partition(estimate)
    }

    /// Learns from this call: every rank's `seconds` for its share of `shares`.
    func record(seconds: Double, shares: [Range<Int>], in world: MPIWorld) {
        let times = world.gather(seconds)
        for (rank, share) in shares.enumerated() {
            let total = share.reduce(0.0) { $0 + estimate[$1] }
            guard total > 0, times[rank] > 0 else { continue }
            let factor = learnt ? (times[rank] / total).squareRoot() : times[rank] / total
            for task in share { estimate[task] *= factor }
        }
        learnt = true
    }
}

/// The bytes of `count` floats from `start`, for `MPIWorld.share`.
func floatBytes(_ start: UnsafeMutablePointer<Float>, _ count: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: start, count: max(count, 0) * MemoryLayout<Float>.stride)
}
