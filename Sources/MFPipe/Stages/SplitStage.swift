import Foundation

/// Holds out entries for model selection (validation) and for the final number (test):
/// seeded random fractions, a seeded leave-n-out per row, temporal (the latest fractions of
/// all entries, or each row's latest n), k-fold cross-validation (one node per fold, see
/// `PipelineDAG`), or train and test files given as two ingest inputs. In a symmetric
/// matrix a random or k-fold split holds out an entry with its mirror (`MirrorPairs`). Every method is seeded or deterministic, so the same inputs and
/// parameters always give the same split.
public enum SplitStage: Stage {
    public static let typeName = "split"
    public static let summary = "hold out validation and test entries: random fractions, per row, temporal, or given train/test files"
    public static let inputCount = 1...2
    public static let inputsHaveRoles = true
    public static let requires = [ArtifactKind.ratings]
    public static let produces = ArtifactKind.ratings

    /// The split methods, each with the parameters it takes besides `method` and `seed`.
    private static let methods: [(name: String, params: [ParamSpec])] = [
        ("random", [fraction("validation", "validation"), fraction("test", "the test set")]),
        ("per_row", [perRow("validation", "at random"), perRow("test", "at random")]),
        ("temporal", [fraction("validation", "validation, the latest entries before the test set's"),
                      fraction("test", "the test set, the latest entries")]),
        ("temporal_per_row", [perRow("validation", "the latest before the test entries"), perRow("test", "the latest")]),
        ("kfold", [folds, fraction("test", "the test set, drawn before the folds and shared by all of them")]),
        ("given", [
            ParamSpec("validation", .number(minimum: 0, maximum: 1, exclusiveMinimum: false), default: .number(0.1),
                      "fraction of the train file held out for validation"),
            ParamSpec("held_out", .choice(["test", "validation"]), default: .string("test"),
                      "what the second file holds out — the test set, or the validation set (then nothing is carved from the train file and there is no test set)"),
        ]),
    ]

    private static let method = ParamSpec(
        "method", .choice(methods.map(\.name)), default: .string("random"),
        "random: fractions of the entries; per_row: n entries of every row at random; temporal: the latest fractions of all entries by timestamp; temporal_per_row: every row's latest n entries; kfold: a test fraction, then the rest in folds, each the validation set of one fold; given: the inputs are the train file then the test file")
    private static let folds = ParamSpec(
        "folds", .integer(2...100), default: .number(5),
        "the number of folds: each is the validation set once, the others its training set; every downstream stage up to evaluate runs once per fold")
    private static let seed = ParamSpec("seed", .integer(0...Int.max), default: .null, "the split's seed; defaults to the pipeline seed")

    private static func fraction(_ name: String, _ what: String) -> ParamSpec {
        ParamSpec(name, .number(minimum: 0, maximum: 1, exclusiveMinimum: false), default: .number(0.1),
                  "fraction of all entries held out for \(what)")
    }

    private static func perRow(_ part: String, _ which: String) -> ParamSpec {
        ParamSpec("\(part)_per_row", .integer(0...1_000_000), default: .number(1),
                  "entries of every row held out for \(part == "test" ? "the test set" : part), \(which); a row keeps at least one training entry (rows with too few keep all)")
    }

    /// Every parameter of any method, each once (for the docs).
    public static var params: [ParamSpec] {
        var all = [method, seed]
        for (_, specs) in methods {
            for spec in specs where !all.contains(where: { $0.name == spec.name }) { all.append(spec) }
        }
        return all
    }

    private static func chosen(_ given: JSONValue) -> String {
        given["method"]?.stringValue.flatMap { name in methods.first { $0.name == name }?.name } ?? "random"
    }

    public static func params(for given: JSONValue) -> [ParamSpec] {
        let name = chosen(given)
        return [method, seed] + methods.first { $0.name == name }!.params
    }

