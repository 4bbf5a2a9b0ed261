import Foundation

/// Content digests of files, for stage keys and artifact checksums.
public enum FileDigest {
    /// The SHA-256 of a file's bytes, read in 4 MiB chunks.
    ///
    /// - Throws: `WorkdirError.io` naming the file when it cannot be opened or read.
    public static func sha256(of url: URL) throws -> String {
        let file = try ReadOnlyFile(url: url)
        defer { file.close() }
        var digest = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try file.read(into: buffer)
            if count == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return digest.finalizeHex()
    }
}
