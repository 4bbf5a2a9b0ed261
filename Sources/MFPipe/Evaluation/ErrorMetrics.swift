/// RMSE and MAE of predictions against observed values.
public struct ErrorMetrics: Sendable, Equatable {
    /// Root-mean-square error (NaN for an empty set).
    public var rmse: Double
    /// Mean absolute error (NaN for an empty set).
    public var mae: Double

    /// No entries: both NaN.
    public static let empty = ErrorMetrics(rmse: .nan, mae: .nan)

    /// Entries per task of `measure`.
    private static let chunk = 1 << 16

    /// The metrics of `predict` over `table`, on up to `threads` threads: the entries are cut
    /// into fixed chunks whose sums are added in order, so the result has the same bits for
    /// any thread count.
    public static func measure(_ table: RatingTable, threads: Int = 1, predict: (Int32, Int32) -> Double) -> ErrorMetrics {
        guard table.count > 0 else { return .empty }
        let chunks = (table.count + chunk - 1) / chunk
        var sums = [(squared: Double, absolute: Double)](repeating: (0, 0), count: chunks)
        sums.withUnsafeMutableBufferPointer { slots in
            let output = UncheckedSendable(slots)
            ParallelWork.forEach(chunks, threads: threads) { part in
                var (squared, absolute) = (0.0, 0.0)
                for entry in part * chunk..<min(table.count, (part + 1) * chunk) {
                    let error = Double(table.values[entry]) - predict(table.rows[entry], table.cols[entry])
                    squared += error * error
                    absolute += abs(error)
                }
                output.value[part] = (squared, absolute)
            }
        }
        let (squared, absolute) = sums.reduce((0.0, 0.0)) { ($0.0 + $1.squared, $0.1 + $1.absolute) }
        return ErrorMetrics(rmse: (squared / Double(table.count)).squareRoot(), mae: absolute / Double(table.count))
    }
}
