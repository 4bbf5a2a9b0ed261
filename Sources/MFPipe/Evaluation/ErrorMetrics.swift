/// RMSE and MAE of predictions against observed values.
public struct ErrorMetrics: Sendable, Equatable {
    /// Root-mean-square error (NaN for an empty set).
    public var rmse: Double
    /// Mean absolute error (NaN for an empty set).
    public var mae: Double

    /// No entries: both NaN.
    public static let empty = ErrorMetrics(rmse: .nan, mae: .nan)

    /// The metrics of `predict` over `table`.
    public static func measure(_ table: RatingTable, predict: (Int32, Int32) -> Double) -> ErrorMetrics {
        guard table.count > 0 else { return .empty }
        var squared = 0.0
        var absolute = 0.0
        for entry in 0..<table.count {
            let error = Double(table.values[entry]) - predict(table.rows[entry], table.cols[entry])
            squared += error * error
            absolute += abs(error)
        }
        return ErrorMetrics(rmse: (squared / Double(table.count)).squareRoot(), mae: absolute / Double(table.count))
    }
}
