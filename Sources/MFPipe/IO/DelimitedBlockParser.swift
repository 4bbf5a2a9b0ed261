import Dispatch
import Foundation

/// The fast path of delimited-text reading: parses whole blocks of plain numeric lines
/// (integer ids without leading zeros, a decimal value, an integer timestamp) straight
/// from the bytes, one block half per thread.
///
/// Any line it does not take whole — a quote anywhere in it, a text id, a comment, a blank or short line,
/// a value that is not a plain finite decimal — is handed back as `deferred`, with its
/// position among the parsed records, for the general per-line path to read or reject.
enum DelimitedBlockParser {
    /// What one half-block gave.
    struct Result {
        /// Row ids by value, one per parsed record.
        var rows: [Int64] = []
        /// Column ids by value.
        var cols: [Int64] = []
        /// Values.
        var values: [Float] = []
        /// Timestamps (empty without a timestamp column).
        var timestamps: [Int64] = []
        /// Lines left to the general path: before record `record`, bytes `start..<end`, line offset `line`.
        var deferred: [(record: Int, start: Int, end: Int, line: Int)] = []
        /// Lines in the half.
        var lines = 0

        /// Empties the result, keeping its memory.
        mutating func clear() {
            rows.removeAll(keepingCapacity: true)
            cols.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            timestamps.removeAll(keepingCapacity: true)
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
            let slot = results.slot(index)
            slot.pointee.clear()
            parse(pointers[index].buffer, delimiter: delimiter, columns: columns, into: &slot.pointee)
        }
    }

    /// What the fast parser does with a field.
    private enum FieldRole {
        case skip, row, col, value, timestamp
    }

    /// Parses one run of whole lines into an empty `result`.
    static func parse(_ block: UnsafeBufferPointer<UInt8>, delimiter: [UInt8], columns: DelimitedReader.ColumnIndices,
                      into result: inout Result) {
        guard delimiter.count <= 2, memchr(block.baseAddress!, 0, block.count) == nil else {
            deferAll(block, into: &result)
            return
        }
        let wantsTimestamp = columns.timestamp != nil
        var roles = [FieldRole](repeating: .skip, count: columns.needed)
        roles[columns.row] = .row
        roles[columns.col] = .col
        roles[columns.value] = .value
        if let timestamp = columns.timestamp { roles[timestamp] = .timestamp }
        let base = block.baseAddress!
        let count = block.count
        let quotes = memchr(base, Int32(UInt8(ascii: "\"")), count) != nil
        let first = delimiter[0]
        let second = delimiter.count == 2 ? delimiter[1] : 0
        let width = delimiter.count
        var position = 0
        var line = 0
        roles.withUnsafeBufferPointer { roles in
            while position < count {
                let lineStart = position
                var row: Int64 = 0
                var col: Int64 = 0
                var value: Float = 0
                var timestamp: Int64 = 0
                var ok = true
                var field = 0
                fields: while field < roles.count {
                    let fieldStart = position
                    switch roles[field] {
                    case .row, .col, .timestamp:
                        var number: Int64 = 0
                        var negative = false
                        if roles[field] == .timestamp && position < count && base[position] == UInt8(ascii: "-") {
                            negative = true
                            position += 1
                        }
                        let digitsStart = position
                        while position < count {
                            let digit = base[position] &- 0x30
                            if digit > 9 { break }
                            number = number &* 10 &+ Int64(digit)
                            position += 1
                        }
                        let digits = position - digitsStart
                        if digits == 0 || digits > 18 || (roles[field] != .timestamp && (negative || (digits > 1 && base[digitsStart] == 0x30))) {
                            ok = false
                            break fields
                        }
                        switch roles[field] {
                        case .row: row = number
                        case .col: col = number
                        default: timestamp = negative ? -number : number
                        }
                    case .value:
                        while position < count && base[position] != first && base[position] != 0x0A && base[position] != 0x0D { position += 1 }
                        guard let number = NumberParsing.float(UnsafeBufferPointer(start: base + fieldStart, count: position - fieldStart)) else {
                            ok = false
                            break fields
                        }
                        value = number
                    case .skip:
                        while position < count && base[position] != first && base[position] != 0x0A { position += 1 }
                    }
                    field += 1
                    guard position < count else { break }
                    let byte = base[position]
                    if byte == first && (width == 1 || (position + 1 < count && base[position + 1] == second)) {
                        if field == roles.count { break }
                        position += width
                    } else if byte == 0x0A || (byte == 0x0D && (position + 1 == count || base[position + 1] == 0x0A)) {
                        break
                    } else {
                        ok = false
                        break
                    }
                }
                var lineEnd = position
                if let newline = memchr(base + position, 0x0A, count - position) {
                    lineEnd = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                } else {
                    lineEnd = count
                }
                position = lineEnd + 1
                if ok && field < roles.count { ok = false }
                if ok && quotes && memchr(base + lineStart, Int32(UInt8(ascii: "\"")), lineEnd - lineStart) != nil { ok = false }
                if ok {
                    result.rows.append(row)
                    result.cols.append(col)
                    result.values.append(value)
                    if wantsTimestamp { result.timestamps.append(timestamp) }
                } else {
                    let end = lineEnd > lineStart && base[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
                    result.deferred.append((result.values.count, lineStart, end, line))
                }
                line += 1
            }
        }
        result.lines = line
    }

    /// Hands every line of `block` to the general path.
    private static func deferAll(_ block: UnsafeBufferPointer<UInt8>, into result: inout Result) {
        var start = 0
        while start < block.count {
            var end = start
            while end < block.count && block[end] != 0x0A { end += 1 }
            let trimmed = end > start && block[end - 1] == 0x0D ? end - 1 : end
            result.deferred.append((0, start, trimmed, result.lines))
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

        /// The first `count` results.
        func results(_ count: Int) -> [Result] {
            (0..<count).map { slots[$0] }
        }
    }
}
