/// RMSE and MAE of predictions against observed values.
public struct ErrorMetrics: Sendable, Equatable {
    /// Root-mean-square error (NaN for an empty set).
    public var rmse: Double
    /// Mean absolute error (NaN for an empty set).
    public var mae: Double

    /// No entries: both NaN.
    public static let empty = ErrorMetrics(rmse: .nan, mae: .nan)

    /// The metrics of `predict` over `table`, on up to `threads` threads: the entries are cut
    /// into fixed chunks (`ParallelWork.overChunks`) whose sums are added in order, so the
    /// result has the same bits for any thread count.
    public static func measure(_ table: RatingTable, threads: Int = 1, predict: (Int32, Int32) -> Double) -> ErrorMetrics {
        guard table.count > 0 else { return .empty }
        let sums = ParallelWork.overChunks(table.count, threads: threads) { entries in
            var (squared, absolute) = (0.0, 0.0)
            for entry in entries {
                let error = Double(table.values[entry]) - predict(table.rows[entry], table.cols[entry])
                squared += error * error
                absolute += abs(error)
            }
            return (squared, absolute)
        }
        let (squared, absolute) = sums.reduce((0.0, 0.0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        return ErrorMetrics(rmse: (squared / Double(table.count)).squareRoot(), mae: absolute / Double(table.count))
    }
}
