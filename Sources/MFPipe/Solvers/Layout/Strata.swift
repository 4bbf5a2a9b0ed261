/// The order of one SGD epoch over a block grid: `grid` strata, each a set of `grid` blocks
/// that share no row bin and no column bin, so that a stratum's blocks can be trained on
/// any number of threads with the same result (the DSGD schedule of Gemulla et al. 2011).
///
/// Stratum s pairs row bin `rowBins[i]` with column bin `colBins[(i + shift[s]) % grid]`.
/// The even shifts, in a random order, are cut into `runs` runs, and so are the odd ones;
/// the runs alternate, even and odd (or odd first). Inside a run two strata in a row differ
/// by an even shift, so that block index i of the second needs the column bin that index
/// i + 2m used in the first: a rank that trains every other index of an even grid under
/// `mpirun` finds the column bins it needs at home for all strata but the 2 · runs − 1
/// where the parity turns. The even indices take the first ⌈grid / 2⌉ row bins and the odd
/// ones the rest, so that two ranks each keep the same row bins every epoch
/// (`BlockedRatings.rowBins(ofRank:among:)`). The bin orders, the parity first and the shifts are drawn afresh
/// each epoch from the seed and the epoch number alone, so a resumed run replays exactly
/// the order an uninterrupted one would.
public struct Strata {
    /// Runs of shifts of one parity in an epoch. Fewer exchange less under `mpirun` but
    /// learn less per epoch (measured at Netflix shape, k = 32, best validation RMSE within
    /// 9 epochs: one run 0.5288, two 0.5286, four 0.5283 — as a fully random order of
    /// shifts — and the first epoch 0.590 / 0.567 / 0.561).
    static let runs = 4

    /// Blocks per side.
    public let grid: Int
    private let rowBins: [Int]
    private let colBins: [Int]
    private let shifts: [Int]

    /// The schedule of epoch `epoch` (1-based) under `seed`.
    public init(grid: Int, seed: UInt64, epoch: Int) {
        self.grid = grid
        var random = SplitMix64(seed: seed, stream: "sgd-epoch-\(epoch)")
        let firstHalf = (grid + 1) / 2
        let (low, high) = (random.permutation(firstHalf), random.permutation(grid - firstHalf))
        rowBins = (0..<grid).map { $0 % 2 == 0 ? low[$0 / 2] : firstHalf + high[$0 / 2] }
        colBins = random.permutation(grid)
        let parities = random.permutation(2).map { parity in
            let members = Array(stride(from: parity, to: grid, by: 2))
            return random.permutation(members.count).map { members[$0] }
        }
        shifts = (0..<Self.runs).flatMap { run in
            parities.flatMap { shifts in shifts[(shifts.count * run / Self.runs)..<(shifts.count * (run + 1) / Self.runs)] }
        }
    }

    /// Block `index` of stratum `stratum`, as (row bin, column bin).
    public func block(_ index: Int, ofStratum stratum: Int) -> (rowBin: Int, colBin: Int) {
        (rowBins[index], colBins[(index + shifts[stratum]) % grid])
    }

    /// The block index of stratum `other` whose column bin is that of block `index` of
    /// stratum `stratum`.
    public func index(sharingColumnOf index: Int, stratum: Int, in other: Int) -> Int {
        (index + shifts[stratum] - shifts[other] + grid) % grid
    }
}
