import Foundation

/// A temporary folder for one test, laid out like the repository: `pipelines/` for the
/// test's pipeline files and a `data/` folder with links to each bundled data set, so
/// relative paths in a pipeline resolve as they do in the real repository while files a
/// test writes under `data/` stay in the scratch folder. Removed by `remove()`.
public final class Scratch {
    /// The folder.
    public let root: URL

    /// Creates a fresh folder whose `data/` links to each of the repository's bundled data sets.
    public init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mfpipe-test-\(UUID().uuidString)")
        let files = FileManager.default
        try files.createDirectory(at: root.appendingPathComponent("pipelines"), withIntermediateDirectories: true)
        try files.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        let bundled = MFPipeBinary.packageRoot.appendingPathComponent("data")
        for name in try files.contentsOfDirectory(atPath: bundled.path) {
            try files.createSymbolicLink(at: root.appendingPathComponent("data/\(name)"), withDestinationURL: bundled.appendingPathComponent(name))
        }
    }

    /// A path inside the folder.
    public func url(_ relative: String) -> URL {
        root.appendingPathComponent(relative)
    }

    /// Writes `text` to a file inside the folder, creating folders as needed; returns its URL.
    @discardableResult
    public func write(_ text: String, to relative: String) throws -> URL {
        let destination = url(relative)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: destination)
        return destination
    }

    /// Copies a file of the repository (e.g. `pipelines/movielens.json`) to the same place here.
    @discardableResult
    public func copyFromRepository(_ relative: String) throws -> URL {
        let destination = url(relative)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: MFPipeBinary.packageRoot.appendingPathComponent(relative), to: destination)
        return destination
    }

    /// Deletes the folder.
    public func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}
