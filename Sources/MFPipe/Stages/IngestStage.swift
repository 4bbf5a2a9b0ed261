import Foundation

/// Reads a ratings file — delimited text or MatrixMarket, plain or gzip — into columnar
/// form with its external ids mapped to dense indices.
public enum IngestStage: Stage {
    public static let typeName = "ingest"
    public static let summary = "read a ratings or matrix file (CSV/TSV/'::', MatrixMarket, .gz) into columnar form"
    public static let inputCount = 0...0
    public static let produces = ArtifactKind.ratings

    public static let params: [ParamSpec] = [
        ParamSpec("path", .path(.input), default: nil, "the input file, relative to the pipeline file"),
        ParamSpec("format", .choice(["auto", "delimited", "matrixmarket", "dense"]), default: .string("auto"),
                  "delimited (row, column, value per line), matrixmarket, dense (one matrix row per line); auto reads a %%MatrixMarket banner, else delimited"),
        ParamSpec("delimiter", .string, default: .string("auto"),
                  "field delimiter: \",\", \"tab\", \"::\", \";\", \"whitespace\", or auto (detected from the first line)"),
        ParamSpec("decimal", .choice([".", ","]), default: .string("."),
                  "the values' decimal mark: \".\", or \",\" as spreadsheets write numbers in much of Europe (\"4,5\"; the delimiter is then not a comma)"),
        ParamSpec("header", .booleanOrAuto, default: .string("auto"),
                  "whether the first line names the columns; auto: a value field that is not a number, unless the row and column fields both are (dense: no number after the first field, or an empty first field and then 0, 1, … or 1, 2, …)"),
        ParamSpec("columns", .object([
            ParamSpec("row", .column, default: .number(0), "the row-id column (name or 0-based index)"),
            ParamSpec("col", .column, default: .number(1), "the column-id column"),
            ParamSpec("value", .column, default: .number(2), "the value column"),
            ParamSpec("timestamp", .column, default: .null, "the timestamp column, if any"),
        ]), default: .object([]), "which fields hold row, column, value and timestamp (delimited text)"),
        ParamSpec("pairs", .boolean, default: .bool(false),
                  "delimited: the file lists (row, column) pairs to predict, its value column optional (values then NaN); such an ingest may feed only predict stages"),
        ParamSpec("row_names", .booleanOrAuto, default: .string("auto"),
                  "dense: whether the first field of each line names the row; auto: the header's first field is empty or the header is one field short, else the first data line's first field is not a number"),
        ParamSpec("duplicates", .choice(DuplicatePolicy.allCases.map(\.rawValue)), default: .string("error"),
                  "repeated (row, column) pairs: error, last, mean or sum"),
        ParamSpec("bad_rows", .choice(["error", "skip"]), default: .string("error"),
                  "a malformed row stops the run (error) or is skipped and counted (skip)"),
        ParamSpec("max_bad_rows", .integer(0...Int.max), default: .number(1000),
                  "with bad_rows: skip, the most rows that may be skipped before the run stops"),
    ]

