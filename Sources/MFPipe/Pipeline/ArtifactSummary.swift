import Foundation

/// A human-readable summary of a stage artifact folder (`WORKDIR/artifacts/NODE-KEY`) for
/// `mfpipe inspect`: what its manifest says of the node's run — node, stage type, when,
/// how long, its summary line and warnings — followed by its HDF5 file's tree.
public enum ArtifactSummary {
    /// Summarises the artifact folder at `folder`.
    ///
    /// - Throws: `InputDataError` when the folder is not a complete artifact (no manifest:
    ///   a stage still running or killed), or its manifest or HDF5 file cannot be read.
    public static func describe(_ folder: URL) throws -> String {
        let name = DisplayPath.of(folder)
        let manifestURL = folder.appendingPathComponent(ArtifactStore.manifestName)
        guard FileSystem.exists(manifestURL) else {
            throw InputDataError(file: name, message: "a folder without \(ArtifactStore.manifestName); expected an exported factor file or a complete stage artifact folder (WORKDIR/artifacts/NODE-KEY)")
        }
        let manifest: JSONValue
        do {
            manifest = try JSONParser.parse(FileSystem.read(manifestURL))
        } catch {
            throw InputDataError(file: DisplayPath.of(manifestURL), message: "unreadable manifest (\(error)); `mfpipe run` recomputes a damaged artifact")
        }
        var lines = ["\(name): artifact of node \(manifest["node"]?.stringValue ?? "?") (\(manifest["type"]?.stringValue ?? "?"))"]
        if let created = manifest["created"]?.stringValue, let seconds = manifest["seconds"]?.doubleValue {
            lines.append("  created \(created), in \(PrintfText.double("%.2f", seconds)) s")
        }
        if let summary = manifest["summary"]?.stringValue, !summary.isEmpty { lines.append("  summary: \(summary)") }
        lines += NodeWarnings.of(manifest: manifest).map { "  warning: \($0)" }
        var text = lines.joined(separator: "\n") + "\n"
        let data = folder.appendingPathComponent(ArtifactStore.dataFileName)
        if FileSystem.exists(data) { text += try HDF5FileSummary.describe(data) }
        return text
    }
}
