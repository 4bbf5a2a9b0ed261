import Foundation

/// A whole file mapped read-only into memory (`mmap(2)`): its pages come from the page
/// cache as they are first read, with no copy and no fresh memory to fault in. For files
/// no one changes while they are mapped, such as committed artifacts.
public final class MappedFile {
    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer

    /// Maps the file at `url`.
    ///
    /// - Throws: `WorkdirError` naming the path when it cannot be opened or mapped.
    public init(url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw WorkdirError.io("open", url.path, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw WorkdirError.io("stat", url.path, errno: errno) }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let start = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), start != MAP_FAILED else {
            throw WorkdirError.io("map", url.path, errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: start, count: size)
    }

    /// The `count` values of type `T` that start `offset` bytes into the file.
    public func values<T>(at offset: Int, count: Int, as type: T.Type) -> UnsafeBufferPointer<T> {
        precondition(offset >= 0 && offset + count * MemoryLayout<T>.stride <= bytes.count && offset % MemoryLayout<T>.alignment == 0)
        return UnsafeBufferPointer(start: bytes.baseAddress.map { ($0 + offset).assumingMemoryBound(to: T.self) }, count: count)
    }

    /// Lets the kernel drop this process's mapping of the whole pages inside the `byteCount`
    /// bytes at `offset` (they stay in the page cache, and are mapped again if read): a pass
    /// that has read them no longer holds them in its resident memory.
    public func release(offset: Int, byteCount: Int) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let (start, end) = ((offset + page - 1) / page * page, min(offset + byteCount, bytes.count) / page * page)
        guard start < end else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    deinit {
        if let start = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: start), bytes.count) }
    }
}
