import Foundation

/// Reads ratings from delimited text (CSV, TSV, MovieLens `::`, white space), one entry
/// per line: row id, column id, value and an optional timestamp, chosen by header name
/// or 0-based index.
///
/// Blank lines and lines starting with `#` are skipped. Every malformed row is an
/// `InputDataError` naming file:line:field with what was found and what was expected.
public struct DelimitedReader {
    /// A column chosen by header name or 0-based index.
    public enum Column: Equatable {
        case name(String)
        case index(Int)

        /// Reads a `.column` parameter value.
        public init?(_ value: JSONValue) {
            if let name = value.stringValue {
                self = .name(name)
            } else if let index = value.intValue {
                self = .index(index)
            } else {
                return nil
            }
        }
    }

    /// How to read the file.
    public struct Options {
        /// The delimiter, or nil to detect it from the first line.
        public var delimiter: FieldSplitter.Delimiter?
        /// Whether the first line is a header; nil to detect it.
        public var header: Bool?
        /// The row-id column.
        public var row: Column = .index(0)
        /// The column-id column.
        public var col: Column = .index(1)
        /// The value column.
        public var value: Column = .index(2)
        /// The timestamp column, if any.
        public var timestamp: Column?
        /// Whether a file of (row, column) pairs without the value column is read too, its
        /// values NaN (pairs to predict); when the value column is present it is read, and an
        /// empty field or a missing-value marker in it (`NumberParsing.isMissing`) is no value (NaN).
        public var valueIsOptional = false
        /// Ids a reader knows already (predict: the model's): a first line whose row or
        /// column id is known is data, never a detected header.
        public var knownIDs: (@Sendable (_ row: String, _ col: String) -> Bool)?
        /// Whether a first column the header leaves unnamed — how pandas' `to_csv` and R's
        /// `write.csv` label their index or row names — is skipped, the column indices
        /// counting from the next one (for readers whose columns are not the user's choice);
        /// otherwise choosing it by index is an error.
        public var skipsUnnamedFirstColumn = false
        /// Whether values write their decimal mark as a comma ("4,5"), as spreadsheets do in
        /// much of Europe; the delimiter is then never a comma.
        public var decimalComma = false

        /// Default options: detect delimiter and header, columns 0, 1, 2.
        public init() {}

        /// For a file of (row id, column id) pairs, with or without values, asked of an
        /// export whose ids are `rowIDs` and `colIDs` (predict's pairs, recommend's
        /// exclusions): the value optional, a first column the header leaves unnamed
        /// skipped, and a first line with an id the export knows read as data, never taken
        /// for a header (a pair of string ids looks like one).
        public static func pairs(knownTo rowIDs: IdTable, _ colIDs: IdTable) -> Options {
            var options = Options()
            options.valueIsOptional = true
            options.skipsUnnamedFirstColumn = true
            options.knownIDs = { row, col in rowIDs.existingIndex(of: row) != nil || colIDs.existingIndex(of: col) != nil }
            return options
        }
    }

    /// The file, as messages name it.
    public let displayName: String
    /// Hears how far reading has come, when set.
    public var progress: ReadProgress?
    /// Threads to parse with: 2 splits each block in two halves parsed at once (the most
    /// the parser uses), 1 parses in the calling thread only.
    public var threads = 2
    /// The file's location.
    public let url: URL
    /// How to read it.
    public let options: Options

    /// Creates a reader.
    public init(url: URL, displayName: String, options: Options) {
        self.url = url
        self.displayName = displayName
        self.options = options
    }

