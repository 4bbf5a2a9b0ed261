import Foundation

/// Serialises `JSONValue`s: compactly with sorted keys for hashing, or indented for people.
public enum JSONWriter {
    /// The canonical form: no white space, object keys sorted, numbers in shortest form.
    /// Two equal documents always give the same text, so it can be hashed into a stage key.
    public static func canonical(_ value: JSONValue) -> String {
        var output = ""
        write(value, sortKeys: true, indent: nil, level: 0, into: &output)
        return output
    }

    /// An indented form that keeps the keys in their written order.
    public static func pretty(_ value: JSONValue) -> String {
        var output = ""
        write(value, sortKeys: false, indent: "  ", level: 0, into: &output)
        return output
    }

    /// The compact form in written key order (one line, for logs).
    public static func compact(_ value: JSONValue) -> String {
        var output = ""
        write(value, sortKeys: false, indent: nil, level: 0, into: &output)
        return output
    }

    /// A number as JSON writes it: integers without a fraction, others in shortest round-trip form.
    public static func number(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 1e15 {
            return String(Int64(value))
        }
        if !value.isFinite { return "null" }
        return "\(value)"
    }

    /// A string with JSON escapes and quotes.
    public static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    private static func write(_ value: JSONValue, sortKeys: Bool, indent: String?, level: Int, into output: inout String) {
        let newline = indent.map { "\n" + String(repeating: $0, count: level + 1) } ?? ""
        let closing = indent.map { "\n" + String(repeating: $0, count: level) } ?? ""
        let separator = indent == nil ? ":" : ": "
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let number): output += Self.number(number)
        case .string(let text): output += quoted(text)
        case .array(let elements):
            if elements.isEmpty { output += "[]"; return }
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                output += newline
                write(element, sortKeys: sortKeys, indent: indent, level: level + 1, into: &output)
            }
            output += closing + "]"
        case .object(let members):
            if members.isEmpty { output += "{}"; return }
            let ordered = sortKeys ? members.sorted { $0.key < $1.key } : members
            output += "{"
            for (index, member) in ordered.enumerated() {
                if index > 0 { output += "," }
                output += newline + quoted(member.key) + separator
                write(member.value, sortKeys: sortKeys, indent: indent, level: level + 1, into: &output)
            }
            output += closing + "}"
        }
    }
}
