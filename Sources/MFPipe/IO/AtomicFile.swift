import Foundation

/// Writes files so that readers see either the old content or the complete new one.
///
/// The content goes to a temporary name in the same directory, is flushed with `fsync`,
/// and is renamed over the destination (`FileManager.replaceItemAt` is broken on Linux).
public enum AtomicFile {
    /// A temporary path beside `destination`, unique to this process and call.
    public static func temporaryPath(beside destination: URL) -> URL {
        let name = ".\(destination.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return destination.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// The process that made the temporary named `name`, or nil when `temporaryPath` did not make that name.
    public static func owner(ofTemporary name: String) -> pid_t? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-") else { return nil }
        let rest = name[marker.upperBound...].split(separator: "-", maxSplits: 1)
        guard rest.count == 2, let pid = Int32(rest[0]), UInt32(rest[1]) != nil, pid > 0 else { return nil }
        return pid
    }

    /// Whether a temporary named `name` belongs to a process that still runs.
    public static func isLive(temporary name: String) -> Bool {
        owner(ofTemporary: name).map(isRunning) ?? false
    }

    /// Whether process `pid` exists.
    private static func isRunning(_ pid: pid_t) -> Bool {
        !(kill(pid, 0) != 0 && errno == ESRCH)
    }

    /// Removes the temporaries in `folder` — files or folders — that a process which no longer
    /// runs left behind (one killed while writing): names `temporaryPath` makes, whose pid is gone.
    public static func removeAbandonedTemporaries(in folder: URL) {
        for name in FileSystem.contents(of: folder) {
            guard let pid = owner(ofTemporary: name), !isRunning(pid) else { continue }
            try? FileSystem.remove(folder.appendingPathComponent(name))
        }
    }

    /// Writes `data` to `destination` atomically, creating its folder if needed.
    public static func write(_ data: Data, to destination: URL) throws {
        try FileSystem.createDirectory(destination.deletingLastPathComponent())
        let temporary = temporaryPath(beside: destination)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw WorkdirError.io("create", destination.path, errno: errno) }
        var failure: Int32 = 0
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0 && fsync(descriptor) != 0 { failure = errno }
        Glibc.close(descriptor)
        if failure != 0 {
            unlink(temporary.path)
            throw WorkdirError.io("write", destination.path, errno: failure)
        }
        try commit(temporary, to: destination)
    }

    /// Writes a string as UTF-8, atomically.
    public static func write(_ text: String, to destination: URL) throws {
        try write(Data(text.utf8), to: destination)
    }

    /// Flushes an already written and closed `temporary` file and renames it to `destination`.
    public static func commit(_ temporary: URL, to destination: URL) throws {
        let descriptor = open(temporary.path, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            Glibc.close(descriptor)
        }
        if rename(temporary.path, destination.path) != 0 {
            let code = errno
            unlink(temporary.path)
            throw WorkdirError.io("rename into", destination.path, errno: code)
        }
        FileSystem.syncDirectory(destination.deletingLastPathComponent())
    }
}
