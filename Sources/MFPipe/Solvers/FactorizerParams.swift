/// Declarations of parameters that several algorithms share in meaning — each algorithm
/// lists the ones it takes, with its own default, so that the wording is written once.
public enum FactorizerParams {
    /// The most epochs (iterations) to run.
    public static func epochs(_ value: Int, unit: String = "epochs") -> ParamSpec {
        ParamSpec("epochs", .integer(1...Int.max), default: .number(Double(value)), "the most \(unit)")
    }

    /// Early stopping on validation RMSE.
    public static func patience(_ value: Int, unit: String = "epochs") -> ParamSpec {
        ParamSpec("patience", .integer(0...Int.max), default: .number(Double(value)),
                  "with a validation set: stop this many \(unit) after the best validation RMSE and keep that \(unit.dropLast())'s factors (0: no early stopping, the last is kept)")
    }

    /// Stopping on the objective's relative change.
    public static func tolerance(_ value: Double, window: Int = 1) -> ParamSpec {
        ParamSpec("tolerance", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(value),
                  window == 1 ? "stop when the objective's relative improvement over an epoch falls below this"
                      : "stop when the objective's relative improvement over \(window) iterations falls below this")
    }

    /// The L2 penalty on the factors, with what it means for the algorithm.
    public static func regularization(_ value: Double, _ meaning: String) -> ParamSpec {
        ParamSpec("regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(value),
                  "L2 penalty on the factors: \(meaning)")
    }

    /// The L2 penalty on the learned row and column biases.
    public static func biasRegularization(_ value: Double, _ meaning: String) -> ParamSpec {
        ParamSpec("bias_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(value),
                  "L2 penalty on the learned row and column biases: \(meaning)")
    }

    /// The spread of the random initial factors.
    public static func initScale(_ value: Double, _ scale: String) -> ParamSpec {
        ParamSpec("init_scale", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: true), default: .number(value),
                  "standard deviation of the Gaussian initial factors (\(scale))")
    }

    /// A model to start from.
    public static let warmStart = ParamSpec(
        "warm_start", .path(.earlierOutput), default: .null,
        "an earlier export to start from; its model of the same rank gives the initial factors and biases of the rows and columns it knows (matched by id)")
}
