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

        /// Default options: detect delimiter and header, columns 0, 1, 2.
        public init() {}
    }

    /// The file, as messages name it.
    public let displayName: String
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
    /// - Parameter policy: what to do with bad rows.
    /// - Parameter lineOfEntry: called with each accepted entry's index and line (for messages about entries).
    public func read(policy: inout BadRowPolicy, lineOfEntry: ((Int, Int) -> Void)? = nil) throws -> ParsedMatrix {
        let source = try ByteSources.open(url, displayName: displayName)
        defer { source.close() }
        var table = RatingTable()
        var rowIDs = IdMapper()
        var colIDs = IdMapper()
        var splitter: FieldSplitter?
        var indices: (row: Int, col: Int, value: Int, timestamp: Int?)?
        var sawLine = false
        var headerLine: Int?
        let file = displayName
        try LineScanner(source: source).forEachLine { line, number in
            if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return true }
            if memchr(line.baseAddress!, 0, line.count) != nil {
                throw InputDataError(file: file, line: number, message: "binary data (a NUL byte); expected delimited text")
            }
            if line[0] == UInt8(ascii: "#") { return true }
            if splitter == nil {
                splitter = FieldSplitter(delimiter: options.delimiter ?? .detect(in: line))
            }
            guard splitter!.split(line) else {
                try policy.reject(InputDataError(file: file, line: number, message: "an unterminated or misplaced quote; expected \"...\" fields"))
                return true
            }
            if !sawLine {
                sawLine = true
                let resolved = try resolveColumns(splitter!, line: line, number: number)
                indices = resolved.indices
                if resolved.isHeader {
                    headerLine = number
                    return true
                }
            }
            let columns = indices!
            let fields = splitter!.fields.count
            let needed = max(columns.row, columns.col, columns.value, columns.timestamp ?? 0) + 1
            guard fields >= needed else {
                try policy.reject(InputDataError(
                    file: file, line: number,
                    message: "found \(fields) field\(fields == 1 ? "" : "s") separated by \(splitter!.delimiter.name); expected at least \(needed)"))
                return true
            }
            let valueBytes = splitter!.bytes(of: columns.value, in: line)
            guard let value = NumberParsing.float(valueBytes) else {
                try policy.reject(numberError(valueBytes, column: "value", field: columns.value, line: number))
                return true
            }
            var timestamp: Int64?
            if let column = columns.timestamp {
                let bytes = splitter!.bytes(of: column, in: line)
                guard let stamp = NumberParsing.int64(bytes) else {
                    try policy.reject(numberError(bytes, column: "timestamp", field: column, line: number, integer: true))
                    return true
                }
                timestamp = stamp
            }
            let row = Self.id(splitter!, columns.row, line, &rowIDs)
            let col = Self.id(splitter!, columns.col, line, &colIDs)
            lineOfEntry?(table.count, number)
            table.append(row: row, col: col, value: value, timestamp: timestamp)
            return true
        }
        if !sawLine {
            throw InputDataError(file: file, message: "empty file; expected rows of \(options.timestamp == nil ? "row, column, value" : "row, column, value, timestamp")")
        }
        if table.count == 0 {
            let what = headerLine != nil ? "only a header" : "no valid rows"
            throw InputDataError(file: file, message: "\(what); expected at least one data row")
        }
        return ParsedMatrix(table: table, rowIDs: rowIDs.table, colIDs: colIDs.table, skippedRows: policy.skipped)
    }

    @inline(__always)
    private static func id(_ splitter: FieldSplitter, _ index: Int, _ line: UnsafeBufferPointer<UInt8>, _ mapper: inout IdMapper) -> Int32 {
        splitter.hasEscapes(index, in: line) ? mapper.index(ofText: splitter.text(of: index, in: line))
            : mapper.index(of: splitter.bytes(of: index, in: line))
    }

    private func numberError(_ bytes: UnsafeBufferPointer<UInt8>, column: String, field: Int, line: Int, integer: Bool = false) -> InputDataError {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        let lowered = text.lowercased()
        let nonFinite = ["nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"].contains(lowered)
            || (NumberParsing.double(bytes).map { !Float($0).isFinite } ?? false)
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        let expected = nonFinite ? "a finite number" : integer ? "an integer" : "a number"
        return InputDataError(file: displayName, line: line, field: field + 1,
                              message: "found \"\(shown)\" in the \(column) column; expected \(expected)")
    }

    /// Maps the column choices to field indices, reading names from the header; decides
    /// whether the first line is a header.
    private func resolveColumns(_ splitter: FieldSplitter, line: UnsafeBufferPointer<UInt8>, number: Int)
        throws -> (indices: (row: Int, col: Int, value: Int, timestamp: Int?), isHeader: Bool)
    {
        let choices = [options.row, options.col, options.value] + (options.timestamp.map { [$0] } ?? [])
        let byName = choices.contains { if case .name = $0 { return true } else { return false } }
        let names = (0..<splitter.fields.count).map { splitter.text(of: $0, in: line).trimmingCharacters(in: .whitespaces) }
        func index(_ column: Column, _ role: String) throws -> Int {
            switch column {
            case .index(let index): return index
            case .name(let name):
                guard let index = names.firstIndex(of: name) else {
                    throw InputDataError(file: displayName, line: number,
                                         message: "no \(role) column named \"\(name)\" in the header; found " + names.map { "\"\($0)\"" }.joined(separator: ", "))
                }
                return index
            }
        }
        let isHeader: Bool
        if let header = options.header {
            isHeader = header
        } else if byName {
            isHeader = true
        } else if case .index(let valueIndex) = options.value, valueIndex < splitter.fields.count {
            isHeader = NumberParsing.double(splitter.bytes(of: valueIndex, in: line)) == nil
        } else {
            isHeader = false
        }
        if byName && !isHeader {
            throw InputDataError(file: displayName, line: number, message: "columns are chosen by name but the file has no header; expected header: true, or column indices")
        }
        let indices = (
            row: try index(options.row, "row"), col: try index(options.col, "col"), value: try index(options.value, "value"),
            timestamp: try options.timestamp.map { try index($0, "timestamp") }
        )
        return (indices, isHeader)
    }
}
