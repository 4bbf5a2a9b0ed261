import CHDF5
import Foundation

/// An open HDF5 file; its root group is where datasets and groups are made.
///
/// Files are opened with the strong close degree, so `close()` releases every object
/// still open in them and the file can be renamed into place right after.
public final class HDF5File {
    /// The file's path.
    public let path: String
    /// The root group `/`.
    public let root: HDF5Group
    private var id: hid_t

    /// How numeric datasets are stored.
    public enum Layout {
        /// Contiguous and unfiltered: fastest, for the work directory's artifacts.
        case contiguous
        /// Chunked (about 256 KiB) with shuffle and deflate level 4: for exported files.
        case compressed
    }

    private init(id: hid_t, path: String, layout: Layout) throws {
        self.id = id
        self.path = path
        let rootID = H5Gopen2(id, "/", hid_t(mf_h5p_default()))
        guard rootID >= 0 else { throw HDF5Error.failed("cannot open the root group of \(path)") }
        root = HDF5Group(id: rootID, path: "/", file: path, compressed: layout == .compressed)
    }

    /// Creates (or truncates) a file at `url` for writing datasets in `layout`.
    public static func create(_ url: URL, layout: Layout) throws -> HDF5File {
        HDF5Library.initialize()
        let access = try strongCloseAccess()
        defer { H5Pclose(access) }
        let id = H5Fcreate(url.path, mf_h5f_acc_trunc(), hid_t(mf_h5p_default()), access)
        guard id >= 0 else { throw HDF5Error.failed("cannot create \(url.path)") }
        return try HDF5File(id: id, path: url.path, layout: layout)
    }

    /// Opens an existing file at `url` for reading.
    public static func open(_ url: URL) throws -> HDF5File {
        HDF5Library.initialize()
        let access = try strongCloseAccess()
        defer { H5Pclose(access) }
        guard FileSystem.exists(url) else { throw HDF5Error("no such file: \(url.path)") }
        let id = H5Fopen(url.path, mf_h5f_acc_rdonly(), access)
        guard id >= 0 else {
            throw HDF5Error("cannot open \(url.path): \(HDF5Error.systemReason() ?? "not an HDF5 file, or damaged")")
        }
        return try HDF5File(id: id, path: url.path, layout: .contiguous)
    }

    /// Why a file that `open` refused cannot be read, in a user's words: "a damaged HDF5
    /// file (cut short, or written only in part)" when it carries HDF5's signature (at byte
    /// 0, or after a user block of 512, 1024, … bytes), else "not an HDF5 file".
    public static func unreadableReason(_ url: URL) -> String {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        let descriptor = Foundation.open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "not an HDF5 file" }
        defer { Foundation.close(descriptor) }
        var offset = 0
        var bytes = [UInt8](repeating: 0, count: signature.count)
        while pread(descriptor, &bytes, bytes.count, off_t(offset)) == bytes.count {
            if bytes == signature { return "a damaged HDF5 file (cut short, or written only in part)" }
            offset = max(512, offset * 2)
        }
        return "not an HDF5 file"
    }

    private static func strongCloseAccess() throws -> hid_t {
        let access = H5Pcreate(mf_h5p_file_access())
        guard access >= 0, H5Pset_fclose_degree(access, H5F_CLOSE_STRONG) >= 0 else {
            throw HDF5Error.failed("cannot create a file access property list")
        }
        return access
    }

    /// Flushes and closes the file and every object open in it, once: a close that fails
    /// (a full disk) is not retried, and the file is never touched again.
    public func close() throws {
        guard id >= 0 else { return }
        let status = H5Fclose(id)
        id = -1
        if status < 0 { throw HDF5Error.failed("cannot close \(path)") }
    }

    deinit { try? close() }
}

/// Library set-up: HDF5 does not close what is still open at exit (once), and its own
/// error printing is silenced (on every thread that opens a file: a thread-safe HDF5 keeps
/// an error stack per thread), since every failure is turned into an `HDF5Error` that
/// names the file and object. A file whose close failed (a full disk) stays half-closed in
/// HDF5's tables, and closing it again at exit dereferences freed state (a SIGSEGV in
/// `H5F__close_cb`, HDF5 1.10): every file mfpipe writes is closed by its owner, and a
/// half-written one is a temporary file that is removed.
public enum HDF5Library {
    private static let opened: Bool = {
        H5dont_atexit()
        H5open()
        return true
    }()

    static func initialize() {
        _ = opened
        H5Eset_auto2(mf_h5e_default(), nil, nil)
    }

    /// Starts the one-time set-up (about a millisecond) on another thread, so that it
    /// overlaps the command's own start; the first file opened waits for it to finish.
    public static func initializeInBackground() {
        Thread.detachNewThread { _ = opened }
    }
}
