/// Data an algorithm cannot factorize as asked — found when the data is there, at run time,
/// and reported by the factorize stage as an error of the pipeline file's parameters (exit 2).
public enum UnsuitableData: Error {
    /// A training value below zero where the algorithm needs non-negative data (indices,
    /// and the value after normalization); the stage names the entry by its ids.
    case negativeEntry(row: Int, col: Int, value: Double)
    /// A rank the matrix cannot have: k above min(m, n).
    case rankTooLarge(k: Int, rows: Int, cols: Int)

    /// "k = 50 is more than "svd" can find in a 30 x 20 matrix", for `rankTooLarge`.
    static func rankText(k: Int, rows: Int, cols: Int, algorithm: String) -> String {
        "k = \(k) is more than \"\(algorithm)\" can find in a \(rows) x \(cols) matrix"
    }
}
