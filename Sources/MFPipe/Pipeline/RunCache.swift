import Foundation

/// Values that several nodes of one run share instead of each building its own — the
/// normalized training set and its blocked layout, shared by every rank of a sweep.
///
/// Each value belongs to a stage; the engine releases a stage's values once all of its
/// nodes have finished. The first caller of a key builds the value while later callers of
/// the same key wait for it.
public final class RunCache: @unchecked Sendable {
    private let values = SharedValues<(owner: String, value: Any)>()

    /// An empty cache.
    public init() {}

    /// The value under `key`, built by `build` on first use and kept until `owner`'s nodes are done.
    public func value<T>(for key: String, owner: String, build: () throws -> T) rethrows -> T {
        try values.value(for: key, stored: { $0.value as? T }, build: {
            let value = try build()
            return ((owner, value), value)
        })
    }

    /// Drops every value that `owner` holds.
    public func release(owner: String) {
        values.removeAll { $0.owner == owner }
    }
}
