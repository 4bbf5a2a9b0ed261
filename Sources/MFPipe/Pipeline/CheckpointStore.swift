import Foundation

/// Where long stages keep their in-stage checkpoints: `WORKDIR/checkpoints/<node>-<key>.ckpt`,
/// one file per node and key, replaced atomically (temporary name, `fsync`, rename).
///
/// A checkpoint outlives a crash, a `kill -9` or a reboot, and is removed once the node's
/// artifact is committed. A checkpoint under another key (the params or inputs changed) is
/// discarded when the node runs; a damaged one is detected by its checksum and ignored.
public struct CheckpointStore {
    /// The work directory.
    public let workdir: URL

    /// A store over `workdir`.
    public init(workdir: URL) {
        self.workdir = workdir
    }

    /// The folder of every checkpoint.
    public var folder: URL { workdir.appendingPathComponent("checkpoints") }

    /// The slot of `node` under `key`.
    public func slot(for node: DAGNode, key: StageKey) -> CheckpointSlot {
        CheckpointSlot(url: folder.appendingPathComponent("\(node.directoryName)-\(key.value.prefix(16)).ckpt"), key: key.value)
    }

    /// Removes `node`'s checkpoints under any key but `key`.
    public func discardStale(of node: DAGNode, keeping key: StageKey) {
        let keep = slot(for: node, key: key).url.lastPathComponent
        let prefix = node.directoryName + "-"
        for name in FileSystem.contents(of: folder)
        where name.hasPrefix(prefix) && name.hasSuffix(".ckpt") && name.dropFirst(prefix.count).count == 21 && name != keep {
            try? FileSystem.remove(folder.appendingPathComponent(name))
        }
    }
}

/// One node's checkpoint file under one key.
public struct CheckpointSlot: Sendable {
    /// The file.
    public let url: URL
    /// The key a checkpoint must carry to be used.
    public let key: String

    /// The slot at `url` for checkpoints carrying `key`.
    public init(url: URL, key: String) {
        self.url = url
        self.key = key
    }

    /// The checkpoint, when one exists, is intact and carries this slot's key.
    public func load() -> Checkpoint? {
        guard FileSystem.exists(url), let data = try? FileSystem.read(url),
            let checkpoint = try? Checkpoint(decoding: data), checkpoint.key == key
        else { return nil }
        return checkpoint
    }

    /// Replaces the checkpoint atomically.
    public func save(_ checkpoint: Checkpoint) throws {
        try AtomicFile.write(checkpoint.encoded(), to: url)
    }

    /// Removes the checkpoint, if any.
    public func remove() {
        try? FileSystem.remove(url)
    }
}
