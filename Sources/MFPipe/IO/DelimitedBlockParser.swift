import Dispatch
import Foundation

/// The fast path of delimited-text reading: parses whole blocks of plain numeric lines
/// (integer ids without leading zeros, a plain decimal value, a timestamp in whole seconds or
/// as an ISO 8601 date) straight from the bytes, one block half per thread.
///
/// Digits are read eight at a time (SWAR: one 64-bit load finds the first non-digit and
/// converts the digits before it with three multiplications), so the block must be followed
/// by readable slack (`LineScanner.slack`). Any line it does not take whole — a quote
/// anywhere in it, a text id, a comment, a blank or short line, a value that is not a plain
/// decimal — is handed back as `deferred`, with its position among the parsed records, for
/// the general per-line path to read or reject.
enum DelimitedBlockParser {
    /// What one half-block gave. The arrays are sized for the worst case and reused from
    /// block to block; only the first `count` records are valid.
    struct Result {
        /// Row ids by value.
        var rows: [Int64] = []
        /// Column ids by value.
        var cols: [Int64] = []
        /// Values.
        var values: [Float] = []
        /// Timestamps (unused without a timestamp column).
        var timestamps: [Int64] = []
        /// The number of parsed records.
        var count = 0
        /// Lines left to the general path: before record `record`, bytes `start..<end`, line offset `line`.
        var deferred: [(record: Int, start: Int, end: Int, line: Int)] = []
        /// Lines in the half.
        var lines = 0

        /// Empties the result and makes room for `capacity` records, keeping its memory.
        mutating func reset(capacity: Int, timestamps withTimestamps: Bool) {
            if rows.count < capacity {
                rows = [Int64](repeating: 0, count: capacity)
                cols = [Int64](repeating: 0, count: capacity)
                values = [Float](repeating: 0, count: capacity)
            }
            if withTimestamps && timestamps.count < capacity { timestamps = [Int64](repeating: 0, count: capacity) }
            count = 0
            deferred.removeAll(keepingCapacity: true)
            lines = 0
        }
    }

    /// Parses each of `halves` on its own thread into `results` (one slot per half, reused
    /// from block to block so that their memory is not allocated and faulted in again).
    static func parse(_ halves: [UnsafeBufferPointer<UInt8>], delimiter: [UInt8], columns: DelimitedReader.ColumnIndices,
                      into results: ResultSlots) {
        precondition(halves.count <= ResultSlots.count)
        let pointers = halves.map { SendableBuffer(buffer: $0) }
        DispatchQueue.concurrentPerform(iterations: halves.count) { index in
            parse(pointers[index].buffer, delimiter: delimiter, columns: columns, into: &results.slot(index).pointee)
        }
    }

    /// What the fast parser does with a field.
    fileprivate enum FieldRole: UInt8 {
        case skip, row, col, value, timestamp
    }

    /// The roles of every field of a line (a line with more or fewer goes to the general
    /// path, which rejects it). The parse loop is generic over it, so that for the usual
    /// layouts the compiler sees the roles as constants and unrolls the field loop; other
    /// layouts go through the runtime table.
    fileprivate protocol FieldLayout {
        var count: Int { get }
        func role(_ field: Int) -> FieldRole
    }

    /// Any layout, from a table.
    private struct TableLayout: FieldLayout {
        let roles: [FieldRole]
        var count: Int { roles.count }
        func role(_ field: Int) -> FieldRole { roles[field] }
    }

    /// row, column, value: the usual order of rating files.
    private struct RowColValue: FieldLayout {
        var count: Int { 3 }
        @inline(__always) func role(_ field: Int) -> FieldRole { field == 0 ? .row : field == 1 ? .col : .value }
    }

    /// row, column, value, timestamp: MovieLens' order.
    private struct RowColValueTimestamp: FieldLayout {
        var count: Int { 4 }
        @inline(__always) func role(_ field: Int) -> FieldRole { field == 0 ? .row : field == 1 ? .col : field == 2 ? .value : .timestamp }
    }

    /// Parses one run of whole lines into `result`.
    static func parse(_ block: UnsafeBufferPointer<UInt8>, delimiter: [UInt8], columns: DelimitedReader.ColumnIndices,
                      into result: inout Result) {
        let wantsTimestamp = columns.timestamp != nil
        let needed = columns.needed
        result.reset(capacity: block.count / (2 * needed) + 2, timestamps: wantsTimestamp)
        guard delimiter.count <= 2, block.count > 0, memchr(block.baseAddress!, 0, block.count) == nil else {
            deferLines(block, from: 0, into: &result)
            return
        }
        var roles = [FieldRole](repeating: .skip, count: columns.width)
        roles[columns.row] = .row
        roles[columns.col] = .col
        if let value = columns.value { roles[value] = .value }
        if let timestamp = columns.timestamp { roles[timestamp] = .timestamp }
        if roles == [.row, .col, .value] {
            parseLines(block, delimiter: delimiter, layout: RowColValue(), into: &result)
        } else if roles == [.row, .col, .value, .timestamp] {
            parseLines(block, delimiter: delimiter, layout: RowColValueTimestamp(), into: &result)
        } else {
            parseLines(block, delimiter: delimiter, layout: TableLayout(roles: roles), into: &result)
        }
    }

