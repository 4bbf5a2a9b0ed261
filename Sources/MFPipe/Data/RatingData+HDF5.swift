import Foundation

extension RatingData {
    /// Writes the data set into an artifact's root group: `/rows/ids`, `/cols/ids`, and per
    /// part `/parts/<name>/{row, col, value[, timestamp]}`, one dataset per column, with the
    /// attribute `cell_order` on a part that lists every cell once in row or column order.
    public func write(to root: HDF5Group) throws {
        try root.setAttribute("kind", "ratings")
        try root.setAttribute("rows", .int(Int64(rowCount)))
        try root.setAttribute("cols", .int(Int64(colCount)))
        try root.createGroup("rows").writeStrings(rowIDs.ids, to: "ids")
        try root.createGroup("cols").writeStrings(colIDs.ids, to: "ids")
        let partsGroup = try root.createGroup("parts")
        for part in Part.allCases {
            guard let table = parts[part] else { continue }
            let group = try partsGroup.createGroup(part.rawValue)
            try table.write(to: group)
            if let order = CellOrder.of(rows: table.rows, cols: table.cols, rowCount: rowCount, colCount: colCount) {
                try group.setAttribute("cell_order", order.rawValue)
            }
        }
    }

    /// Reads a data set written by `write(to:)`.
    public static func read(from url: URL) throws -> RatingData {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        let rowIDs = IdTable(ids: try file.root.openGroup("rows").readStrings("ids"))
        let colIDs = IdTable(ids: try file.root.openGroup("cols").readStrings("ids"))
        return RatingData(rowIDs: rowIDs, colIDs: colIDs, parts: try readParts(file, Set(Part.allCases), timestamps: true))
    }

    /// Reads only the parts named in `wanted` (those present) and, unless `timestamps`,
    /// no timestamps: what a solver needs, without the rest's memory.
    public static func readParts(from url: URL, _ wanted: Set<Part>, timestamps: Bool) throws -> (rows: Int, cols: Int, parts: [Part: RatingTable]) {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        return (try file.root.intAttribute("rows"), try file.root.intAttribute("cols"), try readParts(file, wanted, timestamps: timestamps))
    }

    private static func readParts(_ file: HDF5File, _ wanted: Set<Part>, timestamps: Bool) throws -> [Part: RatingTable] {
        let partsGroup = try file.root.openGroup("parts")
        var parts: [Part: RatingTable] = [:]
        for name in try partsGroup.memberNames() {
            guard let part = Part(rawValue: name), wanted.contains(part) else { continue }
            parts[part] = try RatingTable.read(from: partsGroup.openGroup(name), timestamps: timestamps)
        }
        return parts
    }
}

extension RatingTable {
    /// Writes the columns `row`, `col`, `value` and, when present, `timestamp` into `group`.
    public func write(to group: HDF5Group) throws {
        try group.write(rows, to: "row")
        try group.write(cols, to: "col")
        try group.write(values, to: "value")
        if hasTimestamps { try group.write(timestamps, to: "timestamp") }
    }

    /// Reads the columns written by `write(to:)` (without timestamps unless `timestamps`).
    public static func read(from group: HDF5Group, timestamps: Bool = true) throws -> RatingTable {
        RatingTable(
            rows: try group.read("row", as: Int32.self).values,
            cols: try group.read("col", as: Int32.self).values,
            values: try group.read("value", as: Float.self).values,
            timestamps: timestamps && group.contains("timestamp") ? try group.read("timestamp", as: Int64.self).values : [])
    }
}
