import Foundation

/// A temporary folder for one test, laid out like the repository: `pipelines/` for the
/// test's pipeline files and links to the bundled `data/`, so relative paths in a
/// pipeline resolve as they do in the real repository. Removed by `remove()`.
public final class Scratch {
    /// The folder.
    public let root: URL

    /// Creates a fresh folder with `data` linked to the repository's bundled data.
    public init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mfpipe-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("pipelines"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("data"), withDestinationURL: MFPipeBinary.packageRoot.appendingPathComponent("data"))
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
