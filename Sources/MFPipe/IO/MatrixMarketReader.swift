import Foundation

/// Reads MatrixMarket files: `coordinate` (real, integer, pattern; general, symmetric,
/// skew-symmetric) and `array` (dense, column-major, general, symmetric or skew-symmetric).
///
/// Row and column ids are the 1-based indices as text ("1" … "m"). Symmetric storage is
/// expanded to both triangles: a coordinate entry may sit in either triangle (the format
/// asks for the lower one, and some writers store the upper), and an entry given in both is
/// a duplicate. A skew-symmetric array gets its zero diagonal. Pattern entries get the
/// value 1. Every deviation from the format — banner, size line, entry count, index range —
/// is an `InputDataError` at its line.
public struct MatrixMarketReader {
    /// The layout named in the banner.
    public enum Layout: String {
        case coordinate, array
    }

    /// The value type named in the banner.
    public enum Field: String {
        case real, integer, pattern
    }

    /// The symmetry named in the banner.
    public enum Symmetry: String {
        case general, symmetric
        case skewSymmetric = "skew-symmetric"
    }

    /// The file, as messages name it.
    public let displayName: String
    /// Hears how far reading has come, when set.
    public var progress: ReadProgress?
    /// The file's location.
    public let url: URL

    /// Creates a reader.
    public init(url: URL, displayName: String) {
        self.url = url
        self.displayName = displayName
    }

    /// Reads the whole matrix; `lineOfEntry` is called with each stored entry's index and line.
    public func read(policy: inout BadRowPolicy, lineOfEntry: ((Int, Int) -> Void)? = nil) throws -> ParsedMatrix {
        let source = try ByteSources.open(url, displayName: displayName, progress: progress)
        defer { source.close() }
        let capacity = ByteSources.capacity(of: url, source: source)
        var banner: (layout: Layout, field: Field, symmetry: Symmetry)?
        var size: (rows: Int, cols: Int, entries: Int)?
        var table = RatingTable()
        // Entry lines read, kept or skipped as bad rows.
        var entryLines = 0
        var splitter = FieldSplitter(delimiter: .whitespace)
        var cursor = ArrayCursor(rows: 0, symmetry: .general)
        let file = displayName
        var lastLine = 0
        try LineScanner(source: source, capacity: capacity).forEachLine { line, number in
            lastLine = number
            try NonTextLine.check(line, file: file, number: number, expected: "MatrixMarket text")
            guard let header = banner else {
                banner = try parseBanner(String(decoding: line, as: UTF8.self), line: number)
                return true
            }
            if line.first == UInt8(ascii: "%") { return true }
            _ = splitter.split(line)
            if splitter.fields.isEmpty { return true }
            guard let dims = size else {
                size = try parseSize(splitter, line, number, layout: header.layout, symmetry: header.symmetry)
                let dims = size!
                // A size line is a claim, not a fact: memory follows what the file can hold.
                let minimumBytes = header.layout == .array ? 2 : header.field == .pattern ? 4 : 6
                if header.layout == .array && dims.entries > capacity / minimumBytes {
                    throw InputDataError(file: file, line: number, message: "declares \(dims.entries) values, more than the file's \(capacity) bytes can hold; expected a size line that matches the file")
                }
                cursor = ArrayCursor(rows: dims.rows, symmetry: header.symmetry)
                let likely = min(dims.entries, capacity / minimumBytes) * (header.symmetry == .general ? 1 : 2)
                table.reserveCapacity(min(likely, 1 << 26), timestamps: false)
                return true
            }
            guard entryLines < dims.entries else {
                throw InputDataError(file: file, line: number, message: "more entries than the \(dims.entries) the size line declares")
            }
            let first = table.count
            switch header.layout {
            case .coordinate:
                try readCoordinate(splitter, line, number, header, dims, &table, &policy)
            case .array:
                try readArrayValue(splitter, line, number, cursor.next(), header, &table)
            }
            // A line stores no entry (skipped as bad), one, or two (a symmetric pair).
            for entry in first..<table.count { lineOfEntry?(entry, number) }
            entryLines += 1
            return true
        }
        guard banner != nil else { throw InputDataError(file: file, message: "empty file; expected a %%MatrixMarket banner") }
        guard let dims = size else {
            throw InputDataError(file: file, line: lastLine, message: "no size line; expected \(banner!.layout == .coordinate ? "'rows columns entries'" : "'rows columns'")")
        }
        if entryLines < dims.entries {
            throw InputDataError(file: file, line: lastLine, message: "found \(CountText.of(entryLines, "entry", plural: "entries")); the size line declares \(dims.entries)")
        }
        if table.count == 0 {
            throw InputDataError(file: file, message: "no valid entries (\(policy.skipped) bad rows skipped); expected at least one")
        }
        guard banner!.layout == .coordinate else {
            if banner!.symmetry == .skewSymmetric {
                // The diagonal a skew-symmetric array leaves out is zero, and known: the matrix stays complete.
                for index in 0..<Int32(dims.rows) { table.append(row: index, col: index, value: 0) }
            }
            return ParsedMatrix(table: table, rowIDs: .oneBased(count: dims.rows), colIDs: .oneBased(count: dims.cols), skippedRows: policy.skipped)
        }
        let rowIDs = Self.keepingIndices(&table.rows, declared: dims.rows, entries: table.count)
        let colIDs = Self.keepingIndices(&table.cols, declared: dims.cols, entries: table.count)
        return ParsedMatrix(table: table, rowIDs: rowIDs, colIDs: colIDs, skippedRows: policy.skipped)
    }

