import Foundation

/// Reads a dense matrix written as delimited text: one matrix row per line, an optional
/// header of column names, an optional first column of row names. An empty field, or one of
/// the markers R, pandas, numpy and spreadsheets write for a missing value (`NumberParsing.isMissing`),
/// is a missing entry (not observed); every other field must be a finite number.
///
/// Without a header the column ids are "1" … "n"; without row names the row ids are "1" … "m".
public struct DenseMatrixReader {
    /// The file, as messages name it.
    public let displayName: String
    /// Hears how far reading has come, when set.
    public var progress: ReadProgress?
    /// The file's location.
    public let url: URL
    /// The delimiter, or nil to detect it from the first line.
    public let delimiter: FieldSplitter.Delimiter?
    /// Whether the first line names the columns; nil to detect it: no field after the first
    /// is a number, or the first is empty and the others number the columns 0, 1, … or 1, 2, …
    /// (pandas' default labels above its index).
    public let header: Bool?
    /// Whether the first field of each line names the row; nil to detect it: the header's
    /// first field is empty (the corner above the row names, as R and pandas write it) or the
    /// header has one field fewer than the rows (R's `write.table`); without a header, the
    /// first field of the first data line is not a number.
    public let rowNames: Bool?
    /// Whether values write their decimal mark as a comma ("4,5"); the delimiter is then
    /// never a comma.
    public let decimalComma: Bool

    /// Creates a reader.
    public init(url: URL, displayName: String, delimiter: FieldSplitter.Delimiter?, header: Bool?, rowNames: Bool?,
                decimalComma: Bool = false) {
        self.url = url
        self.displayName = displayName
        self.delimiter = delimiter
        self.header = header
        self.rowNames = rowNames
        self.decimalComma = decimalComma
    }

    /// Reads the matrix; `lineOfEntry` is called with each stored entry's index and line.
    public func read(policy: inout BadRowPolicy, lineOfEntry: ((Int, Int) -> Void)? = nil) throws -> ParsedMatrix {
        let source = try ByteSources.open(url, displayName: displayName, progress: progress)
        defer { source.close() }
        var splitter: FieldSplitter?
        var table = RatingTable()
        var rowIDs = IdMapper()
        var colNames: [String]?
        var width: (fields: Int, line: Int)?
        // Whether the header's first field is empty: the corner above the row names.
        var emptyCorner = false
        var named: Bool?
        var rowCount = 0
        let file = displayName
        try LineScanner(source: source, capacity: ByteSources.capacity(of: url, source: source)).forEachLine { line, number in
            if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return true }
            try NonTextLine.check(line, file: file, number: number, expected: "a dense matrix as delimited text")
            if splitter == nil { splitter = FieldSplitter(delimiter: delimiter ?? .detect(in: line, decimalComma: decimalComma)) }
            guard splitter!.split(line) else {
                throw InputDataError(file: file, line: number, message: "an unterminated or misplaced quote; expected \"...\" fields")
            }
            let fields = splitter!.fields.count
            if width == nil {
                width = (fields, number)
                // A header when no field after the first is a number: a first row with a missing
                // entry (an empty field) or one bad value is data, reported or kept as such.
                let names = fields > 1 && !(1..<fields).contains { NumberParsing.double(splitter!.bytes(of: $0, in: line), decimalComma: decimalComma) != nil }
                if header ?? (names || Self.hasPositionalLabels(splitter!, line: line)) {
                    if let field = (0..<fields).first(where: { !splitter!.isValidUTF8($0, in: line) }) {
                        throw InputDataError(file: file, line: number, field: field + 1, message: "the column name is not valid UTF-8; \(NonTextLine.expectedUTF8)")
                    }
                    colNames = (0..<fields).map { splitter!.text(of: $0, in: line).trimmingCharacters(in: .whitespaces) }
                    emptyCorner = colNames![0].isEmpty
                    return true
                }
            }
            // R's write.table: a header without the corner, one field fewer than the rows.
            if named == nil, colNames != nil, rowNames != false, fields == width!.fields + 1 {
                (named, width) = (true, (fields, number))
            }
            guard fields == width!.fields else {
                try policy.reject(InputDataError(file: file, line: number, message: "found \(CountText.of(fields, "field")); expected \(width!.fields) as on line \(width!.line)"))
                return true
            }
            if named == nil {
                named = rowNames ?? (emptyCorner || NumberParsing.double(splitter!.bytes(of: 0, in: line), decimalComma: decimalComma) == nil)
            }
            let first = named! ? 1 : 0
            var values: [(Int32, Float)] = []
            for field in first..<fields {
                let bytes = splitter!.bytes(of: field, in: line)
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                guard let value = NumberParsing.float(bytes, decimalComma: decimalComma) else {
                    if NumberParsing.isMissing(bytes) { continue }
                    let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    try policy.reject(InputDataError(file: file, line: number, field: field + 1, message: "found \"\(text)\"; expected \(NumberParsing.floatExpectation(bytes, decimalComma: decimalComma)), or an empty field or NA for a missing entry"))
                    return true
                }
                values.append((Int32(field - first), value))
            }
            if named! && !splitter!.isValidUTF8(0, in: line) {
                try policy.reject(InputDataError(file: file, line: number, field: 1, message: "the row name is not valid UTF-8; \(NonTextLine.expectedUTF8)"))
                return true
            }
            let row = named! ? rowIDs.index(ofText: splitter!.text(of: 0, in: line)) : rowIDs.index(ofNumber: Int64(rowCount + 1))
            rowCount += 1
            for (col, value) in values {
                lineOfEntry?(table.count, number)
                table.append(row: row, col: col, value: value)
            }
            return true
        }
        guard let width else { throw InputDataError(file: file, message: "empty file; expected a dense matrix, one row per line") }
        if rowCount == 0 { throw InputDataError(file: file, message: "only a header; expected at least one matrix row") }
        let colCount = width.fields - (named! ? 1 : 0)
        var colIDs = IdTable.oneBased(count: colCount)
        if let colNames {
            let names = Array(colNames.suffix(colCount))
            guard Set(names).count == names.count else {
                throw InputDataError(file: file, line: width.line, message: "repeated column names in the header; expected each name once")
            }
            colIDs = IdTable(ids: names)
        }
        return ParsedMatrix(table: table, rowIDs: rowIDs.table, colIDs: colIDs, skippedRows: policy.skipped)
    }

    /// Whether `line` is an empty field followed by 0, 1, … or 1, 2, … (at least two of
    /// them): the column labels pandas writes above its index by default.
    private static func hasPositionalLabels(_ splitter: FieldSplitter, line: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = splitter.fields.count
        func label(_ index: Int) -> String { splitter.text(of: index, in: line).trimmingCharacters(in: .whitespaces) }
        guard count > 2, label(0).isEmpty else { return false }
        return [0, 1].contains { first in (1..<count).allSatisfy { label($0) == String(first + $0 - 1) } }
    }
}