    /// Reads every entry.
    ///
    /// Lines are read in blocks; once the header and delimiter are settled, each block is
    /// split in two at a line end and both halves are parsed on their own threads by
    /// `DelimitedBlockParser`, whose results are merged in file order (ids mapped in
    /// first-seen order). Lines the fast parser does not take — quoted fields, comments,
    /// blank or malformed lines, text ids — go through the general per-line path, in order.
    ///
    /// - Parameter policy: what to do with bad rows.
    /// - Parameter lineOfEntry: called with each accepted entry's index and line (for messages
    ///   about entries); reading is then single-threaded.
    public func read(policy: inout BadRowPolicy, lineOfEntry: ((Int, Int) -> Void)? = nil) throws -> ParsedMatrix {
        let source = try ByteSources.open(url, displayName: displayName, progress: progress)
        defer { source.close() }
        var state = ParseState(reader: self, lineOfEntry: lineOfEntry)
        let capacity = ByteSources.capacity(of: url, source: source)
        // The file's size predicts the entries only when it is read as stored (a gzip source
        // may be wrapped for progress reports, so ask the source, not its type).
        if !source.isCompressed && capacity < Int.max { state.expectedBytes = capacity }
        var lineNumber = 0
        let slots = DelimitedBlockParser.ResultSlots()
        // 1 MiB blocks: the two halves and their results stay in cache (measured against
        // 8 MiB on 10 million rows: median read 0.425 s against 0.441 s, quartile 0.37 against 0.43).
        try LineScanner(source: source, chunkSize: 1 << 20, capacity: capacity).forEachBlock { block in
            var start = 0
            while start < block.count && (state.columns == nil || lineOfEntry != nil || state.fastDelimiter == nil) {
                let end = Self.lineEnd(block, from: start)
                lineNumber += 1
                try state.readLine(Self.trimmed(block, start, end), number: lineNumber, policy: &policy)
                start = end + 1
            }
            guard start < block.count, let columns = state.columns, let delimiter = state.fastDelimiter else { return true }
            let rest = UnsafeBufferPointer(rebasing: block[start...])
            let middle = Self.lineEnd(rest, from: rest.count / 2)
            let halves = threads > 1 && middle + 1 < rest.count
                ? [UnsafeBufferPointer(rebasing: rest[..<(middle + 1)]), UnsafeBufferPointer(rebasing: rest[(middle + 1)...])] : [rest]
            DelimitedBlockParser.parse(halves, delimiter: delimiter, columns: columns, into: slots)
            for (index, half) in halves.enumerated() {
                let result = slots.slot(index)
                try state.merge(result.pointee, from: half, firstLine: lineNumber + 1, policy: &policy)
                lineNumber += result.pointee.lines
            }
            state.reserveIfUseful()
            return true
        }
        return try state.finish(policy: policy)
    }

    private static func lineEnd(_ block: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < block.count, let newline = memchr(block.baseAddress! + start, 0x0A, block.count - start) else { return block.count }
        return block.baseAddress!.distance(to: newline.assumingMemoryBound(to: UInt8.self))
    }

    private static func trimmed(_ block: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        let stop = end > start && block[end - 1] == 0x0D ? end - 1 : end
        return UnsafeBufferPointer(rebasing: block[start..<stop])
    }

    /// Maps one id column of fast-parsed records into the table; two such jobs (rows and
    /// columns) run at once, each owning its mapper and its output column.
    private struct IdMappingJob: @unchecked Sendable {
        let mapper: UnsafeMutablePointer<IdMapper>
        let raw: UnsafeBufferPointer<Int64>
        let output: UnsafeMutableBufferPointer<Int32>
        let start: Int

        func run(_ records: Range<Int>) {
            for record in records {
                output[start + record - records.lowerBound] = mapper.pointee.index(ofNumber: raw[record])
            }
        }
    }

    /// Resolved field indices of the chosen columns, and the width every line must have.
    struct ColumnIndices {
        var row: Int
        var col: Int
        /// nil for a pairs file without values (`Options.valueIsOptional`).
        var value: Int?
        var timestamp: Int?
        /// The fields of the first line (the header, or the first data line): every line has
        /// as many, so that a field too many is an error at its line, never silently dropped.
        var width: Int
        /// The line that set `width`.
        var widthLine: Int

        /// The fields the chosen columns need.
        var needed: Int { max(row, col, value ?? 0, timestamp ?? 0) + 1 }

        /// Why a line needs `needed` fields: the column farthest right, as the `columns`
        /// parameter names it, and its 0-based index ("columns.timestamp is field 4,
        /// counting from 0").
        var farthest: String {
            let (name, index) = [("row", row), ("col", col), ("value", value), ("timestamp", timestamp)]
                .compactMap { name, index in index.map { (name, $0) } }.max { $0.1 < $1.1 }!
            return "columns.\(name) is field \(index), counting from 0"
        }
    }

    /// Everything read so far, and the general per-line path.
    private struct ParseState {
        let reader: DelimitedReader
        let lineOfEntry: ((Int, Int) -> Void)?
        var table = RatingTable()
        var rowIDs = IdMapper()
        var colIDs = IdMapper()
        var splitter: FieldSplitter?
        var columns: ColumnIndices?
        var sawLine = false
        var headerLine: Int?
        var expectedBytes: Int?
        var bytesSeen = 0
        var reserved = false

