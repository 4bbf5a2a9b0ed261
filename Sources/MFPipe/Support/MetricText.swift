import Foundation

/// How a measured value — an RMSE, a mean, a singular value — reads in summaries, logs,
/// reports and `inspect`: four decimals where they show it well (magnitudes from 0.001 to
/// 100,000, and zero), else four significant digits, so that values on any scale keep
/// theirs: 3.162e-08, not 0.0000; 1.312e+06, not 1311669.5859 (C's `%#.4g`).
public enum MetricText {
    /// The value as text ("0.8433", "3.162e-08", "1.660e+06"; "nan" and "inf" as C prints them).
    public static func format(_ value: Double) -> String {
        let magnitude = abs(value)
        let fixed = magnitude == 0 || (magnitude >= 1e-3 && magnitude < 1e5) || !value.isFinite
        return fixed ? PrintfText.double("%.4f", value) : PrintfText.double("%#.4g", value)
    }
}
