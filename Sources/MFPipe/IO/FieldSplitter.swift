/// Splits one line of delimited text into fields, in place: a single-byte delimiter with
/// RFC 4180 quoting, a multi-byte delimiter such as MovieLens' `::`, or runs of white space.
public struct FieldSplitter {
    /// A field's byte range within its line; `quoted` fields exclude their quotes and
    /// may contain doubled quotes (`""`) that `text(of:in:)` undoes.
    public struct Field {
        /// The first byte of the content.
        public var start: Int
        /// One past the last byte of the content.
        public var end: Int
        /// Whether the field was quoted.
        public var quoted: Bool
    }

    /// How fields are separated.
    public enum Delimiter: Equatable {
        /// One byte, with quoting.
        case byte(UInt8)
        /// A multi-byte sequence, without quoting.
        case sequence([UInt8])
        /// Runs of spaces and tabs.
        case whitespace

        /// Parses a `delimiter` parameter value: `"\t"`, `"tab"`, `","`, `"::"`, `" "` or `"whitespace"`.
        public init?(_ text: String) {
            switch text {
            case "tab", "\t": self = .byte(0x09)
            case "whitespace", " ": self = .whitespace
            default:
                let bytes = Array(text.utf8)
                if bytes.isEmpty { return nil }
                self = bytes.count == 1 ? .byte(bytes[0]) : .sequence(bytes)
            }
        }

        /// The delimiter as people write it, for messages.
        public var name: String {
            switch self {
            case .byte(0x09): return "tab"
            case .byte(let byte): return "'\(Character(Unicode.Scalar(byte)))'"
            case .sequence(let bytes): return "'\(String(decoding: bytes, as: UTF8.self))'"
            case .whitespace: return "white space"
            }
        }

        /// Guesses the delimiter of a line: `::`, tab, comma, semicolon, vertical bar, then
        /// white space. Comma never when commas are decimal marks, nor when the line has more
        /// semicolons than commas outside quotes (`1;2;3,5`: semicolons, with a decimal comma
        /// in the value).
        public static func detect(in line: UnsafeBufferPointer<UInt8>, decimalComma: Bool = false) -> Delimiter {
            var hasTab = false
            var commas = 0
            var semicolons = 0
            var hasBar = false
            var quoted = false
            for index in 0..<line.count {
                switch line[index] {
                case UInt8(ascii: "\""): quoted.toggle()
                case UInt8(ascii: ":") where index + 1 < line.count && line[index + 1] == UInt8(ascii: ":"):
                    return .sequence([0x3A, 0x3A])
                case 0x09: hasTab = true
                case UInt8(ascii: ",") where !quoted: commas += 1
                case UInt8(ascii: ";") where !quoted: semicolons += 1
                case UInt8(ascii: "|"): hasBar = true
                default: break
                }
            }
            if hasTab { return .byte(0x09) }
            if commas > 0 && !decimalComma && commas >= semicolons { return .byte(UInt8(ascii: ",")) }
            if semicolons > 0 { return .byte(UInt8(ascii: ";")) }
            if hasBar { return .byte(UInt8(ascii: "|")) }
            return .whitespace
        }
    }

    /// The delimiter in use.
    public let delimiter: Delimiter
    /// The fields of the last line split.
    public private(set) var fields: [Field] = []

    /// Creates a splitter for `delimiter`.
    public init(delimiter: Delimiter) {
        self.delimiter = delimiter
        fields.reserveCapacity(16)
    }

    /// Splits `line`; returns false when a quoted field is not closed properly.
    @inline(__always)
    public mutating func split(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        fields.removeAll(keepingCapacity: true)
        let count = line.count
        switch delimiter {
        case .byte(let separator):
            var index = 0
            while true {
                if index < count && line[index] == UInt8(ascii: "\"") {
                    var cursor = index + 1
                    while true {
                        guard cursor < count else { return false }
                        if line[cursor] == UInt8(ascii: "\"") {
                            if cursor + 1 < count && line[cursor + 1] == UInt8(ascii: "\"") { cursor += 2; continue }
                            break
                        }
                        cursor += 1
                    }
                    fields.append(Field(start: index + 1, end: cursor, quoted: true))
                    index = cursor + 1
                    if index == count { return true }
                    guard line[index] == separator else { return false }
                    index += 1
                    continue
                }
                var cursor = index
                while cursor < count && line[cursor] != separator { cursor += 1 }
                fields.append(Field(start: index, end: cursor, quoted: false))
                if cursor >= count { return true }
                index = cursor + 1
            }
        case .sequence(let separator):
            let first = separator[0]
            var index = 0
            var cursor = 0
            while cursor < count {
                if line[cursor] == first && cursor + separator.count <= count
                    && (1..<separator.count).allSatisfy({ line[cursor + $0] == separator[$0] }) {
                    fields.append(Field(start: index, end: cursor, quoted: false))
                    cursor += separator.count
                    index = cursor
                } else {
                    cursor += 1
                }
            }
            fields.append(Field(start: index, end: count, quoted: false))
            return true
        case .whitespace:
            var index = 0
            while index < count {
                while index < count && (line[index] == 0x20 || line[index] == 0x09) { index += 1 }
                guard index < count else { break }
                let start = index
                while index < count && line[index] != 0x20 && line[index] != 0x09 { index += 1 }
                fields.append(Field(start: start, end: index, quoted: false))
            }
            return true
        }
    }

    /// The bytes of field `index` of `line`.
    @inline(__always)
    public func bytes(of index: Int, in line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let field = fields[index]
        return UnsafeBufferPointer(rebasing: line[field.start..<field.end])
    }

    /// The text of field `index` of `line`, with doubled quotes undone.
    public func text(of index: Int, in line: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: bytes(of: index, in: line), as: UTF8.self)
        return fields[index].quoted ? text.replacingOccurrences(of: "\"\"", with: "\"") : text
    }

    /// Whether field `index` is valid UTF-8 (ASCII, the common case, is checked byte by byte
    /// without decoding).
    public func isValidUTF8(_ index: Int, in line: UnsafeBufferPointer<UInt8>) -> Bool {
        let field = bytes(of: index, in: line)
        if field.allSatisfy({ $0 < 0x80 }) { return true }
        return String(validating: field, as: UTF8.self) != nil
    }

    /// Whether field `index` needs `text(of:in:)` rather than its raw bytes (a quoted field with escapes).
    @inline(__always)
    public func hasEscapes(_ index: Int, in line: UnsafeBufferPointer<UInt8>) -> Bool {
        let field = fields[index]
        guard field.quoted else { return false }
        var cursor = field.start
        while cursor < field.end {
            if line[cursor] == UInt8(ascii: "\"") { return true }
            cursor += 1
        }
        return false
    }
}
