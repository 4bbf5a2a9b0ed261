/// How an algorithm's users count its training, for the logs, the reports and `status`:
/// each of the training loop's epochs is an epoch, an iteration, or (svd) an imputation
/// round.
public struct IterationCount: Sendable, Equatable {
    /// The unit, singular ("epoch", "round").
    public let name: String
    /// The parameter that sets how many units run at most.
    public let parameter: String

    /// Epochs, at most `epochs` of them.
    public static let epochs = IterationCount(name: "epoch", parameter: "epochs")

    /// Creates a unit named `name`, at most `parameter` of them.
    public init(name: String, parameter: String) {
        self.name = name
        self.parameter = parameter
    }

    /// "more epochs", "more rounds (impute_rounds)": what to ask for when training ran out.
    public var more: String {
        "more \(name)s" + (parameter == name + "s" ? "" : " (\(parameter))")
    }
}
