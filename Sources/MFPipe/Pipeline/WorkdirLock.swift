import Foundation

/// One run per work directory: an exclusive `flock(2)` on `WORKDIR/lock`, held for the
/// whole run on an open file, so the kernel releases it when the process ends in any way —
/// `kill -9` and crashes included — and two runs can never both take it. The file names the
/// holder's pid, for people and for `status` only: a run that ends cleanly empties it, so a
/// pid found there by the next holder belonged to a run that died, and is reported.
public final class WorkdirLock {
    /// The lock file.
    public let url: URL
    private var descriptor: Int32 = -1

    /// Takes the lock of `workdir`, creating the folder if needed.
    ///
    /// - Throws: `WorkdirError` (exit 2) when another run holds it.
    public init(workdir: URL, log: EventLog) throws {
        try FileSystem.createDirectory(workdir)
        url = workdir.appendingPathComponent("lock")
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WorkdirError.io("open the lock", url.path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.holder(descriptor)
            close(descriptor)
            guard code == EWOULDBLOCK else { throw WorkdirError.io("lock", url.path, errno: code) }
            throw WorkdirError("work directory \(workdir.path) is in use by another mfpipe run\(holder.map { " (pid \($0))" } ?? ""); wait for it or stop it",
                               exitCode: 2)
        }
        if let previous = Self.holder(descriptor) {
            log.warning("taking over the lock of \(workdir.path) from pid \(previous), whose run did not finish")
        }
        let content = "\(getpid())\n"
        guard ftruncate(descriptor, 0) == 0, content.withCString({ pwrite(descriptor, $0, strlen($0), 0) }) == content.utf8.count else {
            let code = errno
            close(descriptor)
            throw WorkdirError.io("write the lock", url.path, errno: code)
        }
        self.descriptor = descriptor
    }

    /// The pid written in the lock file, if any.
    private static func holder(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether some run holds the lock of `workdir` now, and its pid when the file names one.
    public static func holder(of workdir: URL) -> (held: Bool, pid: Int32?) {
        let descriptor = open(workdir.appendingPathComponent("lock").path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return (false, nil) }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return (false, nil)
        }
        return (errno == EWOULDBLOCK, holder(descriptor))
    }

    /// Empties the lock file and releases the lock; later calls do nothing.
    public func release() {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
