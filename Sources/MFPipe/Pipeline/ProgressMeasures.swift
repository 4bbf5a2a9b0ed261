import Foundation

/// Named numbers that go with a node's progress — the training RMSE, the validation RMSE:
/// plain logs show them after the count ("train RMSE 0.8123"), JSON events carry them as
/// numbers under their names (`train_rmse`).
public struct ProgressMeasures: Sendable {
    /// One measure: its JSON name, its label for people, its value.
    public struct Measure: Sendable {
        /// Its key in JSON events (`epoch_train_rmse`).
        public let name: String
        /// How plain logs name it ("train RMSE").
        public let label: String
        /// The measured value.
        public let value: Double
    }

    /// The measures, in the order they are shown.
    public private(set) var measures: [Measure] = []

    /// No measures.
    public init() {}

    /// Adds a measure (a NaN is left out: nothing was measured).
    public mutating func add(_ name: String, label: String, _ value: Double) {
        guard !value.isNaN else { return }
        measures.append(Measure(name: name, label: label, value: value))
    }

    /// The measures as people read them: "train RMSE 0.8123, validation RMSE 0.8650".
    public var text: String {
        measures.map { "\($0.label) \(MetricText.format($0.value))" }.joined(separator: ", ")
    }
}
