/// The order of one SGD epoch over a block grid: `grid` strata, each a set of `grid` blocks
/// that share no row bin and no column bin, so that a stratum's blocks can be trained on
/// any number of threads with the same result (the DSGD schedule of Gemulla et al. 2011).
///
/// Stratum s pairs row bin `rowBins[i]` with column bin `colBins[(i + shift[s]) % grid]`;
/// the bin orders and the shifts are drawn afresh each epoch from the seed and the epoch
/// number alone, so a resumed run replays exactly the order an uninterrupted one would.
public struct Strata {
    /// Blocks per side.
    public let grid: Int
    private let rowBins: [Int]
    private let colBins: [Int]
    private let shifts: [Int]

    /// The schedule of epoch `epoch` (1-based) under `seed`.
    public init(grid: Int, seed: UInt64, epoch: Int) {
        self.grid = grid
        var random = SplitMix64(seed: seed, stream: "sgd-epoch-\(epoch)")
        rowBins = random.permutation(grid)
        colBins = random.permutation(grid)
        shifts = random.permutation(grid)
    }

    /// Block `index` of stratum `stratum`, as (row bin, column bin).
    public func block(_ index: Int, ofStratum stratum: Int) -> (rowBin: Int, colBin: Int) {
        (rowBins[index], colBins[(index + shifts[stratum]) % grid])
    }
}
