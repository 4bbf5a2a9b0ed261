/// A count with its noun, singular or plural as the count asks, for summaries and
/// messages: "1 row", "2 rows", "1 entry", "3 entries".
public enum CountText {
    /// `count` and `noun`, with an "s" unless the count is 1 (or `plural` when the noun
    /// does not take one).
    public static func of(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }
}
