/// A timestamp field as seconds since 1970-01-01 00:00:00 UTC, whichever way rating files
/// write it: Unix time as an integer (MovieLens) or a decimal (its fraction dropped), or an
/// ISO 8601 date or date and time (Netflix, Amazon and most database exports):
/// `2005-09-06`, `2005-09-06T14:03:00`, `2005-09-06 14:03:00.250`, with `Z` or an offset such
/// as `+02:00` — without one, UTC. Only the order of timestamps matters to mfpipe (temporal
/// splits); entries within the same second keep their file order.
enum TimestampParsing {
    /// The seconds `field` stands for, or nil when it is none of the forms above.
    static func seconds(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        var (start, end) = (0, field.count)
        while start < end, field[start] == 0x20 || field[start] == 0x09 { start += 1 }
        while end > start, field[end - 1] == 0x20 || field[end - 1] == 0x09 { end -= 1 }
        let text = UnsafeBufferPointer(rebasing: field[start..<end])
        if let integer = NumberParsing.int64(text) { return integer }
        if let number = NumberParsing.double(text), number.isFinite, abs(number) < 9.2e18 { return Int64(number.rounded(.down)) }
        return isoSeconds(text)
    }

    /// An ISO 8601 date, or date and time with an optional zone, as seconds (nil otherwise).
    private static func isoSeconds(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var position = 0
        func digits(_ count: Int) -> Int? {
            guard position + count <= text.count else { return nil }
            var value = 0
            for offset in 0..<count {
                let digit = Int(text[position + offset]) - 0x30
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            position += count
            return value
        }
        func skip(_ byte: UInt8) -> Bool {
            guard position < text.count, text[position] == byte else { return false }
            position += 1
            return true
        }
        guard let year = digits(4), skip(UInt8(ascii: "-")), let month = digits(2), skip(UInt8(ascii: "-")), let day = digits(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var seconds = Int64(daysSinceEpoch(year: year, month: month, day: day)) * 86_400
        guard position < text.count else { return seconds }
        guard skip(UInt8(ascii: "T")) || skip(UInt8(ascii: " ")), let hour = digits(2), hour < 24, skip(UInt8(ascii: ":")),
              let minute = digits(2), minute < 60 else { return nil }
        var second = 0
        if skip(UInt8(ascii: ":")) {
            guard let whole = digits(2), whole <= 60 else { return nil }
            second = whole
            if skip(UInt8(ascii: ".")) || skip(UInt8(ascii: ",")) {
                let fractionStart = position
                while position < text.count, (0x30...0x39).contains(text[position]) { position += 1 }
                guard position > fractionStart else { return nil }
            }
        }
        seconds += Int64(hour * 3600 + minute * 60 + second)
        guard position < text.count else { return seconds }
        if skip(UInt8(ascii: "Z")) { return position == text.count ? seconds : nil }
        let sign: Int64 = skip(UInt8(ascii: "+")) ? 1 : skip(UInt8(ascii: "-")) ? -1 : 0
        guard sign != 0, let offsetHours = digits(2), offsetHours < 24 else { return nil }
        _ = skip(UInt8(ascii: ":"))
        let offsetMinutes = position < text.count ? digits(2) : 0
        guard let offsetMinutes, offsetMinutes < 60, position == text.count else { return nil }
        return seconds - sign * Int64(offsetHours * 3600 + offsetMinutes * 60)
    }

    private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int, year: Int) -> Int {
        month == 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].contains(month) ? 30 : 31
    }

    /// Days from 1970-01-01 to the date in the proleptic Gregorian calendar (Hinnant's
    /// days-from-civil).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
