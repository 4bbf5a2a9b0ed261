/// The ranks of a `k` parameter: one integer, a list, or a range `{"from", "to", "step"}`.
public enum RankSweep {
    /// The largest rank mfpipe accepts.
    public static let maximumRank = 4096

    /// The ranks a valid `k` value names, in the order given, or nil when the value is not one.
    public static func ranks(_ value: JSONValue) -> [Int]? {
        if let rank = value.intValue {
            return (1...maximumRank).contains(rank) ? [rank] : nil
        }
        if let list = value.arrayValue {
            let ranks = list.compactMap(\.intValue).filter { (1...maximumRank).contains($0) }
            guard !list.isEmpty, ranks.count == list.count, Set(ranks).count == ranks.count else { return nil }
            return ranks
        }
        if let members = value.objectValue {
            guard Set(members.map(\.key)).isSubset(of: ["from", "to", "step"]),
                let from = value["from"]?.intValue, let to = value["to"]?.intValue,
                from >= 1, to >= from, to <= maximumRank
            else { return nil }
            let step = value["step"]?.intValue ?? 1
            guard step >= 1, value["step"] == nil || value["step"]?.intValue != nil else { return nil }
            return Array(stride(from: from, through: to, by: step))
        }
        return nil
    }
}
