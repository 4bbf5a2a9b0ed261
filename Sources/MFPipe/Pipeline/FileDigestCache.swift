import Foundation

/// Remembers the SHA-256 of input files by their identity — device, inode, size, and the
/// modification and status-change times to the nanosecond — so that a run where nothing
/// changed does not read gigabytes of input again just to learn that, as git does. A file
/// whose identity changed in any way is hashed afresh. The status-change time (ctime) is
/// what makes the shortcut safe: every write to a file sets it to the current time, and no
/// user call can set it back, so an edit that keeps the size and restores the modification
/// time (`touch -d`) is still seen.
///
/// Kept as `file-digests.json` in the work directory.
public final class FileDigestCache {
    private let url: URL
    private var entries: [String: (identity: String, digest: String)] = [:]
    private var changed = false

    /// Loads the cache of `workdir` (empty when absent or unreadable).
    public init(workdir: URL) {
        url = workdir.appendingPathComponent("file-digests.json")
        guard let data = try? Data(contentsOf: url), let json = try? JSONParser.parse(data) else { return }
        for (path, value) in json.objectValue ?? [] {
            if let identity = value["identity"]?.stringValue, let digest = value["sha256"]?.stringValue {
                entries[path] = (identity, digest)
            }
        }
    }

    /// The SHA-256 of the file at `file`, from the cache when its identity is unchanged.
    public func sha256(of file: URL) throws -> String {
        let path = file.path
        var status = stat()
        guard stat(path, &status) == 0 else { throw WorkdirError.io("read", path, errno: errno) }
        let identity = "\(status.st_dev):\(status.st_ino):\(status.st_size):\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
            + ":\(status.st_ctim.tv_sec).\(status.st_ctim.tv_nsec)"
        if let entry = entries[path], entry.identity == identity { return entry.digest }
        let digest = try FileDigest.sha256(of: file)
        entries[path] = (identity, digest)
        changed = true
        return digest
    }

    /// Writes the cache back atomically when something was added.
    public func save() throws {
        guard changed else { return }
        let json = JSONValue.object(entries.sorted { $0.key < $1.key }.map { path, entry in
            (path, .object([("identity", .string(entry.identity)), ("sha256", .string(entry.digest))]))
        })
        try AtomicFile.write(JSONWriter.pretty(json) + "\n", to: url)
        changed = false
    }
}
