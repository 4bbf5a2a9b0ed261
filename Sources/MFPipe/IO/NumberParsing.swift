import Foundation

/// Parses decimal numbers straight from bytes, correctly rounded.
///
/// Short decimals (up to 15 significant digits and a power of ten up to 22, which covers
/// ratings, timestamps and most exported matrices) take an exact fast path: the
/// mantissa and the power of ten are exact doubles, one IEEE division or multiplication
/// rounds once, and the conversion to `Float` is then still correctly rounded (the double
/// has more than 2 x 24 + 2 bits). Everything else goes to `strtod`.
public enum NumberParsing {
    /// 10^exponent for 0 ≤ exponent ≤ 22, each exact in a double; a tuple, not a global
    /// array, so the hot path has no lazy-initialisation check.
    @inline(__always)
    private static func powerOfTen(_ exponent: Int) -> Double {
        let powers: (Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double,
                     Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double) = (
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22)
        return withUnsafeBytes(of: powers) { $0.load(fromByteOffset: exponent * 8, as: Double.self) }
    }

    /// The number in `field`, or nil when it is not a finite decimal number.
    /// Leading and trailing spaces are allowed.
    @inline(__always)
    public static func double(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        var end = field.count
        while index < end && (field[index] == 0x20 || field[index] == 0x09) { index += 1 }
        while end > index && (field[end - 1] == 0x20 || field[end - 1] == 0x09) { end -= 1 }
        guard index < end else { return nil }
        let start = index
        var negative = false
        if field[index] == UInt8(ascii: "-") || field[index] == UInt8(ascii: "+") {
            negative = field[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var significant = 0
        var fractionDigits = 0
        var seenPoint = false
        while index < end {
            let byte = field[index]
            if byte >= 0x30 && byte <= 0x39 {
                digits += 1
                if mantissa != 0 || byte != 0x30 { significant += 1 }
                if significant <= 18 { mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30) }
                if seenPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            index += 1
        }
        guard digits > 0 else { return nil }
        if index == end && significant <= 15 && fractionDigits <= 22 {
            let value = Double(mantissa) / powerOfTen(fractionDigits)
            return negative ? -value : value
        }
        return slowDouble(UnsafeBufferPointer(rebasing: field[start..<end]))
    }

    /// The number in `field` as a correctly rounded `Float`, or nil.
    @inline(__always)
    public static func float(_ field: UnsafeBufferPointer<UInt8>) -> Float? {
        double(field).flatMap(finiteFloat)
    }

    /// `value` rounded to a `Float`, or nil when that overflows.
    @inline(__always)
    private static func finiteFloat(_ value: Double) -> Float? {
        let single = Float(value)
        return single.isFinite ? single : nil
    }

    /// What a value field that `float` refused should hold: "a finite number", or, for a
    /// finite number beyond float32's range, one within it (values are held as 32-bit floats).
    public static func floatExpectation(_ field: UnsafeBufferPointer<UInt8>, decimalComma: Bool = false) -> String {
        guard let value = double(field, decimalComma: decimalComma), !Float(value).isFinite else { return "a finite number" }
        return "a number within ±3.4e38 (values are held as 32-bit floats)"
    }

    /// `double(_:)` of a field whose decimal mark may be a comma ("4,5"), when `decimalComma`.
    public static func double(_ field: UnsafeBufferPointer<UInt8>, decimalComma: Bool) -> Double? {
        guard decimalComma, let comma = field.firstIndex(of: UInt8(ascii: ",")) else { return double(field) }
        var pointed = Array(field)
        pointed[comma] = UInt8(ascii: ".")
        return pointed.withUnsafeBufferPointer { double($0) }
    }

    /// `float(_:)` of a field whose decimal mark may be a comma ("4,5"), when `decimalComma`.
    public static func float(_ field: UnsafeBufferPointer<UInt8>, decimalComma: Bool) -> Float? {
        decimalComma ? double(field, decimalComma: true).flatMap(finiteFloat) : float(field)
    }

    /// An integer in `field` (a decimal with a zero fraction is accepted, e.g. `5.0`), or nil.
    @inline(__always)
    public static func int64(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        guard field.count > 0 else { return nil }
        if field[0] == UInt8(ascii: "-") { negative = true; index = 1 }
        var value: Int64 = 0
        let digitsStart = index
        while index < field.count, field[index] >= 0x30 && field[index] <= 0x39 {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = product + Int64(field[index] - 0x30)
            index += 1
        }
        if index == field.count && index > digitsStart { return negative ? -value : value }
        guard let number = double(field), number.rounded() == number, abs(number) < 9.2e18 else { return nil }
        return Int64(number)
    }

    /// The value of a non-negative integer written with a fraction of zeros (`42.0`, `7.00`),
    /// as pandas writes integer ids from a column that also held a missing value, when its
    /// integer part is canonical; the same id as `42`. Nil otherwise.
    public static func integralDecimalID(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let point = field.firstIndex(of: UInt8(ascii: ".")), point > 0, point < field.count - 1,
              field[(point + 1)...].allSatisfy({ $0 == UInt8(ascii: "0") }) else { return nil }
        return canonicalID(UnsafeBufferPointer(rebasing: field[..<point]))
    }

    /// The value of a canonical non-negative decimal integer (no sign, no leading zero,
    /// at most 18 digits), or nil; used to map numeric ids without making strings.
    @inline(__always)
    public static func canonicalID(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        let count = field.count
        guard count > 0 && count <= 18 else { return nil }
        if field[0] == 0x30 && count > 1 { return nil }
        var value: Int64 = 0
        for index in 0..<count {
            let digit = field[index] &- 0x30
            guard digit <= 9 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }

    private static func slowDouble(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
        guard field.count < 512 else { return nil }
        for byte in field {
            let allowed = (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            guard allowed else { return nil }
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: field.count + 1) { text in
            for index in 0..<field.count { text[index] = CChar(bitPattern: field[index]) }
            text[field.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(text.baseAddress!, &end)
            guard end == text.baseAddress! + field.count, value.isFinite else { return nil }
            return value
        }
    }

    /// The fields, besides an empty one, that mean a missing value: R's `NA`, pandas' and
    /// numpy's NaN as they print it, SQL's NULL, spreadsheets' `#N/A`, and `?`.
    public static let missingMarkers: Set<String> = ["NA", "N/A", "n/a", "NaN", "nan", "-nan", "NULL", "null", "None", "<NA>", "#N/A", "?"]

    /// Whether `bytes` is a field that means a missing value: empty (or blanks), or one of
    /// `missingMarkers` with blanks around it.
    public static func isMissing(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return text.isEmpty || missingMarkers.contains(text)
    }
}
