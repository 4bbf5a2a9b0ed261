import Foundation

extension RatingData {
    /// Writes the data set into an artifact's root group: `/rows/ids`, `/cols/ids`, and per
    /// part `/parts/<name>/{row, col, value[, timestamp]}`, one dataset per column.
    public func write(to root: HDF5Group) throws {
        try root.setAttribute("kind", "ratings")
        try root.setAttribute("rows", .int(Int64(rowCount)))
        try root.setAttribute("cols", .int(Int64(colCount)))
        try root.createGroup("rows").writeStrings(rowIDs.ids, to: "ids")
        try root.createGroup("cols").writeStrings(colIDs.ids, to: "ids")
        let partsGroup = try root.createGroup("parts")
        for part in Part.allCases {
            guard let table = parts[part] else { continue }
            try table.write(to: partsGroup.createGroup(part.rawValue))
        }
    }

    /// Reads a data set written by `write(to:)`.
    public static func read(from url: URL) throws -> RatingData {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        let rowIDs = IdTable(ids: try file.root.openGroup("rows").readStrings("ids"))
        let colIDs = IdTable(ids: try file.root.openGroup("cols").readStrings("ids"))
        let partsGroup = try file.root.openGroup("parts")
        var parts: [Part: RatingTable] = [:]
        for name in try partsGroup.memberNames() {
            guard let part = Part(rawValue: name) else { continue }
            parts[part] = try RatingTable.read(from: partsGroup.openGroup(name))
        }
        return RatingData(rowIDs: rowIDs, colIDs: colIDs, parts: parts)
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

    /// Reads the columns written by `write(to:)`.
    public static func read(from group: HDF5Group) throws -> RatingTable {
        RatingTable(
            rows: try group.read("row", as: Int32.self).values,
            cols: try group.read("col", as: Int32.self).values,
            values: try group.read("value", as: Float.self).values,
            timestamps: group.contains("timestamp") ? try group.read("timestamp", as: Int64.self).values : [])
    }
}
