import Foundation

/// The run's threads, shared by every node running at once so that together they never
/// use more than the pipeline's `threads`.
///
/// The engine holds one thread for each running node; a solver borrows the threads that
/// are idle for one epoch at a time and gives them back, so the last rank of a sweep
/// trains on every core while concurrent ranks share them. Results never depend on how
/// many threads a solver got.
public final class ThreadBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var free: Int

    /// A budget of `total` threads, all free.
    public init(total: Int) {
        free = max(total, 1)
    }

    /// Takes `count` threads for a running node (the engine never over-commits).
    public func take(_ count: Int) {
        lock.lock()
        free -= count
        lock.unlock()
    }

    /// Takes up to `count` idle threads without waiting; returns how many were taken.
    public func borrow(upTo count: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let granted = max(0, min(count, free))
        free -= granted
        return granted
    }

    /// Returns `count` threads taken or borrowed earlier.
    public func giveBack(_ count: Int) {
        lock.lock()
        free += count
        lock.unlock()
    }
}

/// The threads one node may use: its own, plus idle ones of the budget up to `limit`.
public struct ThreadGrant: Sendable {
    /// The most threads the node may use at once.
    public let limit: Int
    /// The shared budget to borrow from, or nil to use `limit` threads outright.
    public let budget: ThreadBudget?

    /// A grant of exactly `threads` threads, sharing nothing.
    public static func fixed(_ threads: Int) -> ThreadGrant { ThreadGrant(limit: max(threads, 1), budget: nil) }

    /// Creates a grant.
    public init(limit: Int, budget: ThreadBudget?) {
        self.limit = max(limit, 1)
        self.budget = budget
    }

    /// Runs `body` with the node's own thread and whatever idle threads it may borrow, then
    /// gives the borrowed ones back.
    public func withThreads<T>(_ body: (Int) throws -> T) rethrows -> T {
        guard let budget else { return try body(limit) }
        let extra = budget.borrow(upTo: limit - 1)
        defer { budget.giveBack(extra) }
        return try body(1 + extra)
    }
}
