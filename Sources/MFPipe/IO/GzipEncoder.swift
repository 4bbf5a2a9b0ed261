import CZlib
import Foundation

/// Compresses a stream of bytes into one gzip member with zlib's `deflate` (level 6), for
/// text outputs whose name ends in `.gz`.
final class GzipEncoder {
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 18)

    /// Starts a gzip member.
    init() throws {
        guard mf_deflate_init_gzip(&stream, 6) == Z_OK else { throw GzipEncoderError() }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `bytes` (all of the input, and the trailer too when `finish`), handing
    /// each piece of compressed output to `sink`.
    func compress(_ bytes: UnsafeRawBufferPointer, finish: Bool, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        let capacity = output.count
        while true {
            let status = try output.withUnsafeMutableBytes { buffer -> Int32 in
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(capacity)
                let status = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else { throw GzipEncoderError() }
                try sink(UnsafeRawBufferPointer(rebasing: buffer[..<(capacity - Int(stream.avail_out))]))
                return status
            }
            if finish ? status == Z_STREAM_END : (stream.avail_in == 0 && stream.avail_out > 0) { return }
        }
    }
}

/// zlib refused to compress (it only does when memory runs out).
struct GzipEncoderError: MFPipeError {
    var exitCode: Int32 { 1 }
    var description: String { "zlib: cannot compress (out of memory)" }
}
