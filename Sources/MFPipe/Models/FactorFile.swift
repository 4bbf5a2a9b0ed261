import Foundation

/// An exported factor file read back: ids, normalization, models and the chosen one,
/// ready to predict with. The reader rejects files of an unknown major format version.
public struct FactorFile {
    /// Row ids in factor-row order.
    public let rowIDs: IdTable
    /// Column ids in factor-column order.
    public let colIDs: IdTable
    /// What was removed before factorization.
    public let normalization: Normalization
    /// The models, by group name (`k016`).
    public let models: [String: FactorModel]
    /// The chosen model's group name.
    public let chosen: String
    /// The clipping range of predictions, by model group name.
    public let clip: [String: ClosedRange<Double>]
    /// Training entries per row of the chosen model (`/rows/n_train`).
    public let rowCounts: [Int32]
    /// Training entries per column (`/cols/n_train`).
    public let colCounts: [Int32]

    /// Reads the file at `url`.
    public static func read(_ url: URL) throws -> FactorFile {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        let root = file.root
        let version = try root.stringAttribute("format_version")
        guard try root.stringAttribute("format") == Version.factorFormatName,
            version.split(separator: ".").first == Version.factorFormat.split(separator: ".").first
        else {
            throw InputDataError(file: DisplayPath.of(url), message: "format \(version) is not readable by this mfpipe (reads \(Version.factorFormat))")
        }
        let modelsGroup = try root.openGroup("models")
        var models: [String: FactorModel] = [:]
        var clip: [String: ClosedRange<Double>] = [:]
        for name in try modelsGroup.memberNames() {
            let group = try modelsGroup.openGroup(name)
            models[name] = try FactorModel.read(from: group)
            clip[name] = try group.doubleAttribute("clip_min")...group.doubleAttribute("clip_max")
        }
        return FactorFile(
            rowIDs: IdTable(ids: try root.openGroup("rows").readStrings("ids")),
            colIDs: IdTable(ids: try root.openGroup("cols").readStrings("ids")),
            normalization: try Normalization.read(from: root.openGroup("normalization")),
            models: models, chosen: try modelsGroup.stringAttribute("chosen"), clip: clip,
            rowCounts: try root.openGroup("rows").read("n_train", as: Int32.self).values,
            colCounts: try root.openGroup("cols").read("n_train", as: Int32.self).values)
    }

    /// A predictor for the model named `name` (the chosen one by default).
    public func predictor(model name: String? = nil) -> Predictor {
        Predictor(normalization: normalization, model: models[name ?? chosen], clip: clipRange(model: name))
    }

    /// The range predictions of the model named `name` (the chosen one by default) are
    /// clipped to, or nil when they are not clipped.
    public func clipRange(model name: String? = nil) -> ClosedRange<Double>? {
        clip[name ?? chosen].flatMap { $0.lowerBound.isFinite && $0.upperBound.isFinite ? $0 : nil }
    }
}
