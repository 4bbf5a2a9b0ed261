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
    /// Whether the stored bytes are decompressed on the way.
    var isCompressed: Bool { get }
}

/// Reports reading progress: bytes of the file consumed so far, and the file's size.
public typealias ReadProgress = (_ consumed: Int, _ total: Int) -> Void

extension ReadOnlyFile: ByteSource {
    public var isCompressed: Bool { false }
}

/// A source that reports its position after every read that moves it (so the end of the
/// file is reported once).
final class ProgressSource: ByteSource {
    private let inner: ByteSource
    private let total: Int
    private let report: ReadProgress
    private var reported = -1

    init(_ inner: ByteSource, total: Int, report: @escaping ReadProgress) {
        self.inner = inner
        self.total = total
        self.report = report
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try inner.read(into: buffer)
        let consumed = count == 0 ? total : min(inner.position, total)
        if consumed != reported {
            reported = consumed
            report(consumed, total)
        }
        return count
    }

    func close() { inner.close() }

    var position: Int { inner.position }

    var isCompressed: Bool { inner.isCompressed }
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

    /// The most bytes `source`, opened on `url`, can yield: the file's size, or for gzip
    /// 1,032 times it (deflate's largest ratio).
    public static func capacity(of url: URL, source: ByteSource) -> Int {
        var status = stat()
        guard stat(url.path, &status) == 0 else { return Int.max }
        let size = Int(status.st_size)
        return source.isCompressed ? size.multipliedReportingOverflow(by: 1032).partialValue : size
    }

    private static func open(_ url: URL, displayName: String) throws -> ByteSource {
        switch FileSystem.kind(of: url) {
        case nil: throw InputDataError(file: displayName, message: "no such file; expected an input file")
        case .directory?: throw InputDataError(file: displayName, message: "is a folder; expected an input file")
        case .other?: throw InputDataError(file: displayName, message: "is not a regular file (a pipe, socket or device); expected an input file")
        case .regular?: break
        }
        let probe = try ReadOnlyFile(url: url)
        var magic = [UInt8](repeating: 0, count: 8)
        let count = try magic.withUnsafeMutableBytes { try probe.readFully(into: $0) }
        probe.close()
        if count >= 2 && magic.prefix(2) == [0x1F, 0x8B] {
            return try GzipFile(url: url, displayName: displayName)
        }
        let isOther = { (format: [UInt8?]) in count >= format.count && zip(format, magic).allSatisfy { $0.0 == nil || $0.0 == $0.1 } }
        if let other = otherFormats.first(where: { isOther($0.magic) }) {
            throw InputDataError(file: displayName, message: "\(other.name); expected text, plain or gzip (\(other.remedy))")
        }
        return try ReadOnlyFile(url: url)
    }

    /// Files people give for text that are not, told apart by their first bytes (nil: any
    /// byte), with the way to text.
    private static let otherFormats: [(magic: [UInt8?], name: String, remedy: String)] = [
        ([0x42, 0x5A, 0x68, nil, 0x31, 0x41, 0x59, 0x26], "a bzip2 file", "bunzip2 decompresses it"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "an xz file", "unxz decompresses it"),
        ([0x28, 0xB5, 0x2F, 0xFD], "a zstd file", "unzstd decompresses it"),
        ([0x50, 0x4B, 0x03, 0x04], "a zip archive (an .xlsx workbook is one)", "unzip it, or save the sheet as CSV"),
        (Array("PAR1".utf8), "a Parquet file", "write it as CSV, as pandas' to_csv does"),
        ([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A], "an HDF5 file", "mfpipe reads its exports with predict, recommend and inspect"),
    ]
}

/// A gzip file decompressed on the fly with zlib's `inflate`, without a temporary file.
///
/// Concatenated gzip members (`cat a.gz b.gz`) are read one after the other, as gzip does;
/// anything else after the last member, a stream that ends early and damaged data are
/// errors — never silently dropped or ignored.
public final class GzipFile: ByteSource {
    private let file: ReadOnlyFile
    private let displayName: String
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    /// Whether the current member has begun and not yet ended.
    private var inMember = false
    private var finished = false
    private var open = false

    /// Opens a gzip file.
    public init(url: URL, displayName: String) throws {
        self.displayName = displayName
        file = try ReadOnlyFile(url: url)
        input = .allocate(byteCount: 1 << 20, alignment: 16)
        guard mf_inflate_init_gzip(&stream) == Z_OK else { throw WorkdirError("cannot start decompressing \(url.path)") }
        open = true
    }

    /// Refills the input buffer when it is empty; false at the end of the file.
    private func refill() throws -> Bool {
        guard stream.avail_in == 0 else { return true }
        let count = try file.read(into: input)
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = UInt32(count)
        return count > 0
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        let size = UInt32(min(buffer.count, Int(UInt32.max)))
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = size
        while stream.avail_out == size {
            guard try refill() else {
                if inMember { throw InputDataError(file: displayName, message: "truncated gzip file: the compressed stream ends early") }
                finished = true
                break
            }
            inMember = true
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                inMember = false
                try startNextMember()
                if finished { break }
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                throw InputDataError(file: displayName, message: "damaged gzip data (\(reason)); expected a complete gzip stream")
            }
            if finished { break }
        }
        return Int(size - stream.avail_out)
    }

    /// After a member's end: another member (gzip's magic bytes) starts the next one; the
    /// end of the file finishes; anything else is an error.
    private func startNextMember() throws {
        guard try refill() else {
            finished = true
            return
        }
        if stream.avail_in < 2 {
            let first = stream.next_in[0]
            let count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: input[1...]))
            input[0] = first
            stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = UInt32(1 + count)
        }
        guard stream.avail_in >= 2, stream.next_in[0] == 0x1F, stream.next_in[1] == 0x8B else {
            throw InputDataError(file: displayName, message: "bytes after the end of the gzip stream; expected the end of the file or another gzip member")
        }
        inflateReset(&stream)
    }

    public func close() {
        if open {
            inflateEnd(&stream)
            open = false
        }
        file.close()
    }

    public var position: Int { file.position - Int(stream.avail_in) }

    public var isCompressed: Bool { true }

    deinit {
        close()
        input.deallocate()
    }
}
