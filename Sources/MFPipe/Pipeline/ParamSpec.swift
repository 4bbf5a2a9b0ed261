/// The declaration of one stage parameter: its name, accepted values, default and meaning.
///
/// Stage types list their parameters; the pipeline loader uses the list to reject unknown
/// keys and wrong types with the JSON path, and to fill in defaults, so a stage's `run`
/// only ever sees valid, complete parameters.
public struct ParamSpec: Sendable {
    /// What a file-path parameter is for: input files are hashed into the stage key,
    /// output files are checked for on every run.
    public enum FileRole: Sendable {
        /// Data the pipeline reads; no output may overwrite it.
        case input
        /// An earlier result read back, as a warm start reads last night's export; hashed
        /// like an input, but the pipeline's own output may replace it.
        case earlierOutput
        /// A file the stage writes outside the work directory.
        case output
    }

    /// The values a parameter accepts.
    public indirect enum Kind: Sendable {
        /// An integer in a closed range.
        case integer(ClosedRange<Int>)
        /// A number in `minimum ... maximum`; `exclusiveMinimum` makes the lower end open.
        case number(minimum: Double, maximum: Double, exclusiveMinimum: Bool)
        /// Any string.
        case string
        /// One of the listed strings.
        case choice([String])
        /// `true` or `false`.
        case boolean
        /// `true`, `false` or the string "auto".
        case booleanOrAuto
        /// A file path, resolved against the pipeline file's folder.
        case path(FileRole)
        /// A column chosen by header name (a string) or 0-based index (an integer).
        case column
        /// A rank: an integer, a list of integers, or `{"from", "to", "step"}`; see `RankSweep`.
        case rankSweep
        /// A nested object with its own parameters.
        case object([ParamSpec])

        /// Whether the value is one number (an integer or any number).
        public var isNumeric: Bool {
            switch self {
            case .integer, .number: true
            default: false
            }
        }
    }

    /// The JSON key.
    public let name: String
    /// The accepted values.
    public let kind: Kind
    /// The value used when the key is absent; nil makes the parameter required,
    /// `.null` makes it optional with no value.
    public let defaultValue: JSONValue?
    /// One line for `--help` and the docs.
    public let summary: String
    /// Whether the value can change the stage's output: only such parameters enter the
    /// stage key (thread counts and checkpoint intervals do not).
    public let affectsResult: Bool
    /// Values a user may well write here that belong elsewhere, each with where it belongs:
    /// added to the error that rejects the value.
    public private(set) var advice: [String: String] = [:]

    /// Declares a parameter.
    public init(_ name: String, _ kind: Kind, default defaultValue: JSONValue?, _ summary: String, affectsResult: Bool = true) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
        self.affectsResult = affectsResult
    }

    /// This parameter, with `advice` for values that belong elsewhere.
    public func advising(_ advice: [String: String]) -> ParamSpec {
        var copy = self
        copy.advice = advice
        return copy
    }

    /// The expectation in words, for error messages ("an integer from 1 to 4096").
    public var expectation: String {
        switch kind {
        case .integer(let range):
            if range.upperBound == Int.max { return "an integer ≥ \(range.lowerBound)" }
            return "an integer from \(range.lowerBound) to \(range.upperBound)"
        case let .number(minimum, maximum, exclusive):
            let lower = exclusive ? "> \(JSONWriter.number(minimum))" : "≥ \(JSONWriter.number(minimum))"
            return maximum == .infinity ? "a number \(lower)" : "a number \(lower) and ≤ \(JSONWriter.number(maximum))"
        case .string: return "a string"
        case .choice(let options): return "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        case .boolean: return "true or false"
        case .booleanOrAuto: return "true, false or \"auto\""
        case .path: return "a file path (a string)"
        case .column: return "a column name (a string) or a 0-based column index"
        case .rankSweep: return RankSweep.expectation
        case .object: return "an object"
        }
    }
}
