import CZlib
import Foundation

/// Content digests of files, for stage keys and artifact checksums.
public enum FileDigest {
    /// The SHA-256 of a file's bytes, read in 4 MiB chunks.
    ///
    /// - Throws: `WorkdirError.io` naming the file when it cannot be opened or read.
    public static func sha256(of url: URL) throws -> String {
        var digest = SHA256()
        try forEachChunk(of: url) { digest.update($0) }
        return digest.finalizeHex()
    }

    /// A fast integrity checksum of a file: `crc32:` and zlib's CRC-32 in hex, then `:` and
    /// the size. It detects damage (a torn write, a flipped byte, a truncation), which is
    /// what artifact manifests need; it is not meant to resist deliberate collisions.
    public static func checksum(of url: URL) throws -> String {
        var crc = crc32_z(0, nil, 0)
        var size = 0
        try forEachChunk(of: url) { chunk in
            crc = crc32_z(crc, chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), chunk.count)
            size += chunk.count
        }
        let hex = String(crc, radix: 16)
        return "crc32:" + String(repeating: "0", count: 8 - hex.count) + hex + ":\(size)"
    }

    private static func forEachChunk(of url: URL, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        let file = try ReadOnlyFile(url: url)
        defer { file.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try file.read(into: buffer)
            if count == 0 { break }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}
