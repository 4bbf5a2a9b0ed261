import Foundation

/// Values that several nodes of one run share instead of each building its own — the
/// normalized training set and its blocked layout, shared by every rank of a sweep.
///
/// Each value belongs to a stage; the engine releases a stage's values once all of its
/// nodes have finished. The first caller of a key builds the value while later callers of
/// the same key wait for it.
public final class RunCache: @unchecked Sendable {
    private let condition = NSCondition()
    private var values: [String: (owner: String, value: Any)] = [:]
    private var building: Set<String> = []

    /// An empty cache.
    public init() {}

    /// The value under `key`, built by `build` on first use and kept until `owner`'s nodes are done.
    public func value<T>(for key: String, owner: String, build: () throws -> T) rethrows -> T {
        condition.lock()
        while building.contains(key) { condition.wait() }
        if let cached = values[key]?.value as? T {
            condition.unlock()
            return cached
        }
        building.insert(key)
        condition.unlock()
        defer {
            condition.lock()
            building.remove(key)
            condition.broadcast()
            condition.unlock()
        }
        let value = try build()
        condition.lock()
        values[key] = (owner, value)
        condition.unlock()
        return value
    }

    /// Drops every value that `owner` holds.
    public func release(owner: String) {
        condition.lock()
        values = values.filter { $0.value.owner != owner }
        condition.unlock()
    }
}
