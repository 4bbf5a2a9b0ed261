import Foundation

/// Standard output and standard error, written with `write(2)`: a stream that is closed
/// (`mfpipe run … | head -2`) or full makes the write fail quietly instead of killing the
/// run (SIGPIPE is ignored; Foundation's `FileHandle.write` would trap), so logging
/// degrades while the work and its exit code stay right.
public enum StandardStream: Int32, Sendable {
    case output = 1
    case error = 2

    /// Ignores SIGPIPE for the whole process, so a write to a closed pipe fails with EPIPE.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Writes `text`, retrying interrupted and partial writes; gives up silently on any
    /// other failure.
    public func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(rawValue, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
        bytes.removeAll()
    }

    /// `text` with every control character but the final newline shown as an escape
    /// (`\r`, `\t`, `\x1b`), so that a message quoting a file's bytes can never move the
    /// cursor, recolour or clear the user's terminal.
    public static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09: result += "\\t"
            case 0x0D: result += "\\r"
            case 0x0A: result += "\\n"
            case 0..<0x20, 0x7F, 0x80..<0xA0: result += String(format: "\\x%02x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
