import Foundation
import MFPipe

/// `mfpipe predict`: predictions for (row, column) pairs from an exported factor file.
enum PredictCommand: Command {
    static let name = "predict"
    static let summary = "predict (row, column) pairs from an exported factor file, as CSV (and HDF5)"
    static let help = """
        usage: mfpipe predict EXPORT.h5 PAIRS --output FILE.csv [options]

        Predicts every (row id, column id) pair of PAIRS with the exported model: W·H plus
        biases and offsets, clipped to the training range as evaluate clips. PAIRS is a
        delimited file, the ids in its first two fields and an optional value in the third
        (an empty field, NA or NaN: no value for that pair). Its delimiter and header are
        detected: a first line is data when the model knows its row or column id;
        otherwise, without values, a header when its second field is not a number. A first
        column the header leaves unnamed, as pandas writes its index, is skipped.

        An id the model never saw is predicted as a row or column without training entries
        is (the average row or column of those with entries, beside the baseline parts) and
        flagged in the cold column (row, col, row+col). Writes row,col,prediction,cold (and
        value, given values) and prints the RMSE over the pairs that carry a value.

        options:
          --output FILE   the CSV file to write (required)
          --hdf5 FILE     also write /predictions/row_ids, col_ids, prediction, value, cold
          --model NAME    the model group to use, such as k032 (default: the chosen one)
          --no-clip       do not clip predictions to the training range
          --header        the first line of PAIRS is a header (default: detected)
          --no-header     the first line of PAIRS is data
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: ["--output", "--hdf5", "--model"], flagNames: ["--no-clip", "--header", "--no-header"])
        guard arguments.positionals.count == 2 else {
            throw UsageError("predict: expected EXPORT.h5 and PAIRS, found \(CountText.of(arguments.positionals.count, "argument")); see mfpipe predict --help")
        }
        guard let output = arguments.value("--output") else { throw UsageError("predict: --output FILE.csv is required") }
        if arguments.has("--header") && arguments.has("--no-header") {
            throw UsageError("predict: --header and --no-header: expected one of them")
        }
        let (exportPath, pairsPath) = (arguments.positionals[0], arguments.positionals[1])
        try PathChecks.check(
            inputs: [(URL(fileURLWithPath: exportPath), "EXPORT.h5"), (URL(fileURLWithPath: pairsPath), "PAIRS")],
            outputs: arguments.files(["--output", "--hdf5"]),
            fail: { location, message in UsageError("predict: \(location): \(message)") })
        let file = try FactorFile.read(URL(fileURLWithPath: exportPath))
        let modelName = arguments.value("--model") ?? file.chosen
        guard let model = file.models[modelName] else {
            throw UsageError("predict: --model \(modelName): no such model in \(exportPath); expected one of \(file.models.keys.sorted().joined(separator: ", "))")
        }
        var options = DelimitedReader.Options.pairs(knownTo: file.rowIDs, file.colIDs)
        options.header = arguments.has("--header") ? true : arguments.has("--no-header") ? false : nil
        var policy = BadRowPolicy(skip: false, maximum: 0)
        let parsed = try DelimitedReader(url: URL(fileURLWithPath: pairsPath), displayName: pairsPath, options: options).read(policy: &policy)
        let pairs = RatingData(rowIDs: parsed.rowIDs, colIDs: parsed.colIDs, parts: [.all: parsed.table])
        let predictions = PairPredictions.compute(
            pairs, model: model, normalization: file.normalization, rowIDs: file.rowIDs, colIDs: file.colIDs,
            rowCounts: file.rowCounts, colCounts: file.colCounts, clip: arguments.has("--no-clip") ? nil : file.clipRange(model: modelName))
        try predictions.write(csv: URL(fileURLWithPath: output), hdf5: arguments.value("--hdf5").map { URL(fileURLWithPath: $0) })
        let cold = predictions.cold.filter { $0 != 0 }.count
        var line = "wrote \(CountText.of(predictions.predictions.count, "prediction")) (\(modelName), k=\(model.k); \(cold) with a cold row or column) to \(output)"
        if let rmse = predictions.rmse { line += "; RMSE \(MetricText.format(rmse)) against the given values" }
        printOut(line + "\n")
        return 0
    }
}