        init(reader: DelimitedReader, lineOfEntry: ((Int, Int) -> Void)?) {
            self.reader = reader
            self.lineOfEntry = lineOfEntry
        }

        /// The delimiter the fast parser can take, once known.
        var fastDelimiter: [UInt8]? {
            switch splitter?.delimiter {
            case .byte(let byte)?: return byte == UInt8(ascii: "\"") ? nil : [byte]
            case .sequence(let bytes)?: return bytes
            default: return nil
            }
        }

        /// Pre-sizes the columns from the file size once a block has shown the bytes per entry,
        /// so that they do not grow by doubling.
        mutating func reserveIfUseful() {
            guard !reserved, let expectedBytes, table.count > 1000, bytesSeen > 0 else { return }
            reserved = true
            let estimate = Int(Double(expectedBytes) / Double(bytesSeen) * Double(table.count) * 1.02) + 1024
            table.reserveCapacity(estimate, timestamps: columns?.timestamp != nil)
            table.adviseHugePages()
        }

        /// Appends one parsed entry.
        @inline(__always)
        mutating func append(row: Int32, col: Int32, value: Float, timestamp: Int64?, line: Int) {
            lineOfEntry?(table.count, line)
            table.append(row: row, col: col, value: value, timestamp: timestamp)
        }

        /// Merges a half-block parsed by the fast parser, in file order.
        mutating func merge(_ result: DelimitedBlockParser.Result, from half: UnsafeBufferPointer<UInt8>, firstLine: Int,
                            policy: inout BadRowPolicy) throws {
            bytesSeen += half.count
            var record = 0
            for next in result.deferred {
                appendRecords(result, record..<next.record)
                record = next.record
                try readLine(UnsafeBufferPointer(rebasing: half[next.start..<next.end]), number: firstLine + next.line, policy: &policy)
            }
            appendRecords(result, record..<result.count)
        }

