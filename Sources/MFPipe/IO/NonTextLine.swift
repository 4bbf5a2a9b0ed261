import Foundation

/// Refuses input that is not UTF-8 text, in the words every text reader uses: a NUL byte
/// means binary data, or text in UTF-16 (what Windows calls "Unicode", and what
/// spreadsheets export under that name), which gets its own message and remedy; an id or
/// name that is not UTF-8 is most often Latin-1.
enum NonTextLine {
    /// What a reader expects where it finds bytes that are not UTF-8, with the usual cause's remedy.
    static let expectedUTF8 = "expected UTF-8 text (a Latin-1 file converts with iconv -f LATIN1 -t UTF-8)"

    /// Throws an `InputDataError` at `file`:`number` when `line` holds a NUL byte;
    /// `expected` names what the reader reads ("delimited text").
    static func check(_ line: UnsafeBufferPointer<UInt8>, file: String, number: Int, expected: String) throws {
        guard memchr(line.baseAddress!, 0, line.count) != nil else { return }
        let message = isUTF16(line)
            ? "UTF-16 text; expected UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)"
            : "binary data (a NUL byte); expected \(expected)"
        throw InputDataError(file: file, line: number, message: message)
    }

    /// Whether `line` starts as UTF-16 does: a byte-order mark (FF FE or FE FF), or ASCII
    /// characters each beside a zero byte.
    private static func isUTF16(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if line.count >= 2 && ((line[0] == 0xFF && line[1] == 0xFE) || (line[0] == 0xFE && line[1] == 0xFF)) { return true }
        let pairs = min(line.count, 16) / 2
        guard pairs >= 2 else { return false }
        for zeroFirst in [false, true] {
            let isWide = (0..<pairs).allSatisfy { pair in
                let (high, low) = zeroFirst ? (line[2 * pair], line[2 * pair + 1]) : (line[2 * pair + 1], line[2 * pair])
                return high == 0 && low != 0 && low < 0x80
            }
            if isWide { return true }
        }
        return false
    }
}
