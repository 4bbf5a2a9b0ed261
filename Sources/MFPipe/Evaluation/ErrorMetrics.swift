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

    /// The standard error of the mean squared error of `predict` over `table`: the sample
    /// standard deviation of the squared errors over √n (NaN for fewer than two entries);
    /// the same bits for any thread count, as `measure`.
    public static func meanSquareStandardError(_ table: RatingTable, threads: Int = 1, predict: (Int32, Int32) -> Double) -> Double {
        let n = Double(table.count)
        guard table.count > 1 else { return .nan }
        let sums = ParallelWork.overChunks(table.count, threads: threads) { entries in
            var (squares, fourths) = (0.0, 0.0)
            for entry in entries {
                let error = Double(table.values[entry]) - predict(table.rows[entry], table.cols[entry])
                squares += error * error
                fourths += error * error * error * error
            }
            return (squares, fourths)
        }
        let (squares, fourths) = sums.reduce((0.0, 0.0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        let variance = max(0, (fourths - squares * squares / n) / (n - 1))
        return (variance / n).squareRoot()
    }
}