        /// Appends fast-parsed records, mapping row ids on one thread while column ids are
        /// mapped (and values copied) on another: the two id tables are independent.
        private mutating func appendRecords(_ result: DelimitedBlockParser.Result, _ records: Range<Int>) {
            guard !records.isEmpty else { return }
            let start = table.count
            table.rows.append(contentsOf: repeatElement(0, count: records.count))
            table.cols.append(contentsOf: repeatElement(0, count: records.count))
            table.values.append(contentsOf: result.values[records])
            if columns?.timestamp != nil { table.timestamps.append(contentsOf: result.timestamps[records]) }
            table.rows.withUnsafeMutableBufferPointer { rows in
                table.cols.withUnsafeMutableBufferPointer { cols in
                    result.rows.withUnsafeBufferPointer { rawRows in
                        result.cols.withUnsafeBufferPointer { rawCols in
                            withUnsafeMutablePointer(to: &rowIDs) { rowIDs in
                                withUnsafeMutablePointer(to: &colIDs) { colIDs in
                                    let jobs = [
                                        IdMappingJob(mapper: rowIDs, raw: rawRows, output: rows, start: start),
                                        IdMappingJob(mapper: colIDs, raw: rawCols, output: cols, start: start),
                                    ]
                                    if reader.threads > 1 {
                                        DispatchQueue.concurrentPerform(iterations: 2) { jobs[$0].run(records) }
                                    } else {
                                        jobs.forEach { $0.run(records) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        /// The general path: one line, any delimiter, quotes, comments, headers, errors.
        mutating func readLine(_ line: UnsafeBufferPointer<UInt8>, number: Int, policy: inout BadRowPolicy) throws {
            let file = reader.displayName
            if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            try NonTextLine.check(line, file: file, number: number, expected: "delimited text")
            if line[0] == UInt8(ascii: "#") { return }
            if splitter == nil {
                splitter = FieldSplitter(delimiter: reader.options.delimiter ?? .detect(in: line, decimalComma: reader.options.decimalComma))
            }
            guard splitter!.split(line) else {
                try policy.reject(InputDataError(file: file, line: number, message: "an unterminated or misplaced quote; expected \"...\" fields"))
                return
            }
            if !sawLine {
                sawLine = true
                let resolved = try reader.resolveColumns(splitter!, line: line, number: number)
                columns = resolved.indices
                if resolved.isHeader {
                    headerLine = number
                    return
                }
            }
            let columns = columns!
            let fields = splitter!.fields.count
            guard fields >= columns.needed else {
                try policy.reject(InputDataError(
                    file: file, line: number,
                    message: "found \(CountText.of(fields, "field")) separated by \(splitter!.delimiter.name); expected at least \(columns.needed) (\(columns.farthest))"))
                return
            }
            guard fields == columns.width else {
                try policy.reject(InputDataError(
                    file: file, line: number,
                    message: "found \(CountText.of(fields, "field")) separated by \(splitter!.delimiter.name); expected \(columns.width) as on line \(columns.widthLine)"))
                return
            }
            var value = Float.nan
            if let field = columns.value {
                let valueBytes = splitter!.bytes(of: field, in: line)
                if let parsed = NumberParsing.float(valueBytes, decimalComma: reader.options.decimalComma) {
                    value = parsed
                } else if !(reader.options.valueIsOptional && NumberParsing.isMissing(valueBytes)) {
                    try policy.reject(reader.numberError(valueBytes, column: "value", field: field, line: number))
                    return
                }
            }
            var timestamp: Int64?
            if let column = columns.timestamp {
                let bytes = splitter!.bytes(of: column, in: line)
                guard let stamp = TimestampParsing.seconds(bytes) else {
                    try policy.reject(reader.numberError(bytes, column: "timestamp", field: column, line: number, timestamp: true))
                    return
                }
                timestamp = stamp
            }
            for (column, name) in [(columns.row, "row"), (columns.col, "column")] where !splitter!.isValidUTF8(column, in: line) {
                try policy.reject(InputDataError(file: file, line: number, field: column + 1,
                                                 message: "the \(name) id is not valid UTF-8; \(NonTextLine.expectedUTF8)"))
                return
            }
            let row = DelimitedReader.id(splitter!, columns.row, line, &rowIDs)
            let col = DelimitedReader.id(splitter!, columns.col, line, &colIDs)
            append(row: row, col: col, value: value, timestamp: timestamp, line: number)
        }

        /// The result, or the error for a file without data.
        func finish(policy: BadRowPolicy) throws -> ParsedMatrix {
            let file = reader.displayName
            if !sawLine {
                let expected = reader.options.valueIsOptional ? "row, column and an optional value"
                    : reader.options.timestamp == nil ? "row, column, value" : "row, column, value, timestamp"
                throw InputDataError(file: file, message: "empty file; expected rows of \(expected)")
            }
            if table.count == 0 {
                let what = headerLine != nil ? "only a header" : "no valid rows"
                throw InputDataError(file: file, message: "\(what); expected at least one data row")
            }
            return ParsedMatrix(table: table, rowIDs: rowIDs.table, colIDs: colIDs.table, skippedRows: policy.skipped)
        }
    }

    @inline(__always)
    fileprivate static func id(_ splitter: FieldSplitter, _ index: Int, _ line: UnsafeBufferPointer<UInt8>, _ mapper: inout IdMapper) -> Int32 {
        splitter.hasEscapes(index, in: line) ? mapper.index(ofText: splitter.text(of: index, in: line))
            : mapper.index(of: splitter.bytes(of: index, in: line))
    }

    fileprivate func numberError(_ bytes: UnsafeBufferPointer<UInt8>, column: String, field: Int, line: Int, timestamp: Bool = false) -> InputDataError {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        let lowered = text.lowercased()
        let nonFinite = ["nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"].contains(lowered)
            || (NumberParsing.double(bytes).map { !Float($0).isFinite } ?? false)
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        // "4,5": a decimal comma, as spreadsheets write numbers in much of Europe.
        let decimalComma = !timestamp && text.contains(",") && NumberParsing.double(bytes, decimalComma: true) != nil
        let expected = timestamp ? "Unix seconds or an ISO 8601 date or time (2005-09-06, 2005-09-06T14:03:00Z)"
            : nonFinite ? NumberParsing.floatExpectation(bytes) : decimalComma ? "a number with a decimal point (\(text.replacingOccurrences(of: ",", with: ".")); ingest reads a decimal comma with \"decimal\": \",\")" : "a number"
        return InputDataError(file: displayName, line: line, field: field + 1,
                              message: "found \"\(shown)\" in the \(column) column; expected \(expected)")
    }

    /// Whether a first line whose columns are chosen by index is a header: its value is not
    /// a number while its row and column are not both numbers (`1,10,nan` is a data line
    /// with a bad value, reported as such), or, in a pairs file without values, its column is
    /// not a number; never when the reader knows its row or column id (`Options.knownIDs`).
    fileprivate func detectsHeader(_ splitter: FieldSplitter, line: UnsafeBufferPointer<UInt8>, valueAbsent: Bool) -> Bool {
        guard case .index(let row) = options.row, case .index(let col) = options.col else { return false }
        let fields = splitter.fields.count
        func isNumber(_ index: Int) -> Bool {
            index < fields && NumberParsing.double(splitter.bytes(of: index, in: line), decimalComma: options.decimalComma) != nil
        }
        if let known = options.knownIDs, max(row, col) < fields, known(splitter.text(of: row, in: line), splitter.text(of: col, in: line)) {
            return false
        }
        if case .index(let value) = options.value, value < fields { return !isNumber(value) && !(isNumber(row) && isNumber(col)) }
        return valueAbsent && col < fields && !isNumber(col)
    }

    /// Maps the column choices to field indices, reading names from the header; decides
    /// whether the first line is a header.
    fileprivate func resolveColumns(_ splitter: FieldSplitter, line: UnsafeBufferPointer<UInt8>, number: Int)
        throws -> (indices: ColumnIndices, isHeader: Bool)
    {
        let choices = [options.row, options.col, options.value] + (options.timestamp.map { [$0] } ?? [])
        // A pairs file may stop before the value column (by index; a named one needs a header).
        var valueAbsent = false
        if options.valueIsOptional, case .index(let valueIndex) = options.value, valueIndex >= splitter.fields.count { valueAbsent = true }
        let byName = choices.contains { if case .name = $0 { return true } else { return false } }
        let names = (0..<splitter.fields.count).map { splitter.text(of: $0, in: line).trimmingCharacters(in: .whitespaces) }
        let isHeader = options.header ?? (byName || detectsHeader(splitter, line: line, valueAbsent: valueAbsent))
        let unnamedFirst = isHeader && names.count > 1 && names[0].isEmpty
        let offset = unnamedFirst && options.skipsUnnamedFirstColumn ? 1 : 0
        if offset == 1, options.valueIsOptional, case .index(let valueIndex) = options.value, valueIndex + 1 >= splitter.fields.count {
            valueAbsent = true
        }
        func index(_ column: Column, _ role: String) throws -> Int {
            switch column {
            case .index(let index): return index + offset
            case .name(let name):
                guard let index = names.firstIndex(of: name) else {
                    throw InputDataError(file: displayName, line: number,
                                         message: "no \(role) column named \"\(name)\" in the header; found " + names.map { "\"\($0)\"" }.joined(separator: ", "))
                }
                if let again = names[(index + 1)...].firstIndex(of: name) {
                    throw InputDataError(file: displayName, line: number,
                                         message: "the header names \"\(name)\" twice (fields \(index) and \(again), counting from 0); expected the \(role) column named once, or chosen by index")
                }
                return index
            }
        }
        if byName && !isHeader {
            throw InputDataError(file: displayName, line: number, message: "columns are chosen by name but the file has no header; expected header: true, or column indices")
        }
        var indices = ColumnIndices(
            row: try index(options.row, "row"), col: try index(options.col, "col"),
            value: valueAbsent ? nil : try index(options.value, "value"),
            timestamp: try options.timestamp.map { try index($0, "timestamp") }, width: splitter.fields.count, widthLine: number)
        // Read as ids or values, an index or row names would make a matrix of nonsense.
        let chosen = [("row", indices.row), ("col", indices.col)] + (indices.value.map { [("value", $0)] } ?? [])
            + (indices.timestamp.map { [("timestamp", $0)] } ?? [])
        for (position, (role, field)) in chosen.enumerated() {
            guard let other = chosen[..<position].first(where: { $0.1 == field })?.0 else { continue }
            let shown = isHeader && field < names.count ? " (\"\(names[field])\")" : ""
            throw InputDataError(file: displayName, line: number,
                                 message: "columns.\(other) and columns.\(role) are both field \(field)\(shown), counting from 0; expected a field of its own for each")
        }
        if unnamedFirst, let role = chosen.first(where: { $0.1 == 0 })?.0 {
            let named = zip(["row", "col", "value"], names.dropFirst()).map { "\"\($0)\": \"\($1)\"" }
            let remedy = named.count == 3 ? "columns chosen by name, such as \"columns\": {\(named.joined(separator: ", "))}, or by index past it"
                : "a name for it in the header, or columns chosen past it"
            throw InputDataError(file: displayName, line: number,
                                 message: "the first column has no name in the header (an index written by pandas or R?) and would be the \(role) column; expected \(remedy)")
        }
        indices.width = max(indices.width, indices.needed)
        return (indices, isHeader)
    }
}