    /// The ids of a coordinate matrix's rows (or columns): "1" … "m" as declared, unless the
    /// size line declares far more than the entries can fill — then only the indices that
    /// have entries, in index order, with `indices` renumbered to match. Either way the
    /// memory is bounded by the entries, never by the size line.
    static func keepingIndices(_ indices: inout [Int32], declared: Int, entries: Int) -> IdTable {
        guard declared > 4 * entries + 1024 else { return .oneBased(count: declared) }
        let seen = Array(Set(indices)).sorted()
        let position = Dictionary(uniqueKeysWithValues: seen.enumerated().map { ($1, Int32($0)) })
        for index in indices.indices { indices[index] = position[indices[index]]! }
        return IdTable(ids: seen.map { String($0 + 1) })
    }

    private func parseBanner(_ text: String, line: Int) throws -> (Layout, Field, Symmetry) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        guard words.count == 5, words[0] == "%%matrixmarket", words[1] == "matrix" else {
            let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
            throw InputDataError(file: displayName, line: line, message: "found \"\(shown)\"; expected a banner '%%MatrixMarket matrix <coordinate|array> <real|integer|pattern> <general|symmetric|skew-symmetric>'")
        }
        guard let layout = Layout(rawValue: words[2]) else {
            throw InputDataError(file: displayName, line: line, message: "unsupported format \"\(words[2])\"; expected coordinate or array")
        }
        let fieldName = words[3] == "double" ? "real" : words[3]
        guard let field = Field(rawValue: fieldName) else {
            throw InputDataError(file: displayName, line: line, message: "unsupported field \"\(words[3])\"; expected real, integer or pattern")
        }
        guard let symmetry = Symmetry(rawValue: words[4]) else {
            throw InputDataError(file: displayName, line: line, message: "unsupported symmetry \"\(words[4])\"; expected general, symmetric or skew-symmetric")
        }
        if layout == .array && field == .pattern {
            throw InputDataError(file: displayName, line: line, message: "an array cannot be a pattern; expected real or integer")
        }
        return (layout, field, symmetry)
    }

    private func parseSize(
        _ splitter: FieldSplitter, _ line: UnsafeBufferPointer<UInt8>, _ number: Int, layout: Layout, symmetry: Symmetry
    ) throws -> (Int, Int, Int) {
        let expected = layout == .coordinate ? 3 : 2
        let values = (0..<splitter.fields.count).compactMap { NumberParsing.canonicalID(splitter.bytes(of: $0, in: line)) }
        if splitter.fields.count == expected, values.count == expected, let side = values.prefix(2).first(where: { $0 > Int32.max }) {
            throw InputDataError(file: displayName, line: number, message: "declares \(side) \(side == values[0] ? "rows" : "columns"); expected at most \(Int32.max), what 32-bit indices hold")
        }
        guard splitter.fields.count == expected, values.count == expected else {
            let what = layout == .coordinate ? "'rows columns entries'" : "'rows columns'"
            throw InputDataError(file: displayName, line: number, message: "malformed size line \"\(String(decoding: line, as: UTF8.self))\"; expected \(what) as non-negative integers")
        }
        let rows = Int(values[0])
        let cols = Int(values[1])
        if symmetry != .general && rows != cols {
            throw InputDataError(file: displayName, line: number, message: "a \(symmetry.rawValue) matrix of \(rows) x \(cols); expected a square matrix")
        }
        if layout == .coordinate {
            let limit = rows.multipliedReportingOverflow(by: cols)
            if !limit.overflow && Int(values[2]) > limit.partialValue {
                throw InputDataError(file: displayName, line: number, message: "declares \(values[2]) entries for a \(rows) x \(cols) matrix; expected at most \(limit.partialValue)")
            }
            if values[2] == 0 {
                throw InputDataError(file: displayName, line: number, message: "declares no entries; expected at least one")
            }
            return (rows, cols, Int(values[2]))
        }
        guard rows > 0 && cols > 0 else {
            // Nothing to read, and the ids of a 0 x 58811320 array would be 58 million strings.
            throw InputDataError(file: displayName, line: number, message: "declares a \(rows) x \(cols) array; expected at least one row and one column")
        }
        switch symmetry {
        case .general: return (rows, cols, rows * cols)
        case .symmetric: return (rows, cols, rows * (rows + 1) / 2)
        case .skewSymmetric: return (rows, cols, rows * (rows - 1) / 2)
        }
    }

    private func readCoordinate(
        _ splitter: FieldSplitter, _ line: UnsafeBufferPointer<UInt8>, _ number: Int,
        _ header: (layout: Layout, field: Field, symmetry: Symmetry), _ dims: (rows: Int, cols: Int, entries: Int),
        _ table: inout RatingTable, _ policy: inout BadRowPolicy
    ) throws {
        let expected = header.field == .pattern ? 2 : 3
        guard splitter.fields.count == expected else {
            try policy.reject(InputDataError(file: displayName, line: number, message: "found \(CountText.of(splitter.fields.count, "field")); expected \(expected) ('row column\(expected == 3 ? " value" : "")')"))
            return
        }
        var indices: [Int] = []
        for (position, limit) in [(0, dims.rows), (1, dims.cols)] {
            let bytes = splitter.bytes(of: position, in: line)
            guard let index = NumberParsing.int64(bytes) else {
                try policy.reject(InputDataError(file: displayName, line: number, field: position + 1, message: "found \"\(String(decoding: bytes, as: UTF8.self))\"; expected a 1-based index"))
                return
            }
            guard index >= 1 && index <= limit else {
                let message = index == 0 ? "index 0; MatrixMarket indices start at 1"
                    : "\(position == 0 ? "row" : "column") index \(index) is out of range; expected 1 to \(limit)"
                try policy.reject(InputDataError(file: displayName, line: number, field: position + 1, message: message))
                return
            }
            indices.append(Int(index) - 1)
        }
        var value: Float = 1
        if header.field != .pattern {
            let bytes = splitter.bytes(of: 2, in: line)
            guard let parsed = header.field == .integer ? NumberParsing.int64(bytes).map(Float.init) : NumberParsing.float(bytes) else {
                try policy.reject(InputDataError(file: displayName, line: number, field: 3, message: "found \"\(String(decoding: bytes, as: UTF8.self))\"; expected \(header.field == .integer ? "an integer" : NumberParsing.floatExpectation(bytes))"))
                return
            }
            value = parsed
        }
        let (row, col) = (Int32(indices[0]), Int32(indices[1]))
        if header.symmetry == .skewSymmetric && row == col {
            try policy.reject(InputDataError(file: displayName, line: number, message: "diagonal entry (\(row + 1), \(col + 1)) in a skew-symmetric matrix; expected none"))
            return
        }
        table.append(row: row, col: col, value: value)
        if header.symmetry != .general && row != col {
            table.append(row: col, col: row, value: header.symmetry == .skewSymmetric ? -value : value)
        }
    }

    private func readArrayValue(
        _ splitter: FieldSplitter, _ line: UnsafeBufferPointer<UInt8>, _ number: Int, _ position: (row: Int, col: Int),
        _ header: (layout: Layout, field: Field, symmetry: Symmetry), _ table: inout RatingTable
    ) throws {
        guard splitter.fields.count == 1 else {
            throw InputDataError(file: displayName, line: number, message: "found \(splitter.fields.count) fields; expected one value per line in an array")
        }
        let bytes = splitter.bytes(of: 0, in: line)
        guard let value = header.field == .integer ? NumberParsing.int64(bytes).map(Float.init) : NumberParsing.float(bytes) else {
            throw InputDataError(file: displayName, line: number, field: 1, message: "found \"\(String(decoding: bytes, as: UTF8.self))\"; expected \(header.field == .integer ? "an integer" : NumberParsing.floatExpectation(bytes))")
        }
        let (row, col) = position
        table.append(row: Int32(row), col: Int32(col), value: value)
        if header.symmetry != .general && row != col {
            table.append(row: Int32(col), col: Int32(row), value: header.symmetry == .skewSymmetric ? -value : value)
        }
    }
}

/// Walks the positions of a MatrixMarket array's stored values: column-major, and for
/// symmetric storage only the lower triangle (strictly lower for skew-symmetric).
struct ArrayCursor {
    private let rows: Int
    private let firstRowOffset: Int
    private var row: Int
    private var col = 0

    /// A cursor at the first stored value.
    init(rows: Int, symmetry: MatrixMarketReader.Symmetry) {
        self.rows = rows
        firstRowOffset = symmetry == .general ? -1 : symmetry == .symmetric ? 0 : 1
        row = max(firstRowOffset, 0)
    }

    /// The 0-based (row, column) of the next stored value.
    mutating func next() -> (row: Int, col: Int) {
        let position = (row, col)
        row += 1
        if row >= rows {
            col += 1
            row = firstRowOffset < 0 ? 0 : col + firstRowOffset
        }
        return position
    }
}
