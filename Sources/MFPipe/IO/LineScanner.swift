import Foundation

/// Splits a byte stream into lines without copying them: LF or CRLF line ends, a UTF-8
/// byte-order mark at the start, and a last line with no newline are all accepted.
///
/// Reads 4 MiB chunks; a line longer than the buffer grows it.
public struct LineScanner {
    private let source: ByteSource

    /// Scans `source`.
    public init(source: ByteSource) {
        self.source = source
    }

    /// Calls `body` with each line (without its line end) and its 1-based number.
    /// `body` returns false to stop early.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Bool) throws {
        var capacity = 4 << 20
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var filled = 0
        var lineNumber = 0
        var atStart = true
        var finished = false
        while !finished {
            if filled == capacity {
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 2, alignment: 64)
                larger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { finished = true }
            filled += count
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var start = 0
            if atStart && filled >= 3 || finished {
                if atStart && filled >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { start = 3 }
                atStart = false
            }
            if atStart { continue }
            while start < filled {
                guard let newline = memchr(base + start, 0x0A, filled - start) else { break }
                let end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                lineNumber += 1
                let trimmed = end > start && base[end - 1] == 0x0D ? end - 1 : end
                if try !body(UnsafeBufferPointer(start: base + start, count: trimmed - start), lineNumber) { return }
                start = end + 1
            }
            if finished && start < filled {
                lineNumber += 1
                let trimmed = base[filled - 1] == 0x0D ? filled - 1 : filled
                if try !body(UnsafeBufferPointer(start: base + start, count: trimmed - start), lineNumber) { return }
                start = filled
            }
            if start > 0 {
                memmove(base, base + start, filled - start)
                filled -= start
            }
        }
    }
}
