import Foundation

/// Scratch objects reused across the tasks of a parallel loop: a task borrows one, and
/// gives it back when it ends, so a loop over thousands of tasks allocates (and the kernel
/// zeroes pages for) only as many as run at once.
final class ScratchPool<Item: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Item] = []
    private let make: () -> Item

    /// A pool that makes new items with `make`.
    init(_ make: @escaping () -> Item) {
        self.make = make
    }

    /// Runs `body` with an item no other task holds meanwhile.
    func borrow<T>(_ body: (Item) throws -> T) rethrows -> T {
        lock.lock()
        let item = free.popLast() ?? make()
        lock.unlock()
        defer {
            lock.lock()
            free.append(item)
            lock.unlock()
        }
        return try body(item)
    }
}
