import Foundation

/// A human-readable summary of an HDF5 file mfpipe wrote, for `mfpipe inspect`: an
/// exported factor file in detail, any other (a stage artifact) as its tree of groups,
/// datasets with shapes, and attributes.
public enum HDF5FileSummary {
    /// Summarises the file at `url`.
    ///
    /// - Throws: `InputDataError` when it is not an HDF5 file, or a factor file of an unknown major version.
    public static func describe(_ url: URL) throws -> String {
        let name = DisplayPath.of(url)
        let file = try FactorFile.openNamed(url)
        defer { try? file.close() }
        let root = file.root
        guard let version = FactorFile.exportVersion(of: root) else {
            return "\(name): HDF5 (not an exported factor file)\n" + (try tree(root, indent: "  "))
        }
        guard FactorFile.reads(version: version) else {
            let ownMajor = Version.factorFormat.split(separator: ".").first.map(String.init)!
            throw InputDataError(file: name, message: "format version \(version) is not readable by this mfpipe (reads \(ownMajor).x)")
        }
        var lines = ["\(name): \(Version.factorFormatName) \(version)"]
        for attribute in try root.attributeNames() where !["format", "format_version"].contains(attribute) {
            lines.append("  \(attribute): \(try root.attribute(attribute)?.description ?? "")")
        }
        let rows = try root.openGroup("rows").shape(of: "ids")[0]
        let cols = try root.openGroup("cols").shape(of: "ids")[0]
        lines.append("  matrix: \(CountText.of(rows, "row")) x \(CountText.of(cols, "column"))")
        let normalization = try root.openGroup("normalization")
        lines.append("  normalization: \(try normalization.stringAttribute("method")), mean \(try normalization.attribute("mean")?.description ?? "")")
        let models = try root.openGroup("models")
        let chosen = try models.attribute("chosen")?.description ?? ""
        let modelNames = try models.memberNames()
        let stages = try modelNames.map { try models.openGroup($0).attribute("stage")?.description ?? "" }
        let namesStages = Set(stages).count > 1
        for (modelName, stage) in zip(modelNames, stages) {
            let group = try models.openGroup(modelName)
            let w = try group.shape(of: "W")
            let h = try group.shape(of: "H")
            var line = "  model \(modelName)\(modelName == chosen ? " (chosen)" : ""): \(try group.stringAttribute("algorithm"))\(namesStages ? " (stage \(stage))" : ""), W \(w[0]) x \(w[1]), H \(h[0]) x \(h[1])"
            for metric in ["validation_rmse", "test_rmse"] {
                if let value = try? group.doubleAttribute(metric), value.isFinite { line += ", \(metric) \(MetricText.format(value))" }
            }
            lines.append(line)
        }
        if root.contains("provenance"), try root.openGroup("provenance").contains("warnings") {
            lines += try root.openGroup("provenance").readStrings("warnings").map { "  warning: \($0)" }
        }
        if root.contains("sweep") {
            let sweep = try root.openGroup("sweep")
            let ks = try sweep.read("k", as: Int32.self).values
            let validation = try sweep.read("validation_rmse", as: Double.self).values
            let test = try sweep.read("test_rmse", as: Double.self).values
            let stages = sweep.contains("stage") ? try sweep.readStrings("stage") : []
            let stageWidth = Set(stages).count > 1 ? max(5, stages.map(\.count).max()!) + 1 : 0
            lines.append("  sweep:")
            lines.append("    k      " + (stageWidth > 0 ? padded("stage", stageWidth) : "") + "validation RMSE  test RMSE")
            for index in ks.indices {
                lines.append("    \(padded(String(ks[index]), 6)) " + (stageWidth > 0 ? padded(stages[index], stageWidth) : "")
                             + "\(padded(MetricText.format(validation[index]), 16)) \(MetricText.format(test[index]))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` followed by spaces up to `width` characters (a longer text whole).
    private static func padded(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    /// The groups, datasets (with shapes) and attributes below `group`, one per line.
    private static func tree(_ group: HDF5Group, indent: String) throws -> String {
        var text = ""
        for attribute in try group.attributeNames() {
            text += "\(indent)@\(attribute): \(try group.attribute(attribute)?.description ?? "")\n"
        }
        for member in try group.memberNames() {
            if group.isGroup(member) {
                text += "\(indent)\(member)/\n" + (try tree(group.openGroup(member), indent: indent + "  "))
            } else {
                text += "\(indent)\(member) (" + (try group.shape(of: member)).map(String.init).joined(separator: " x ") + ")\n"
            }
        }
        return text
    }
}
