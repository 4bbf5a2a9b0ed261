import Foundation

/// A buffered writer of text to a file, formatting numbers without making strings, for
/// writing millions of lines quickly; gzip-compressed when the name ends in `.gz`. The file
/// is written under a temporary name and renamed into place by `finish()`, so an
/// interrupted write leaves nothing behind.
public final class TextOutput {
    private let destination: URL
    private let temporary: URL
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity = 4 << 20
    private let encoder: GzipEncoder?

    /// Opens a temporary file beside `destination`, creating its folder if needed.
    public init(_ destination: URL) throws {
        try FileSystem.createDirectory(destination.deletingLastPathComponent())
        self.destination = destination
        temporary = AtomicFile.temporaryPath(beside: destination)
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WorkdirError.io("create", destination.path, errno: errno) }
        buffer.reserveCapacity(capacity + 256)
        encoder = destination.pathExtension == "gz" ? try GzipEncoder() : nil
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary.path)
        }
    }

    /// Appends a string's UTF-8 bytes.
    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= capacity { try flush() }
    }

    /// Appends one byte.
    @inline(__always)
    public func write(byte: UInt8) {
        buffer.append(byte)
    }

    /// Appends a non-negative or negative integer in decimal.
    @inline(__always)
    public func write(integer value: Int64) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { digits in
            repeat {
                digits[count] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(digits[index]) }
        }
    }

    /// Appends a float in its shortest form that reads back to the same value
    /// (integers without a fraction).
    @inline(__always)
    public func write(float value: Float) {
        if value == value.rounded(), abs(value) < 1e9 {
            write(integer: Int64(value))
        } else {
            buffer.append(contentsOf: value.description.utf8)
        }
    }

    /// Ends a line, flushing when the buffer is full.
    @inline(__always)
    public func endLine() throws {
        buffer.append(0x0A)
        if buffer.count >= capacity { try flush() }
    }

    private func flush(finishing: Bool = false) throws {
        try buffer.withUnsafeBytes { bytes in
            if let encoder {
                try encoder.compress(bytes, finish: finishing) { try writeAll($0) }
            } else {
                try writeAll(bytes)
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw WorkdirError.io("write", destination.path, errno: errno)
            }
            offset += written
        }
    }

    /// Flushes, closes and renames the file into place.
    public func finish() throws {
        try flush(finishing: true)
        close(descriptor)
        descriptor = -1
        try AtomicFile.commit(temporary, to: destination)
    }
}
