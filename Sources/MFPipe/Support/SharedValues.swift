import Foundation

/// Values by key, each built once and shared by every caller of that key: the first caller
/// builds it while concurrent callers of the same key wait for the result. A build that
/// throws stores nothing, and the next caller tries again.
final class SharedValues<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var values: [String: Value] = [:]
    private var building: Set<String> = []

    /// An empty store.
    init() {}

    /// The value under `key`, from `build` on first use; `stored` picks it out of what is
    /// stored (nil sends the caller to build it anew, replacing what is there).
    func value<T>(for key: String, stored: (Value) -> T?, build: () throws -> (stored: Value, result: T)) rethrows -> T {
        condition.lock()
        while building.contains(key) { condition.wait() }
        if let value = values[key], let result = stored(value) {
            condition.unlock()
            return result
        }
        building.insert(key)
        condition.unlock()
        defer {
            condition.lock()
            building.remove(key)
            condition.broadcast()
            condition.unlock()
        }
        let built = try build()
        condition.lock()
        values[key] = built.stored
        condition.unlock()
        return built.result
    }

    /// Stores `value` under `key`, replacing what is there.
    func set(_ value: Value, for key: String) {
        condition.lock()
        values[key] = value
        condition.unlock()
    }

    /// Drops every value that `predicate` accepts.
    func removeAll(where predicate: (Value) -> Bool) {
        condition.lock()
        values = values.filter { !predicate($0.value) }
        condition.unlock()
    }
}
