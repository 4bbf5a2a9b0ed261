import CNumberText

/// A number as C's printf writes it, for the text mfpipe prints: the conversions of
/// `String(format:)` without its `CVarArg` arguments, whose first cast of each kind in a
/// process searches every loaded protocol conformance (a few hundred microseconds inside
/// the stage that formats a number first), and with the rest of the line kept out of the
/// format, so that a `%` in a path or an id is printed as it is.
public enum PrintfText {
    /// `value` written by `format`, which holds exactly one `double` conversion ("%.2f",
    /// "%#.4g", "%.1f MB").
    public static func double(_ format: StaticString, _ value: Double) -> String {
        let cFormat = UnsafeRawPointer(format.utf8Start).assumingMemoryBound(to: CChar.self)
        var capacity = 64
        while true {
            let text: String? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
                let length = Int(mfn_format_double(buffer.baseAddress!, capacity, cFormat, value))
                if length >= capacity {
                    capacity = length + 1
                    return nil
                }
                return String(cString: buffer.baseAddress!)
            }
            if let text { return text }
        }
    }
}
