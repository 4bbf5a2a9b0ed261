/// Whether two numbers agree within an absolute or a relative tolerance:
/// |a − b| ≤ max(absolute, relative · max(|a|, |b|)).
///
/// The absolute part covers values near zero, where a relative bound is meaningless;
/// the relative part covers large values, where an absolute bound is too strict. Like
/// swift-numerics' `isApproximatelyEqual`, this is for assertions only and must never back
/// `Equatable`: it is not transitive.
public func isApproximatelyEqual(_ a: Double, _ b: Double, absolute: Double = 1e-12, relative: Double = 1e-6) -> Bool {
    if a == b { return true }
    guard a.isFinite && b.isFinite else { return false }
    return abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))
}