    public static func misplacedParameter(_ name: String, given: JSONValue) -> String? {
        let owners = methods.filter { $0.params.contains { $0.name == name } }.map { "\"\($0.name)\"" }
        guard !owners.isEmpty else { return nil }
        return "applies to method \(owners.joined(separator: ", ")), not to \"\(chosen(given))\""
    }

    public static func problem(with params: StageParams, inputCount: Int) -> (param: String, message: String)? {
        let method = params.string("method")
        if (method == "given") != (inputCount == 2) {
            return ("method", method == "given"
                ? "\"given\" takes two inputs, the train file's stage then the test file's; found \(inputCount)"
                : "\"\(method)\" takes one input; found \(inputCount) (use \"given\" for train and test files)")
        }
        if method == "random" || method == "temporal" {
            let (validation, test) = (params.double("validation"), params.double("test"))
            if validation + test >= 1 {
                return ("validation", "validation (\(JSONWriter.number(validation))) and test (\(JSONWriter.number(test))) fractions "
                        + "add up to \(JSONWriter.number(validation + test)); expected less than 1, leaving entries to train on")
            }
        } else if method == "given" && params.double("validation") >= 1 {
            return ("validation", "holds out the whole train file; expected less than 1")
        }
        return nil
    }

    /// The node parameter that names a k-fold split node's fold (1-based); set by
    /// `PipelineDAG`, never written in a pipeline file.
    static let foldParameter = "fold"

    /// The number of folds of a k-fold split's `params` (as written), nil for other methods.
    static func foldCount(_ given: JSONValue) -> Int? {
        guard given["method"]?.stringValue == "kfold" else { return nil }
        return given[folds.name]?.intValue ?? folds.defaultValue!.intValue!
    }

