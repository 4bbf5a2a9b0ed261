import Foundation

/// A file opened for reading with `read(2)`: failures surface as `WorkdirError`s naming the path.
public final class ReadOnlyFile {
    /// The file's path, as given.
    public let path: String
    private var descriptor: Int32
    /// Bytes read so far.
    public private(set) var position = 0

    /// Opens `url` for reading.
    public init(url: URL) throws {
        path = url.path
        descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            throw WorkdirError.io("open", url.path, errno: errno)
        }
    }

    /// Reads up to `buffer.count` bytes; returns 0 at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 {
                position += count
                return count
            }
            if errno != EINTR { throw WorkdirError.io("read", path, errno: errno) }
        }
    }

    /// Fills as much of `buffer` as the file has left; returns the count read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while total < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Closes the file; later calls do nothing.
    public func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    deinit { close() }
}
