import CZlib
import Foundation

/// A stream of bytes read in chunks: a plain file, or a gzip file decompressed on the fly.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end.
    ///
    /// - Throws: `InputDataError` for damaged compressed data, `WorkdirError` for I/O failures.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Releases the file.
    func close()
    /// How far into the file (in its stored bytes: compressed for gzip) reading has come.
    var position: Int { get }
}

/// Reports reading progress: bytes of the file consumed so far, and the file's size.
public typealias ReadProgress = (_ consumed: Int, _ total: Int) -> Void

extension ReadOnlyFile: ByteSource {}

/// A source that reports its position after every read.
final class ProgressSource: ByteSource {
    private let inner: ByteSource
    private let total: Int
    private let report: ReadProgress

    init(_ inner: ByteSource, total: Int, report: @escaping ReadProgress) {
        self.inner = inner
        self.total = total
        self.report = report
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try inner.read(into: buffer)
        report(count == 0 ? total : min(inner.position, total), total)
        return count
    }

    func close() { inner.close() }

    var position: Int { inner.position }
}

/// Opens an input file for reading, choosing gzip decompression by its magic bytes
/// (not its name), so `ratings.csv.gz` and a gzip file named `.csv` both work.
public enum ByteSources {
    /// Opens `url`; `displayName` is how messages name the file; `progress`, when given, hears
    /// after every read how many of the file's bytes have been consumed.
    public static func open(_ url: URL, displayName: String, progress: ReadProgress? = nil) throws -> ByteSource {
        let source = try open(url, displayName: displayName)
        guard let progress else { return source }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        return ProgressSource(source, total: size ?? 0, report: progress)
    }

    private static func open(_ url: URL, displayName: String) throws -> ByteSource {
        guard FileSystem.exists(url) else {
            throw InputDataError(file: displayName, message: "no such file; expected an input file")
        }
        let probe = try ReadOnlyFile(url: url)
        var magic: [UInt8] = [0, 0]
        let count = try magic.withUnsafeMutableBytes { try probe.readFully(into: $0) }
        probe.close()
        if count == 2 && magic == [0x1F, 0x8B] {
            return try GzipFile(url: url, displayName: displayName)
        }
        return try ReadOnlyFile(url: url)
    }
}

/// A gzip file read through zlib's `gzread`, without a temporary file.
public final class GzipFile: ByteSource {
    private var handle: gzFile?
    private let displayName: String

    /// Opens a gzip file.
    public init(url: URL, displayName: String) throws {
        self.displayName = displayName
        handle = gzopen(url.path, "rb")
        guard handle != nil else { throw WorkdirError.io("open", url.path, errno: errno) }
        gzbuffer(handle, 1 << 20)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let request = UInt32(min(buffer.count, Int(Int32.max)))
        let count = gzread(handle, buffer.baseAddress, request)
        if count < 0 {
            var code: Int32 = 0
            let message = String(cString: gzerror(handle, &code))
            throw InputDataError(file: displayName, message: "damaged gzip data (\(message)); expected a complete gzip stream")
        }
        if count == 0 {
            var code: Int32 = 0
            _ = gzerror(handle, &code)
            if code == Z_BUF_ERROR {
                throw InputDataError(file: displayName, message: "truncated gzip file: the compressed stream ends early")
            }
        }
        return Int(count)
    }

    public func close() {
        if let handle {
            gzclose(handle)
            self.handle = nil
        }
    }

    public var position: Int { handle.map { Int(gzoffset($0)) } ?? 0 }

    deinit { close() }
}
