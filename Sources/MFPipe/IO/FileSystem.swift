import Foundation

/// Small file-system helpers whose failures become `WorkdirError`s naming the path.
public enum FileSystem {
    /// Creates a directory and its parents; succeeds if it already exists.
    public static func createDirectory(_ url: URL) throws {
        if mkdir(url.path, 0o777) == 0 { return }
        var code = errno
        if code == ENOENT, url.path != "/" {
            try createDirectory(url.deletingLastPathComponent())
            if mkdir(url.path, 0o777) == 0 { return }
            code = errno
        }
        if code == EEXIST && kind(of: url) == .directory { return }
        throw WorkdirError.io("create directory", url.path, errno: code)
    }

    /// Removes a file or directory tree; succeeds if it does not exist.
    public static func remove(_ url: URL) throws {
        guard exists(url) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw WorkdirError("cannot remove \(url.path): \(error.localizedDescription)")
        }
    }

    /// What a path names, following links.
    public enum Kind: Sendable {
        case regular, directory, other
    }

    /// What is at `url` (following links), or nil when nothing is.
    public static func kind(of url: URL) -> Kind? {
        var status = stat()
        guard stat(url.path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Whether anything exists at `url`.
    public static func exists(_ url: URL) -> Bool {
        var status = stat()
        return lstat(url.path, &status) == 0
    }

    /// The names of the entries of a directory, sorted; empty when it does not exist.
    public static func contents(of url: URL) -> [String] {
        guard let directory = opendir(url.path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The disk space the files under `url` take (allocated blocks, links not followed):
    /// what removing it frees.
    public static func diskUsage(of url: URL) -> Int {
        var status = stat()
        guard lstat(url.path, &status) == 0 else { return 0 }
        var total = Int(status.st_blocks) * 512
        if (status.st_mode & S_IFMT) == S_IFDIR {
            for name in contents(of: url) { total += diskUsage(of: url.appendingPathComponent(name)) }
        }
        return total
    }

    /// Flushes a directory's entries so that a rename inside it survives a crash.
    public static func syncDirectory(_ url: URL) {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }

    /// Reads a whole file.
    ///
    /// - Throws: `WorkdirError` with the system's reason ("Is a directory", "Permission denied").
    public static func read(_ url: URL) throws -> Data {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw WorkdirError.io("read", url.path, errno: errno) }
        defer { close(descriptor) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return data }
            if count < 0 {
                if errno == EINTR { continue }
                throw WorkdirError.io("read", url.path, errno: errno)
            }
            data.append(chunk, count: count)
        }
    }
}
