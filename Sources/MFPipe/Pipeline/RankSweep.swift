/// The ranks of a `k` parameter: one integer, a list, or a range `{"from", "to", "step"}`.
public enum RankSweep {
    /// The largest rank mfpipe accepts.
    public static let maximumRank = 4096

    /// What a `k` value may be, for messages and `--help`.
    public static let expectation = "a rank from 1 to \(maximumRank), a list of ranks, or {\"from\", \"to\", \"step\"}"

    /// Why a value names no ranks: where inside it (`[1]`, `.from`, or empty for the value
    /// itself) and what was expected there.
    public struct Invalid: Error, Equatable {
        /// The JSON path below the `k` parameter.
        public let suffix: String
        /// What was expected and found.
        public let message: String
    }

    /// The ranks a valid `k` value names, in the order given, or nil when the value is not one.
    public static func ranks(_ value: JSONValue) -> [Int]? {
        try? parse(value)
    }

    /// The ranks `value` names, in the order given.
    ///
    /// - Throws: `Invalid`, naming the offending element.
    public static func parse(_ value: JSONValue) throws(Invalid) -> [Int] {
        func rank(_ element: JSONValue, at suffix: String) throws(Invalid) -> Int {
            guard let rank = element.intValue, (1...maximumRank).contains(rank) else {
                throw Invalid(suffix: suffix, message: "expected a rank from 1 to \(maximumRank), found \(element.described)")
            }
            return rank
        }
        if value.doubleValue != nil { return [try rank(value, at: "")] }
        if let list = value.arrayValue {
            guard !list.isEmpty else { throw Invalid(suffix: "", message: "expected \(expectation), found an empty array") }
            var ranks: [Int] = []
            for (position, element) in list.enumerated() {
                let next = try rank(element, at: "[\(position)]")
                if let first = ranks.firstIndex(of: next) {
                    throw Invalid(suffix: "[\(position)]", message: "rank \(next) is already listed at [\(first)]; expected each rank once")
                }
                ranks.append(next)
            }
            return ranks
        }
        if let members = value.objectValue {
            if let unknown = members.first(where: { !["from", "to", "step"].contains($0.key) }) {
                throw Invalid(suffix: ".\(unknown.key)", message: "unknown key; expected \"from\", \"to\" and optionally \"step\"")
            }
            guard let fromValue = value["from"], let toValue = value["to"] else {
                throw Invalid(suffix: "", message: "expected both \"from\" and \"to\" (and optionally \"step\")")
            }
            let (from, to) = (try rank(fromValue, at: ".from"), try rank(toValue, at: ".to"))
            guard to >= from else { throw Invalid(suffix: ".to", message: "expected a rank ≥ \"from\" (\(from)), found \(to)") }
            var step = 1
            if let stepValue = value["step"] {
                guard let given = stepValue.intValue, given >= 1 else {
                    throw Invalid(suffix: ".step", message: "expected an integer ≥ 1, found \(stepValue.described)")
                }
                step = given
            }
            return Array(stride(from: from, through: to, by: step))
        }
        throw Invalid(suffix: "", message: "expected \(expectation), found \(value.described)")
    }
}
