import Foundation

/// The work directory's stage cache: one folder per node and key under `artifacts/`,
/// complete only once its `manifest.json` has been written, last, by atomic rename.
///
/// The manifest records the key and its ingredients, a checksum (CRC-32 and size) of every
/// file in the folder and of every output written outside it; an artifact whose files no longer
/// match is reported as damaged and recomputed, never used.
public struct ArtifactStore {
    /// The name of every artifact's main HDF5 file.
    public static let dataFileName = "data.h5"
    /// The name of the file that marks an artifact complete.
    public static let manifestName = "manifest.json"

    /// The work directory.
    public let workdir: URL

    /// Creates a store over `workdir` (nothing is created until a node runs).
    public init(workdir: URL) {
        self.workdir = workdir
    }

    /// The folder holding every artifact.
    public var artifactsFolder: URL { workdir.appendingPathComponent("artifacts") }

    /// The folder of `node`'s artifact for `key`.
    public func directory(for node: DAGNode, key: StageKey) -> URL {
        artifactsFolder.appendingPathComponent("\(node.directoryName)-\(key.value.prefix(16))")
    }

    /// The state of a node's artifact under a key.
    public enum State {
        /// Complete and intact.
        case complete(JSONValue)
        /// Present but unusable: the reason.
        case damaged(String)
        /// Not there.
        case missing
    }

    /// Checks the artifact of `node` under `key`: manifest present, checksums matching.
    public func state(of node: DAGNode, key: StageKey) -> State {
        let folder = directory(for: node, key: key)
        let manifestURL = folder.appendingPathComponent(Self.manifestName)
        guard FileSystem.exists(manifestURL) else {
            return FileSystem.exists(folder) ? .damaged("incomplete artifact (no manifest)") : .missing
        }
        guard let data = try? FileSystem.read(manifestURL), let manifest = try? JSONParser.parse(data),
            manifest["key"]?.stringValue == key.value
        else { return .damaged("unreadable manifest") }
        for (name, expected) in manifest["files"]?.objectValue ?? [] {
            let url = folder.appendingPathComponent(name)
            guard (try? FileDigest.checksum(of: url)) == expected.stringValue else {
                return .damaged("\(name) does not match its checksum")
            }
        }
        for (path, expected) in manifest["outputs"]?.objectValue ?? [] {
            let url = URL(fileURLWithPath: path)
            guard FileSystem.exists(url) else { return .damaged("output \(path) is missing") }
            guard (try? FileDigest.checksum(of: url)) == expected.stringValue else {
                return .damaged("output \(path) was changed")
            }
        }
        return .complete(manifest)
    }

    /// The most recent manifest of `node` under any key, to explain what changed.
    public func latestManifest(of node: DAGNode) -> JSONValue? {
        let prefix = node.directoryName + "-"
        return FileSystem.contents(of: artifactsFolder)
            .filter { $0.hasPrefix(prefix) && $0.dropFirst(prefix.count).count == 16 }
            .compactMap { name -> JSONValue? in
                let url = artifactsFolder.appendingPathComponent(name).appendingPathComponent(Self.manifestName)
                return (try? FileSystem.read(url)).flatMap { try? JSONParser.parse($0) }
            }
            .max { ($0["created"]?.stringValue ?? "") < ($1["created"]?.stringValue ?? "") }
    }

    /// Creates a fresh staging folder, beside the artifact's, for a node about to run. The
    /// artifact already there (a `--force` rerun) stays whole and in use until `commit` replaces it;
    /// a run that fails or is killed leaves it as it was.
    public func prepare(_ node: DAGNode, key: StageKey) throws -> URL {
        let staging = AtomicFile.temporaryPath(beside: directory(for: node, key: key))
        try FileSystem.createDirectory(staging)
        return staging
    }

    /// Marks a finished node's artifact complete: writes the manifest of the files in `staging`
    /// last, then renames the folder into place, replacing an earlier artifact of the key.
    public func commit(_ node: DAGNode, key: StageKey, staging: URL, outcome: StageOutcome, seconds: Double) throws -> JSONValue {
        var files: [(key: String, value: JSONValue)] = []
        for name in FileSystem.contents(of: staging) where name != Self.manifestName {
            files.append((name, .string(try FileDigest.checksum(of: staging.appendingPathComponent(name)))))
        }
        var outputs: [(key: String, value: JSONValue)] = []
        for url in outcome.outputs {
            outputs.append((url.path, .string(try FileDigest.checksum(of: url))))
        }
        let manifest: JSONValue = .object([
            ("node", .string(node.id)),
            ("type", .string(node.stage.type.typeName)),
            ("key", .string(key.value)),
            ("created", .string(EventLog.timestamp(Date()))),
            ("seconds", .number(seconds)),
            ("summary", .string(outcome.summary)),
            ("metrics", .object(outcome.metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
            ("warnings", .array(outcome.warnings.map(JSONValue.string))),
            ("files", .object(files)),
            ("outputs", .object(outputs)),
            ("ingredients", key.ingredients),
        ])
        try AtomicFile.write(JSONWriter.pretty(manifest) + "\n", to: staging.appendingPathComponent(Self.manifestName))
        try replace(directory(for: node, key: key), with: staging)
        return manifest
    }

    /// Renames `staging` to `folder`. An earlier `folder` is first renamed aside and removed
    /// after: a process killed between the two renames leaves no artifact for the key (the node
    /// runs again), never a mixed one.
    private func replace(_ folder: URL, with staging: URL) throws {
        var aside: URL?
        if FileSystem.exists(folder) {
            let name = AtomicFile.temporaryPath(beside: folder)
            guard rename(folder.path, name.path) == 0 else { throw WorkdirError.io("rename aside", folder.path, errno: errno) }
            aside = name
        }
        guard rename(staging.path, folder.path) == 0 else {
            let code = errno
            if let aside { rename(aside.path, folder.path) }
            throw WorkdirError.io("rename into", folder.path, errno: code)
        }
        FileSystem.syncDirectory(artifactsFolder)
        if let aside { try? FileSystem.remove(aside) }
    }

    /// Whether a live process is computing `node`'s artifact for `key` now (its staging folder exists).
    public func isFilling(_ node: DAGNode, key: StageKey) -> Bool {
        let prefix = "." + directory(for: node, key: key).lastPathComponent + ".tmp-"
        return FileSystem.contents(of: artifactsFolder).contains { $0.hasPrefix(prefix) && AtomicFile.isLive(temporary: $0) }
    }

    /// The artifact folders `remove(keeping:)` would remove, with the disk space each takes
    /// (never the staging folder of a node a live process is computing).
    public func removable(keeping: Set<String>? = nil) -> [(name: String, bytes: Int)] {
        FileSystem.contents(of: artifactsFolder).filter { name in
            !AtomicFile.isLive(temporary: name) && (keeping.map { !$0.contains(name) } ?? true)
        }.map {
            ($0, FileSystem.diskUsage(of: artifactsFolder.appendingPathComponent($0)))
        }
    }

    /// Removes artifact folders; with `keeping`, only those whose names are not in it.
    ///
    /// - Returns: the folders removed, with the disk space each took.
    @discardableResult
    public func remove(keeping: Set<String>? = nil) throws -> [(name: String, bytes: Int)] {
        let folders = removable(keeping: keeping)
        for folder in folders { try FileSystem.remove(artifactsFolder.appendingPathComponent(folder.name)) }
        return folders
    }
}