    public static func problem(with params: StageParams, inputCount: Int) -> (param: String, message: String)? {
        let delimiter = params.string("delimiter")
        if delimiter != "auto" && FieldSplitter.Delimiter(delimiter) == nil {
            return ("delimiter", "expected a delimiter such as \",\", \"tab\" or \"::\", found \"\(delimiter)\"")
        }
        if params.string("decimal") == ",", delimiter == "," {
            return ("decimal", "a decimal comma needs another delimiter; expected \"delimiter\": \";\" (or auto), found \",\"")
        }
        return nil
    }

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        let url = params.url("path")
        let name = DisplayPath.of(url)
        var policy = BadRowPolicy(skip: params.string("bad_rows") == "skip", maximum: params.int("max_bad_rows"))
        let format = try resolvedFormat(url, name: name, format: params.string("format"))
        let reader: any MatrixFileReader
        switch format {
        case "matrixmarket":
            reader = MatrixMarketReader(url: url, displayName: name)
        case "dense":
            let options = delimitedOptions(params)
            reader = DenseMatrixReader(url: url, displayName: name, delimiter: options.delimiter, header: options.header,
                                       rowNames: params.flagOrAuto("row_names"), decimalComma: options.decimalComma)
        default:
            var delimited = DelimitedReader(url: url, displayName: name, options: delimitedOptions(params))
            delimited.threads = context.threads
            reader = delimited
        }
        let read = { (policy: inout BadRowPolicy, lines: ((Int, Int) -> Void)?) throws -> ParsedMatrix in
            var reading = reader
            if lines == nil { reading.progress = { done, total in context.progress(done, of: total, unit: "bytes") } }
            return try reading.read(policy: &policy, lineOfEntry: lines)
        }
        let started = Date()
        let parsed = try read(&policy, nil)
        let readSeconds = Date().timeIntervalSince(started)
        let duplicates = DuplicatePolicy(rawValue: params.string("duplicates"))!
        let outcome = duplicates.apply(to: parsed.table, rows: parsed.rowIDs.count, cols: parsed.colIDs.count)
        if let pair = outcome.conflict.map({ ($0.first, $0.second) }) ?? outcome.overflow.map({ ($0.first, $0.last) }) {
            var lines: [Int: Int] = [:]
            var again = BadRowPolicy(skip: policy.skip, maximum: policy.maximum)
            _ = try read(&again) { entry, line in
                if entry == pair.0 || entry == pair.1 { lines[entry] = line }
            }
            let row = parsed.rowIDs.ids[Int(parsed.table.rows[pair.1])]
            let col = parsed.colIDs.ids[Int(parsed.table.cols[pair.1])]
            throw InputDataError(
                file: name, line: lines[pair.1],
                message: outcome.conflict != nil
                    ? "duplicate entry for row \(row), column \(col) (first at line \(lines[pair.0] ?? 0)); expected each pair once, or set duplicates to last, mean or sum"
                    : "the sum of the duplicate entries for row \(row), column \(col) (first at line \(lines[pair.0] ?? 0)) overflows 32-bit floats; expected values whose sum stays finite, or duplicates last or mean")
        }
        let data = RatingData(rowIDs: parsed.rowIDs, colIDs: parsed.colIDs, parts: [.all: outcome.table])
        try context.writeArtifact(data.write)
        if format == "dense", params.flagOrAuto("header") == nil, let labels = columnLabelsReadAsData(parsed) {
            context.warn("the first line of \(name) was read as a row of data (\(labels)); if it names the columns, set \"header\": true; if it is data, \"header\": false (and no warning)")
        }
        var summary = "\(CountText.of(outcome.table.count, "entry", plural: "entries")), \(CountText.of(data.rowCount, "row")) x "
            + "\(CountText.of(data.colCount, "column")) from \(name)"
        if outcome.merged > 0 { summary += ", \(CountText.of(outcome.merged, "duplicate")) merged (\(duplicates.rawValue))" }
        if parsed.skippedRows > 0 { summary += ", \(CountText.of(parsed.skippedRows, "bad row")) skipped" }
        return StageOutcome(summary: summary, metrics: [
            "entries": Double(outcome.table.count), "rows": Double(data.rowCount), "cols": Double(data.colCount),
            "duplicates_merged": Double(outcome.merged), "bad_rows_skipped": Double(parsed.skippedRows),
            "read_seconds": readSeconds,
        ])
    }

    /// How the first row of a dense matrix read without a header reads when it looks like
    /// column labels — three or more consecutive integers, as years or indices name columns
    /// (`country,2019,2020,2021`) — or nil. Such a line is data by the detection rule (a data
    /// row can hold such values), so ingest reads it as data and says so.
    private static func columnLabelsReadAsData(_ parsed: ParsedMatrix) -> String? {
        let columns = parsed.colIDs.count
        guard columns >= 3, parsed.colIDs.ids == (1...columns).map(String.init), parsed.table.count >= columns,
              parsed.table.rows.prefix(columns).allSatisfy({ $0 == 0 }) else { return nil }
        let first = parsed.table.values.prefix(columns).map(Double.init)
        guard let start = first.first, start.rounded() == start,
              first.enumerated().allSatisfy({ $0.element == start + Double($0.offset) }) else { return nil }
        let row = parsed.rowIDs.ids[0]
        let named = Double(row) == nil ? "row \"\(row)\": " : ""
        let values = (0..<columns).map { String(Int(start) + $0) }
        return named + (columns <= 4 ? values : [values[0], values[1], "…", values[columns - 1]]).joined(separator: ", ")
    }

    private static func delimitedOptions(_ params: StageParams) -> DelimitedReader.Options {
        var options = DelimitedReader.Options()
        let delimiter = params.string("delimiter")
        options.delimiter = delimiter == "auto" ? nil : FieldSplitter.Delimiter(delimiter)
        options.header = params.flagOrAuto("header")
        let columns = params.object("columns")
        options.row = DelimitedReader.Column(columns.raw("row"))!
        options.col = DelimitedReader.Column(columns.raw("col"))!
        options.value = DelimitedReader.Column(columns.raw("value"))!
        options.timestamp = DelimitedReader.Column(columns.raw("timestamp"))
        options.valueIsOptional = params.bool("pairs")
        options.decimalComma = params.string("decimal") == ","
        return options
    }

    /// The format to read: the one named, or for "auto" matrixmarket when the file starts
    /// with a MatrixMarket banner (after a UTF-8 byte-order mark, if any) and delimited otherwise.
    private static func resolvedFormat(_ url: URL, name: String, format: String) throws -> String {
        switch format {
        case "auto":
            let source = try ByteSources.open(url, displayName: name)
            defer { source.close() }
            var head = [UInt8](repeating: 0, count: 17)
            var count = 0
            while count < head.count {
                let read = try head.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
                if read == 0 { break }
                count += read
            }
            let start = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            let banner = String(decoding: head[start..<min(count, start + 14)], as: UTF8.self)
            return banner.lowercased() == "%%matrixmarket" ? "matrixmarket" : "delimited"
        default:
            return format
        }
    }
}
