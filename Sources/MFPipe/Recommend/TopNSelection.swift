/// The N largest keys offered, with their columns: a min-heap of N entries whose root is
/// the key to beat. Offers come in column order and only a strictly larger key displaces
/// the root, so among equal keys the lower column wins; `drain` hands the entries out best
/// first (equal keys in column order) and empties the selection for the next row.
struct TopNSelection {
    private var keys: [Float]
    private var columns: [Int32]
    private var size = 0
    /// The key an offer must exceed: −∞ until N keys are held, then the smallest of them.
    private(set) var threshold = -Float.infinity

    /// An empty selection of `count` entries.
    init(count: Int) {
        keys = [Float](repeating: 0, count: count)
        columns = [Int32](repeating: 0, count: count)
    }

    /// Whether entry `a` ranks below entry `b`: a smaller key, or an equal key of a
    /// higher column.
    @inline(__always)
    private func below(_ a: Int, _ b: Int) -> Bool {
        keys[a] < keys[b] || (keys[a] == keys[b] && columns[a] > columns[b])
    }

    /// Adds `key` for `column`; call only when `key > threshold`.
    @inline(__always)
    mutating func offer(_ key: Float, column: Int32) {
        let capacity = keys.count
        guard capacity > 0 else { return }
        if size < capacity {
            keys[size] = key
            columns[size] = column
            var child = size
            size += 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard below(child, parent) else { break }
                keys.swapAt(child, parent)
                columns.swapAt(child, parent)
                child = parent
            }
        } else {
            keys[0] = key
            columns[0] = column
            siftDown(from: 0, size: size)
        }
        if size == capacity { threshold = keys[0] }
    }

    private mutating func siftDown(from start: Int, size: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < size else { return }
            var smallest = left
            if left + 1 < size && below(left + 1, left) { smallest = left + 1 }
            guard below(smallest, parent) else { return }
            keys.swapAt(smallest, parent)
            columns.swapAt(smallest, parent)
            parent = smallest
        }
    }

    /// Calls `body(rank, column, key)` for every entry held, best first, and empties the
    /// selection.
    mutating func drain(_ body: (Int, Int32, Float) -> Void) {
        var remaining = size
        while remaining > 0 {
            keys.swapAt(0, remaining - 1)
            columns.swapAt(0, remaining - 1)
            remaining -= 1
            siftDown(from: 0, size: remaining)
        }
        for rank in 0..<size { body(rank, columns[rank], keys[rank]) }
        size = 0
        threshold = -.infinity
    }
}
