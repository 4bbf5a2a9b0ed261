import Foundation

/// One run per work directory: a `lock` file created exclusively, naming the holder's pid.
///
/// A lock whose holder is no longer alive is taken over with a warning.
public final class WorkdirLock {
    /// The lock file.
    public let url: URL
    private var held = false

    /// Takes the lock of `workdir`, creating the folder if needed.
    ///
    /// - Throws: `WorkdirError` when a live process holds it.
    public init(workdir: URL, log: EventLog) throws {
        try FileSystem.createDirectory(workdir)
        url = workdir.appendingPathComponent("lock")
        let content = "\(getpid())\n"
        for _ in 0..<2 {
            let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 {
                _ = content.withCString { write(descriptor, $0, strlen($0)) }
                close(descriptor)
                held = true
                return
            }
            guard errno == EEXIST else { throw WorkdirError.io("create lock", url.path, errno: errno) }
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let holder = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            if holder > 0 && (kill(holder, 0) == 0 || errno == EPERM) {
                throw WorkdirError("work directory \(workdir.path) is locked by a running mfpipe (pid \(holder)); wait for it or stop it")
            }
            log.warning("taking over the lock of \(workdir.path) from pid \(holder), which is no longer running")
            unlink(url.path)
        }
        throw WorkdirError("cannot take the lock \(url.path)")
    }

    /// Releases the lock; later calls do nothing.
    public func release() {
        if held {
            unlink(url.path)
            held = false
        }
    }

    deinit { release() }
}
