import Foundation

extension MPIWorld {
    /// `ParallelWork.sum` over every rank of the job: the tasks `0..<count` are cut into one
    /// contiguous range per rank (by `weights`, the same cut on every rank), each rank runs
    /// its range on `threads` threads, and then every rank receives what the others wrote —
    /// the bytes `regions(range)` names for each rank's range — and every task's part. The
    /// parts are added in task order, so the sum (like every region) has the same bits as
    /// in one process, for any number of ranks.
    ///
    /// - Returns: the sum, and the cut (for a caller that shares more afterwards).
    @discardableResult
    public func sum(_ count: Int, weights: [Int], threads: Int, regions: (Range<Int>) -> [UnsafeMutableRawBufferPointer],
                    _ part: (Int) -> Double) -> (sum: Double, shares: [Range<Int>]) {
        let shares = partition(weights)
        let mine = shares[rank]
        var parts = [Double](repeating: 0, count: count)
        parts.withUnsafeMutableBufferPointer { slots in
            let output = UncheckedSendable(slots)
            ParallelWork.forEach(mine.count, threads: threads) { position in
                output.value[mine.lowerBound + position] = part(mine.lowerBound + position)
            }
            share { other in
                regions(shares[other]) + [UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(slots)[
                    (shares[other].lowerBound * 8)..<(shares[other].upperBound * 8)])]
            }
        }
        return (parts.reduce(0, +), shares)
    }
}

/// The bytes of `count` floats from `start`, for `MPIWorld.share`.
func floatBytes(_ start: UnsafeMutablePointer<Float>, _ count: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: start, count: max(count, 0) * MemoryLayout<Float>.stride)
}
