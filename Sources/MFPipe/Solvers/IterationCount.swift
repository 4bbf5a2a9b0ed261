/// How an algorithm's users count its training, for the logs: in epochs, each one of the
/// training loop's epochs, or (svd) in imputation rounds of several loop epochs each (a
/// round's power iterations). Artifacts and exports keep the loop's own count.
public struct IterationCount: Sendable, Equatable {
    /// The unit, singular ("epoch", "round").
    public let name: String
    /// The training loop's epochs in one unit.
    public let epochs: Int
    /// The parameter that sets how many units run at most.
    public let parameter: String

    /// One loop epoch an epoch, at most `epochs` of them.
    public static let epochs = IterationCount(name: "epoch", epochs: 1, parameter: "epochs")

    /// Creates a unit of `epochs` loop epochs named `name`, at most `parameter` of them.
    public init(name: String, epochs: Int, parameter: String) {
        self.name = name
        self.epochs = max(epochs, 1)
        self.parameter = parameter
    }

    /// "more epochs", "more rounds (impute_rounds)": what to ask for when training ran out.
    public var more: String {
        "more \(name)s" + (parameter == name + "s" ? "" : " (\(parameter))")
    }

    /// `loopEpochs` in this unit (a part counts as one).
    public func units(_ loopEpochs: Int) -> Int {
        (loopEpochs + epochs - 1) / epochs
    }

    /// Whether the loop's epoch `epoch` of `total` ends a unit.
    public func ends(_ epoch: Int, of total: Int) -> Bool {
        epoch % epochs == 0 || epoch == total
    }
}
