/// RMSE and MAE of predictions against observed values.
public struct ErrorMetrics: Sendable, Equatable {
    /// Root-mean-square error (NaN for an empty set).
    public var rmse: Double
    /// Mean absolute error (NaN for an empty set).
    public var mae: Double

    /// Metrics measured elsewhere.
    public init(rmse: Double, mae: Double) {
        self.rmse = rmse
        self.mae = mae
    }

    /// No entries: both NaN.
    public static let empty = ErrorMetrics(rmse: .nan, mae: .nan)

    /// The metrics of `predict` over `table`, on up to `threads` threads, with the same bits
    /// for any thread count (`errorSums`).
    public static func measure(_ table: RatingTable, threads: Int = 1, predict: (Int32, Int32) -> Double) -> ErrorMetrics {
        guard table.count > 0 else { return .empty }
        let (squared, absolute) = errorSums(table, threads: threads, predict: predict) { error in (error * error, abs(error)) }
        return ErrorMetrics(rmse: (squared / Double(table.count)).squareRoot(), mae: absolute / Double(table.count))
    }

    /// The standard error of the mean squared error of `predict` over `table`: the sample
    /// standard deviation of the squared errors over √n (NaN for fewer than two entries);
    /// the same bits for any thread count, as `measure`.
    public static func meanSquareStandardError(_ table: RatingTable, threads: Int = 1, predict: (Int32, Int32) -> Double) -> Double {
        let n = Double(table.count)
        guard table.count > 1 else { return .nan }
        let (squares, fourths) = errorSums(table, threads: threads, predict: predict) { error in
            let square = error * error
            return (square, square * square)
        }
        let variance = max(0, (fourths - squares * squares / n) / (n - 1))
        return (variance / n).squareRoot()
    }

    /// Two sums of `terms(error)` over the entries' errors (value − prediction): the entries
    /// are cut into fixed chunks (`ParallelWork.overChunks`) whose sums are added in order,
    /// so the result has the same bits for any thread count.
    private static func errorSums(_ table: RatingTable, threads: Int, predict: (Int32, Int32) -> Double,
                                  _ terms: (Double) -> (Double, Double)) -> (Double, Double) {
        ParallelWork.overChunks(table.count, threads: threads) { entries in
            var sums = (0.0, 0.0)
            for entry in entries {
                let (first, second) = terms(Double(table.values[entry]) - predict(table.rows[entry], table.cols[entry]))
                sums = (sums.0 + first, sums.1 + second)
            }
            return sums
        }.reduce((0.0, 0.0)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }
}
