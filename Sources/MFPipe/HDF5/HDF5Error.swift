/// A failed HDF5 operation, naming the file and the object.
public struct HDF5Error: MFPipeError {
    /// What was being done, on which file and object.
    public let message: String

    /// Creates an error describing a failed operation.
    public init(_ message: String) {
        self.message = message
    }

    public var exitCode: Int32 { 1 }
    public var description: String { "HDF5: \(message)" }
}
