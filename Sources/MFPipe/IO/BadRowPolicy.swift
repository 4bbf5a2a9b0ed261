/// What to do with a malformed row: stop with its file:line (the default), or skip it,
/// counting, and stop once more than `maximum` rows were skipped.
public struct BadRowPolicy {
    /// Whether bad rows are skipped rather than fatal.
    public let skip: Bool
    /// The most rows that may be skipped.
    public let maximum: Int
    /// Rows skipped so far.
    public private(set) var skipped = 0
    private var first: InputDataError?

    /// Creates a policy; `skip: false` makes every bad row an error.
    public init(skip: Bool, maximum: Int) {
        self.skip = skip
        self.maximum = maximum
    }

    /// Records a bad row: throws it under the error policy, or once the cap is passed.
    public mutating func reject(_ error: InputDataError) throws {
        guard skip else { throw error }
        skipped += 1
        if first == nil { first = error }
        if skipped > maximum {
            throw InputDataError(
                file: error.file, line: error.line,
                message: "more than \(CountText.of(maximum, "bad row")) (max_bad_rows); the first was at line \(first?.line ?? 0): \(first?.message ?? "")")
        }
    }
}
