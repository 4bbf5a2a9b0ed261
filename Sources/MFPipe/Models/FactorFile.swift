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

    /// Opens the file a user named as a factor file: one that is missing, or not HDF5, is
    /// the user's error (`InputDataError`, exit 2).
    public static func openNamed(_ url: URL) throws -> HDF5File {
        let name = DisplayPath.of(url)
        guard FileSystem.exists(url) else { throw InputDataError(file: name, message: "no such file; expected an exported factor file") }
        do {
            return try HDF5File.open(url)
        } catch {
            throw InputDataError(file: name, message: "\(HDF5File.unreadableReason(url)); expected an mfpipe factor file")
        }
    }

    /// The format version of an mfpipe export whose root group is `root`, or nil when the
    /// file is not one (no `format` attribute naming the factor format).
    public static func exportVersion(of root: HDF5Group) -> String? {
        guard (try? root.stringAttribute("format")) == Version.factorFormatName else { return nil }
        return try? root.stringAttribute("format_version")
    }

    /// Whether this mfpipe reads an export of format `version`: the same major version.
    public static func reads(version: String) -> Bool {
        version.split(separator: ".").first == Version.factorFormat.split(separator: ".").first
    }

    /// Reads the file at `url`.
    ///
    /// - Throws: `InputDataError` when it is missing, not HDF5, not an mfpipe export, or of
    ///   an unknown major format version.
    public static func read(_ url: URL) throws -> FactorFile {
        let file = try openNamed(url)
        defer { try? file.close() }
        let root = file.root
        guard let version = exportVersion(of: root) else {
            throw InputDataError(file: DisplayPath.of(url), message: "an HDF5 file but not an mfpipe export (no format attribute); expected a file an export stage wrote")
        }
        guard reads(version: version) else {
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
