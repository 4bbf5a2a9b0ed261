import Foundation

/// Holds out entries for model selection (validation) and for the final number (test):
/// a seeded random split, or train and test files given as two ingest inputs. In a
/// symmetric matrix an entry and its mirror are held out together (`MirrorPairs`).
public enum SplitStage: Stage {
    public static let typeName = "split"
    public static let summary = "hold out validation and test entries: seeded random fractions, or given train/test files"
    public static let inputCount = 1...2
    public static let requires = [ArtifactKind.ratings]
    public static let produces = ArtifactKind.ratings

    public static let params: [ParamSpec] = [
        ParamSpec("method", .choice(["random", "given"]), default: .string("random"),
                  "random: fractions of the one input; given: inputs are the train file then the test file"),
        ParamSpec("validation", .number(minimum: 0, maximum: 1, exclusiveMinimum: false), default: .number(0.1),
                  "fraction held out for validation (of all entries for random, of the train file for given)"),
        ParamSpec("test", .number(minimum: 0, maximum: 1, exclusiveMinimum: false), default: .number(0.1),
                  "fraction held out for the test set (random only)"),
        ParamSpec("held_out", .choice(["test", "validation"]), default: .string("test"),
                  "given: what the second file holds out — the test set, or the validation set (then nothing is carved from the train file and there is no test set)"),
        ParamSpec("seed", .integer(0...Int.max), default: .null, "the split's seed; defaults to the pipeline seed"),
    ]

    public static func problem(with params: StageParams, inputCount: Int) -> (param: String, message: String)? {
        let method = params.string("method")
        if (method == "given") != (inputCount == 2) {
            return ("method", method == "given"
                ? "\"given\" takes two inputs, the train file's stage then the test file's; found \(inputCount)"
                : "\"\(method)\" takes one input; found \(inputCount) (use \"given\" for train and test files)")
        }
        if method != "given" && params.string("held_out") != "test" {
            return ("held_out", "applies to method \"given\" only")
        }
        let held = params.double("validation") + (params.string("method") == "random" ? params.double("test") : 0)
        if held >= 1 {
            return ("validation", "validation and test fractions add up to \(JSONWriter.number(held)); expected less than 1")
        }
        return nil
    }

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        var random = SplitMix64(seed: params.seed, stream: "split")
        let method = params.string("method")
        var data: RatingData
        var pool: RatingTable
        var test = RatingTable()
        if method == "given" {
            let train = try RatingData.read(from: context.inputs[0].dataFile)
            let held = try RatingData.read(from: context.inputs[1].dataFile)
            data = train
            pool = train.training
            test = remap(held.training, from: held, into: &data)
        } else {
            data = try RatingData.read(from: context.inputs[0].dataFile)
            pool = data.training
        }
        // In a symmetric matrix, an entry is drawn with its mirror.
        let pairs = MirrorPairs(pool, rowIDs: data.rowIDs, colIDs: data.colIDs)
        var order = pairs?.representatives ?? Array(0..<pool.count)
        order.shuffle(using: &random)
        let testCount = method == "random" ? Int((params.double("test") * Double(order.count)).rounded()) : 0
        let validationCount = Int((params.double("validation") * Double(order.count)).rounded())
        func entries(_ range: Range<Int>) -> RatingTable {
            pool.selecting(pairs?.entries(of: order[range]) ?? order[range].sorted())
        }
        if method == "random" { test = entries(0..<testCount) }
        var validation = entries(testCount..<testCount + validationCount)
        var train = entries((testCount + validationCount)..<order.count)
        if method == "given" && params.string("held_out") == "validation" {
            (train, validation, test) = (pool, test, RatingTable())
        }
        guard train.count > 0 else {
            throw StageFailure(node: context.node.id, message: "the split leaves no training entries; lower validation or test")
        }
        data.parts = [.train: train, .validation: validation, .test: test]
        try context.writeArtifact(data.write)
        return StageOutcome(
            summary: "train \(train.count), validation \(validation.count), test \(test.count)",
            metrics: ["train": Double(train.count), "validation": Double(validation.count), "test": Double(test.count)])
    }

    /// Re-indexes a held-out file's entries into the train file's id tables, adding ids
    /// seen only there (they become cold-start rows and columns).
    private static func remap(_ table: RatingTable, from source: RatingData, into data: inout RatingData) -> RatingTable {
        let rowMap = source.rowIDs.ids.map { data.rowIDs.index(of: $0) }
        let colMap = source.colIDs.ids.map { data.colIDs.index(of: $0) }
        return RatingTable(
            rows: table.rows.map { rowMap[Int($0)] }, cols: table.cols.map { colMap[Int($0)] },
            values: table.values, timestamps: table.timestamps)
    }
}
