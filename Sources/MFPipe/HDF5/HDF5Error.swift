import CHDF5

/// A failed HDF5 operation, naming the file and the object.
public struct HDF5Error: MFPipeError {
    /// What was being done, on which file and object.
    public let message: String

    /// Creates an error describing a failed operation.
    public init(_ message: String) {
        self.message = message
    }

    /// The error for an HDF5 call that just failed: `action`, and the operating system's
    /// reason when a system call failed under it ("No space left on device").
    static func failed(_ action: String) -> HDF5Error {
        guard let reason = systemReason() else { return HDF5Error(action) }
        return HDF5Error("\(action): \(reason)")
    }

    /// The operating system's reason for the failure on HDF5's error stack, if any.
    static func systemReason() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard mf_h5_system_reason(&buffer, buffer.count) != 0 else { return nil }
        return String(cString: buffer)
    }

    public var exitCode: Int32 { 1 }
    public var description: String { "HDF5: \(message)" }
}
