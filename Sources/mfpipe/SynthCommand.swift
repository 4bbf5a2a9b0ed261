import Foundation
import MFPipe

/// `mfpipe synth`: writes a seeded synthetic rating matrix.
enum SynthCommand: Command {
    static let name = "synth"
    static let summary = "write a synthetic low-rank-plus-noise rating matrix (benchmarks, tests)"
    static let help = """
        usage: mfpipe synth --output FILE [options]

        Writes a seeded rating matrix: low rank plus noise (plus row and column biases with
        --biases), power-law row and column degrees, values on a rating scale; rows in order,
        ids 1..m and 1..n. With --dense, every entry
        of an m x n matrix instead: low rank (unit variance) plus Gaussian noise, continuous.

        options:
          --output FILE        the file to write (required)
          --format FORMAT      csv (default), tsv, movielens (the '::' format), mtx (MatrixMarket
                               coordinate), dense (a dense CSV matrix with row and column ids),
                               mtx-array (MatrixMarket array)
          --dense              a complete matrix (--ratings and --scale do not apply)
          --signal FILE        with --dense, also write the matrix without its noise to FILE, in
                               the same format (what a denoising model should recover)
          --rows M             rows (default 1000)
          --cols N             columns (default 500)
          --ratings R          ratings (default 20000)
          --rank K             rank of the signal (default 8)
          --noise S            noise relative to the signal (default 0.5; with --dense, the noise's
                               standard deviation)
          --biases S           row and column biases, each Gaussian with standard deviation S
                               relative to the signal, as real ratings have (default 0: none;
                               not with --dense)
          --scale MIN:MAX:STEP the rating scale (default 1:5:0.5; STEP 0 for continuous values)
          --seed N             the seed (default 1)
          --timestamps         add a timestamp column (csv, tsv, movielens)
          --header             write a header line (csv, tsv)
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, command: name,
            optionNames: ["--output", "--format", "--rows", "--cols", "--ratings", "--rank", "--noise", "--biases", "--scale", "--seed", "--signal"],
            flagNames: ["--timestamps", "--header", "--dense"])
        guard arguments.positionals.isEmpty else { throw UsageError("synth: unexpected argument \(arguments.positionals[0]); see mfpipe synth --help") }
        guard let output = arguments.value("--output") else { throw UsageError("synth: --output FILE is required") }
        try PathChecks.check(inputs: [], outputs: arguments.files(["--output", "--signal"]),
                             fail: { location, message in UsageError("synth: \(location): \(message)") })
        var synth = SyntheticRatings()
        synth.rows = try arguments.integer("--rows", command: name, atLeast: 1) ?? synth.rows
        synth.cols = try arguments.integer("--cols", command: name, atLeast: 1) ?? synth.cols
        synth.ratings = try arguments.integer("--ratings", command: name, atLeast: 1) ?? synth.ratings
        synth.rank = try arguments.integer("--rank", command: name, atLeast: 1) ?? synth.rank
        synth.seed = UInt64(try arguments.integer("--seed", command: name, atLeast: 0) ?? 1)
        synth.timestamps = arguments.has("--timestamps")
        if let noise = arguments.value("--noise") {
            guard let value = Double(noise), value >= 0 else { throw UsageError("synth: --noise \(noise): expected a number ≥ 0") }
            synth.noise = value
        }
        if let biases = arguments.value("--biases") {
            guard let value = Double(biases), value >= 0, value.isFinite else { throw UsageError("synth: --biases \(biases): expected a number ≥ 0") }
            synth.biases = value
        }
        if let scale = arguments.value("--scale") {
            let parts = scale.split(separator: ":").compactMap { Double($0) }
            guard parts.count == 3, parts[0] < parts[1], parts[2] >= 0 else {
                throw UsageError("synth: --scale \(scale): expected MIN:MAX:STEP such as 1:5:0.5")
            }
            (synth.minimum, synth.maximum, synth.step) = (parts[0], parts[1], parts[2])
        }
        let format: MatrixWriter.Format
        switch arguments.value("--format") ?? "csv" {
        case "csv": format = .delimited(delimiter: ",", header: arguments.has("--header"))
        case "tsv": format = .delimited(delimiter: "\t", header: arguments.has("--header"))
        case "movielens": format = .delimited(delimiter: "::", header: false)
        case "mtx": format = .matrixMarketCoordinate
        case "dense": format = .denseCSV
        case "mtx-array": format = .matrixMarketArray
        case let other: throw UsageError("synth: --format \(other): expected csv, tsv, movielens, mtx, dense or mtx-array")
        }
        let dense = arguments.has("--dense")
        if !dense && (format == .denseCSV || format == .matrixMarketArray) {
            throw UsageError("synth: --format \(arguments.value("--format")!) needs --dense (every entry of the matrix)")
        }
        let started = Date()
        if arguments.value("--signal") != nil && !dense { throw UsageError("synth: --signal FILE needs --dense") }
        if arguments.value("--biases") != nil && dense { throw UsageError("synth: --biases does not apply to --dense (a low-rank matrix plus noise)") }
        let matrix: (table: RatingTable, rowIDs: IdTable, colIDs: IdTable)
        if dense {
            let generated = synth.generateDense()
            matrix = (generated.table, generated.rowIDs, generated.colIDs)
            if let signal = arguments.value("--signal") {
                try MatrixWriter.write(generated.signal, rowIDs: generated.rowIDs, colIDs: generated.colIDs, format: format, to: URL(fileURLWithPath: signal))
            }
        } else {
            matrix = synth.generate()
        }
        try MatrixWriter.write(matrix.table, rowIDs: matrix.rowIDs, colIDs: matrix.colIDs, format: format, to: URL(fileURLWithPath: output))
        StandardStream.error.write(String(format: "wrote %d entries (%d x %d) to %@ in %.1fs\n",
                                          matrix.table.count, synth.rows, synth.cols, output, Date().timeIntervalSince(started)))
        return 0
    }
}
