import Foundation

/// The warnings one node gave while it ran. The engine keeps them in the node's manifest,
/// so that a run that finds the node cached repeats them, and the run record and the
/// report show them beside the results they are about.
public final class NodeWarnings: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    /// Creates an empty list.
    public init() {}

    /// Adds `message` (without the node id).
    public func append(_ message: String) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    /// The warnings so far, in the order they were given.
    public var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }

    /// The warnings a manifest keeps: none for a manifest without them.
    public static func of(manifest: JSONValue?) -> [String] {
        manifest?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