    /// The parse loop proper, for one field layout.
    private static func parseLines<Layout: FieldLayout>(_ block: UnsafeBufferPointer<UInt8>, delimiter: [UInt8], layout: Layout,
                                                        into result: inout Result) {
        let wantsTimestamp = (0..<layout.count).contains { layout.role($0) == .timestamp }
        let absentValue: Float = (0..<layout.count).contains { layout.role($0) == .value } ? 0 : .nan
        let base = block.baseAddress!
        var count = block.count
        while count > 0 && base[count - 1] != 0x0A { count -= 1 }
        let quotes = memchr(base, Int32(UInt8(ascii: "\"")), count) != nil
        let first = delimiter[0]
        let second = delimiter.count == 2 ? delimiter[1] : 0
        let width = delimiter.count
        var position = 0
        var line = 0
        var records = 0
        result.rows.withUnsafeMutableBufferPointer { rowsOut in
        result.cols.withUnsafeMutableBufferPointer { colsOut in
        result.values.withUnsafeMutableBufferPointer { valuesOut in
        result.timestamps.withUnsafeMutableBufferPointer { timestampsOut in
            while position < count {
                let lineStart = position
                var row: Int64 = 0
                var col: Int64 = 0
                var value = absentValue
                var timestamp: Int64 = 0
                var ok = true
                for field in 0..<layout.count {
                    switch layout.role(field) {
                    case .row, .col:
                        let (number, digits) = Self.digits(base + position)
                        if digits == 0 || digits > 18 || (digits > 1 && base[position] == 0x30) { ok = false }
                        position += digits
                        if layout.role(field) == .row { row = number } else { col = number }
                    case .timestamp:
                        let negative = base[position] == UInt8(ascii: "-")
                        if negative { position += 1 }
                        let (number, digits) = Self.digits(base + position)
                        if digits == 0 || digits > 18 { ok = false }
                        position += digits
                        timestamp = negative ? -number : number
                        if digits == 4 && base[position] == UInt8(ascii: "-") {
                            // A year: an ISO 8601 date, perhaps with a time.
                            let whole = Self.wholeTimestamp(base, from: position - 4, delimiter: first)
                            (position, ok, timestamp) = (whole.end, whole.seconds != nil, whole.seconds ?? 0)
                        }
                    case .value:
                        let start = position
                        let lead = base[position] &- 0x30
                        if lead <= 9 && base[position + 1] == UInt8(ascii: ".") && base[position + 2] &- 0x30 <= 9
                            && base[position + 3] &- 0x30 > 9 {
                            // The common short form "d.d": one correctly rounded float division.
                            value = Float(Int(lead) * 10 + Int(base[position + 2] &- 0x30)) / 10
                            position += 3
                            break
                        }
                        let negative = base[position] == UInt8(ascii: "-")
                        if negative { position += 1 }
                        let (whole, wholeDigits) = Self.digits(base + position)
                        position += wholeDigits
                        var mantissa = whole
                        var scale = 0
                        if base[position] == UInt8(ascii: ".") {
                            let (fraction, fractionDigits) = Self.digits(base + position + 1)
                            position += 1 + fractionDigits
                            if fractionDigits <= 7 && wholeDigits <= 8 {
                                mantissa = whole * Self.powerOfTen(fractionDigits) + fraction
                                scale = fractionDigits
                            } else {
                                ok = false
                            }
                        }
                        if wholeDigits == 0 && scale == 0 { ok = false }
                        if wholeDigits > 15 { ok = false }
                        let byte = base[position]
                        if ok && byte != first && byte != 0x0A && byte != 0x0D {
                            while base[position] != first && base[position] != 0x0A && base[position] != 0x0D { position += 1 }
                            if let parsed = NumberParsing.float(UnsafeBufferPointer(start: base + start, count: position - start)) {
                                value = parsed
                                break
                            }
                            ok = false
                            break
                        }
                        let magnitude = Float(Double(mantissa) / Double(Self.powerOfTen(scale)))
                        value = negative ? -magnitude : magnitude
                    case .skip:
                        while base[position] != first && base[position] != 0x0A { position += 1 }
                    }
                    if !ok { break }
                    let byte = base[position]
                    if field + 1 < layout.count {
                        if byte == first && (width == 1 || base[position + 1] == second) {
                            position += width
                        } else {
                            ok = false
                            break
                        }
                    } else if byte != 0x0A && !(byte == 0x0D && base[position + 1] == 0x0A) {
                        ok = false
                    }
                }
                let lineEnd = base[position] == 0x0A ? position
                    : base.distance(to: memchr(base + position, 0x0A, count - position)!.assumingMemoryBound(to: UInt8.self))
                position = lineEnd + 1
                if ok && quotes && memchr(base + lineStart, Int32(UInt8(ascii: "\"")), lineEnd - lineStart) != nil { ok = false }
                if ok {
                    rowsOut[records] = row
                    colsOut[records] = col
                    valuesOut[records] = value
                    if wantsTimestamp { timestampsOut[records] = timestamp }
                    records += 1
                } else {
                    let end = lineEnd > lineStart && base[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
                    result.deferred.append((records, lineStart, end, line))
                }
                line += 1
            }
        }
        }
        }
        }
        result.count = records
        result.lines = line
        if count < block.count { deferLines(block, from: count, into: &result) }
    }

    /// The value of the decimal digits at `pointer` (up to the first non-digit) and their
    /// number, eight digits per step.
    @inline(__always)
    private static func digits(_ pointer: UnsafePointer<UInt8>) -> (Int64, Int) {
        var value: UInt64 = 0
        var length = 0
        while true {
            let chunk = UnsafeRawPointer(pointer + length).loadUnaligned(as: UInt64.self)
            let high = chunk & 0xF0F0_F0F0_F0F0_F0F0
            let nonDigits = (high ^ 0x3030_3030_3030_3030) | (((chunk &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030)
            let run = nonDigits == 0 ? 8 : nonDigits.trailingZeroBitCount / 8
            if run > 0 {
                var digits = (chunk << UInt64((8 - run) * 8)) &- (0x3030_3030_3030_3030 << UInt64((8 - run) * 8))
                digits = (digits &* 10 &+ (digits >> 8)) & 0x00FF_00FF_00FF_00FF
                digits = (digits &* 100 &+ (digits >> 16)) & 0x0000_FFFF_0000_FFFF
                digits = (digits &* 10000 &+ (digits >> 32)) & 0xFFFF_FFFF
                value = value &* UInt64(powerOfTen(run)) &+ digits
                length += run
            }
            if run < 8 || length > 18 { return (Int64(truncatingIfNeeded: value), length) }
        }
    }

    /// 10^exponent for 0 ≤ exponent ≤ 18, by table lookup (a tuple, so no lazily
    /// initialised global sits on the hot path).
    @inline(__always)
    private static func powerOfTen(_ exponent: Int) -> Int64 {
        let powers: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64,
                     Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64) = (
            1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
            10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
            1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000)
        return withUnsafeBytes(of: powers) { $0.load(fromByteOffset: exponent * 8, as: Int64.self) }
    }

    /// A timestamp field from `start` that begins as an ISO 8601 date, read as the general
    /// path reads it (`TimestampParsing`): the byte after it and its seconds, nil when it is
    /// not a date. Out of line, to keep the loop over plain lines small (inlined, it slowed
    /// that loop from 0.22 to 0.40 s on 10 M lines).
    @inline(never)
    private static func wholeTimestamp(_ base: UnsafePointer<UInt8>, from start: Int, delimiter: UInt8) -> (end: Int, seconds: Int64?) {
        var end = start
        while base[end] != delimiter && base[end] != 0x0A && base[end] != 0x0D { end += 1 }
        return (end, TimestampParsing.seconds(UnsafeBufferPointer(start: base + start, count: end - start)))
    }

    /// Hands every line of `block` from byte `start` on to the general path.
    private static func deferLines(_ block: UnsafeBufferPointer<UInt8>, from start: Int, into result: inout Result) {
        var start = start
        while start < block.count {
            var end = start
            while end < block.count && block[end] != 0x0A { end += 1 }
            let trimmed = end > start && block[end - 1] == 0x0D ? end - 1 : end
            result.deferred.append((result.count, start, trimmed, result.lines))
            result.lines += 1
            start = end + 1
        }
    }

    /// A read-only buffer handed to a worker thread; the caller keeps it alive until all return.
    private struct SendableBuffer: @unchecked Sendable {
        let buffer: UnsafeBufferPointer<UInt8>
    }

    /// One result per worker in separately addressed slots: worker `i` touches only slot `i`,
    /// and the caller reads them only after `concurrentPerform` has returned.
    final class ResultSlots: @unchecked Sendable {
        /// The number of slots.
        static let count = 2
        private let slots: UnsafeMutablePointer<Result>

        /// Empty results.
        init() {
            slots = .allocate(capacity: Self.count)
            slots.initialize(repeating: Result(), count: Self.count)
        }

        deinit {
            slots.deinitialize(count: Self.count)
            slots.deallocate()
        }

        /// Slot `index`, for its worker to fill.
        func slot(_ index: Int) -> UnsafeMutablePointer<Result> {
            slots + index
        }
    }
}