    /// Whether a split with `params` leaves validation entries (for the checks before a run).
    static func holdsOutValidation(_ params: StageParams) -> Bool {
        switch params.string("method") {
        case "given": return params.string("held_out") == "validation" || params.double("validation") > 0
        case "per_row", "temporal_per_row": return params.int("validation_per_row") > 0
        case "kfold": return true
        default: return params.double("validation") > 0
        }
    }

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        var random = SplitMix64(seed: params.seed, stream: "split")
        let method = params.string("method")
        var data: RatingData
        let pool: RatingTable
        var assignment: [RatingData.Part: [Int]]
        if method == "given" {
            let train = try RatingData.read(from: context.inputs[0].dataFile)
            let held = try RatingData.read(from: context.inputs[1].dataFile)
            data = train
            pool = train.training
            let test = remap(held.training, from: held, into: &data)
            if params.string("held_out") == "validation" {
                data.parts = [.train: pool, .validation: test, .test: RatingTable()]
                return try finish(data, context: context)
            }
            assignment = HoldOut.random(pool, validation: params.double("validation"), test: 0, pairs: nil, random: &random)
            data.parts = [.train: pool.selecting(assignment[.train]!), .validation: pool.selecting(assignment[.validation]!), .test: test]
            return try finish(data, context: context)
        }
        data = try RatingData.read(from: context.inputs[0].dataFile)
        pool = data.training
        switch method {
        case "per_row", "temporal_per_row":
            let temporal = method == "temporal_per_row"
            if temporal { try requireTimestamps(pool, context: context) }
            assignment = HoldOut.perRow(pool, validation: params.int("validation_per_row"), test: params.int("test_per_row"),
                                        order: temporal ? .latestLast : .shuffled, random: &random)
        case "kfold":
            assignment = HoldOut.fold(params.int(foldParameter), of: params.int("folds"), pool, test: params.double("test"),
                                      pairs: MirrorPairs(pool, rowIDs: data.rowIDs, colIDs: data.colIDs), random: &random)
        case "temporal":
            try requireTimestamps(pool, context: context)
            assignment = HoldOut.latest(pool, validation: params.double("validation"), test: params.double("test"))
        default:
            assignment = HoldOut.random(pool, validation: params.double("validation"), test: params.double("test"),
                                        pairs: MirrorPairs(pool, rowIDs: data.rowIDs, colIDs: data.colIDs), random: &random)
        }
        data.parts = assignment.mapValues { pool.selecting($0) }
        return try finish(data, context: context)
    }

    private static func finish(_ data: RatingData, context: StageContext) throws -> StageOutcome {
        let (train, validation, test) = (data.parts[.train]?.count ?? 0, data.parts[.validation]?.count ?? 0, data.parts[.test]?.count ?? 0)
        guard train > 0 else {
            throw StageFailure(node: context.node.id, message: "the split leaves no training entries; hold out less")
        }
        try context.writeArtifact(data.write)
        for warning in emptyParts(data, entries: train + validation + test, params: context.params) { context.warn(warning) }
        let cold = coldCount(data)
        return StageOutcome(
            summary: "train \(train), validation \(validation), test \(test)"
                + (cold > 0 ? " (\(cold) held out with a row or column that has no training entry: cold-start)" : ""),
            metrics: ["train": Double(train), "validation": Double(validation), "test": Double(test), "cold_start": Double(cold)])
    }

    /// What the parameters ask the split to hold out but the data is too small to give: a
    /// validation or test set left empty, and why (a model chosen among several then has
    /// nothing to be chosen by). `entries` counts all three parts.
    private static func emptyParts(_ data: RatingData, entries: Int, params: StageParams) -> [String] {
        let method = params.string("method")
        return [(RatingData.Part.validation, "validation"), (.test, "test")].compactMap { part, name in
            guard (data.parts[part]?.count ?? 0) == 0 else { return nil }
            switch method {
            case "per_row", "temporal_per_row":
                guard params.int("\(name)_per_row") > 0 else { return nil }
                let needed = params.int("validation_per_row") + params.int("test_per_row") + 1
                return "held out no \(name) entries: \(name)_per_row takes them only from rows with at least \(needed) entries "
                    + "(one stays for training), and no row has that many; expected a smaller per-row count or a random split"
            case "kfold" where part == .validation:
                return "fold \(params.int(foldParameter)) holds out no validation entries: \(CountText.of(entries, "entry", plural: "entries")) "
                    + "cannot fill \(params.int("folds")) folds; expected fewer folds"
            case "given" where part == .test, "given" where params.string("held_out") == "validation":
                return nil
            default:
                let fraction = params.double(name)
                guard fraction > 0 else { return nil }
                let of = method == "given" ? "the train file's entries" : CountText.of(entries, "entry", plural: "entries")
                return "held out no \(name) entries: \(name) \(fraction) of \(of) rounds to none; expected a larger fraction"
            }
        }
    }

    /// The held-out entries whose row or column has no training entry: evaluate predicts
    /// them from the baselines and an average row or column, so a user should know how many.
    private static func coldCount(_ data: RatingData) -> Int {
        let training = data.parts[.train] ?? RatingTable()
        let rowCounts = training.counts(byRow: true, size: data.rowCount)
        let colCounts = training.counts(byRow: false, size: data.colCount)
        return [RatingData.Part.validation, .test].reduce(0) { total, part in
            guard let held = data.parts[part] else { return total }
            return total + (0..<held.count).filter { rowCounts[Int(held.rows[$0])] == 0 || colCounts[Int(held.cols[$0])] == 0 }.count
        }
    }

    /// A temporal split of entries without timestamps is the user's error, named at `method`.
    private static func requireTimestamps(_ table: RatingTable, context: StageContext) throws {
        guard table.timestamps.isEmpty && table.count > 0 else { return }
        throw PipelineFileError(
            file: DisplayPath.of(context.pipeline.file), location: "\(context.node.stage.path).params.method",
            message: "\"\(context.params.string("method"))\" orders entries by time, but the input has no timestamps; expected an ingest stage with a timestamp column")
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
