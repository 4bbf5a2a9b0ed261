import Foundation

/// Where long stages keep their in-stage checkpoints: `WORKDIR/checkpoints/<node>-<key>.ckpt`,
/// one file per node and key, replaced atomically (temporary name, `fsync`, rename); under
/// `mpirun`, one slice per rank beside it (`CheckpointSlices`).
///
/// A checkpoint outlives a crash, a `kill -9` or a reboot, and is removed once the node's
/// artifact is committed. A checkpoint under another key (the params or inputs changed) is
/// discarded when the node runs; a damaged one is detected by its checksum and ignored.
public struct CheckpointStore {
    /// The work directory.
    public let workdir: URL
    /// The job whose ranks write slices, or nil for one process.
    public let world: MPIWorld?

    /// A store over `workdir`, written by one process or by every rank of `world`.
    public init(workdir: URL, world: MPIWorld? = nil) {
        self.workdir = workdir
        self.world = world
    }

    /// The folder of every checkpoint.
    public var folder: URL { workdir.appendingPathComponent("checkpoints") }

    /// The slot of `node` under `key`.
    public func slot(for node: DAGNode, key: StageKey) -> CheckpointSlot {
        CheckpointSlot(url: folder.appendingPathComponent("\(node.directoryName)-\(key.value.prefix(16)).ckpt"), key: key.value, world: world)
    }

    /// Removes `node`'s checkpoints under any key but `key`.
    public func discardStale(of node: DAGNode, keeping key: StageKey) {
        let keep = slot(for: node, key: key).url.lastPathComponent
        let prefix = node.directoryName + "-"
        for name in FileSystem.contents(of: folder)
        where name.hasPrefix(prefix) && name.dropFirst(prefix.count + 16).hasPrefix(".ckpt") && !name.hasPrefix(keep) {
            try? FileSystem.remove(folder.appendingPathComponent(name))
        }
    }
}

/// One node's checkpoint under one key: a file, or under `mpirun` one slice per rank.
public struct CheckpointSlot: Sendable {
    /// The file.
    public let url: URL
    /// The key a checkpoint must carry to be used.
    public let key: String
    /// The job whose ranks save it together, or nil for one process.
    public let world: MPIWorld?

    /// The slot at `url` for checkpoints carrying `key`, saved by one process or by every
    /// rank of `world`.
    public init(url: URL, key: String, world: MPIWorld? = nil) {
        self.url = url
        self.key = key
        self.world = world
    }

    private var slices: CheckpointSlices { CheckpointSlices(url: url) }

    /// The checkpoint, when one exists, is intact and carries this slot's key: the file,
    /// else the newest complete set of slices (of any rank count: a solver's state does not
    /// depend on it).
    public func load() -> Checkpoint? {
        if FileSystem.exists(url), let data = try? FileSystem.read(url), let checkpoint = try? Checkpoint(decoding: data),
            checkpoint.key == key {
            return checkpoint
        }
        return slices.load(key: key)
    }

    /// Replaces the checkpoint atomically: the file, or (every rank of a world together)
    /// this rank's slice of a new generation.
    ///
    /// - Throws: when this or any other rank could not write.
    public func save(_ checkpoint: Checkpoint) throws {
        if let world, world.size > 1 {
            try slices.save(checkpoint.encoded(), world: world)
            if world.isLeader { try? FileSystem.remove(url) }
        } else {
            try AtomicFile.write(checkpoint.encoded(), to: url)
            slices.removeAll()
        }
    }

    /// Removes the checkpoint, if any: the file and every slice.
    public func remove() {
        try? FileSystem.remove(url)
        slices.removeAll()
    }
}
