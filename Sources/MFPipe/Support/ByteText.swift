import Foundation

/// A size in bytes as people read it: "950 bytes", "1.2 MB", "23.7 MB", "4.1 GB" (decimal
/// units, three significant digits at most).
public enum ByteText {
    /// `bytes` in the largest decimal unit that keeps the number at least 1.
    public static func format(_ bytes: Int) -> String {
        guard bytes >= 1000 else { return CountText.of(bytes, "byte") }
        var value = Double(bytes)
        var unit = 0
        let units = ["kB", "MB", "GB", "TB", "PB"]
        repeat {
            value /= 1000
            unit += 1
        } while value >= 999.95 && unit < units.count
        return (value < 99.95 ? PrintfText.double("%.1f", value) : PrintfText.double("%.0f", value)) + " " + units[unit - 1]
    }
}
