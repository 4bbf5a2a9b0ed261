import Foundation

/// Splits a byte stream into lines without copying them: LF or CRLF line ends, a UTF-8
/// byte-order mark at the start, and a last line with no newline are all accepted.
///
/// Reads 8 MiB chunks (less for a source known to hold less); a line longer than the buffer
/// grows it. The buffer has 64 readable
/// bytes past every block, so that parsers may load 8 bytes at a time near a block's end.
public struct LineScanner {
    private let source: ByteSource
    private let chunkSize: Int

    /// Readable bytes after the end of every block.
    public static let slack = 64

    /// Scans `source` in chunks of `chunkSize` bytes, or one chunk a little larger than
    /// `capacity` (the most bytes the source can yield) when that is smaller: a small file
    /// costs a small buffer.
    public init(source: ByteSource, chunkSize: Int = 8 << 20, capacity: Int = .max) {
        self.source = source
        self.chunkSize = min(chunkSize, max(4096, capacity.addingReportingOverflow(1).partialValue))
    }

    /// Calls `body` with blocks of whole lines, in order: each block ends with a newline,
    /// except perhaps the file's last. `body` returns false to stop early.
    public func forEachBlock(_ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) throws {
        var capacity = chunkSize
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity + Self.slack, alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        defer { buffer.deallocate() }
        var filled = 0
        var atStart = true
        var finished = false
        while !finished {
            if filled == capacity {
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 2 + Self.slack, alignment: 64)
                larger.initializeMemory(as: UInt8.self, repeating: 0)
                larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[..<capacity]))
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<capacity]))
            if count == 0 { finished = true }
            filled += count
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var start = 0
            if atStart {
                guard filled >= 3 || finished else { continue }
                if filled >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { start = 3 }
                atStart = false
            }
            var end = filled
            if !finished {
                while end > start && base[end - 1] != 0x0A { end -= 1 }
            }
            if end > start {
                if try !body(UnsafeBufferPointer(start: base + start, count: end - start)) { return }
            } else if !finished && start == 0 && filled < capacity {
                continue
            }
            let consumed = end > start ? end : start
            if consumed > 0 {
                memmove(base, base + consumed, filled - consumed)
                filled -= consumed
            }
        }
    }

    /// Calls `body` with each line (without its line end) and its 1-based number.
    /// `body` returns false to stop early.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Bool) throws {
        var lineNumber = 0
        try forEachBlock { block in
            var start = 0
            while start < block.count {
                let newline = memchr(block.baseAddress! + start, 0x0A, block.count - start)
                let end = newline.map { block.baseAddress!.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? block.count
                lineNumber += 1
                let trimmed = end > start && block[end - 1] == 0x0D ? end - 1 : end
                if try !body(UnsafeBufferPointer(start: block.baseAddress! + start, count: trimmed - start), lineNumber) { return false }
                start = end + 1
            }
            return true
        }
    }
}
