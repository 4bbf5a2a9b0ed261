import Foundation

/// An error that mfpipe reports to its user as one line, with the exit code it maps to.
///
/// Each domain (pipeline file, input data, work directory, solver, HDF5) has its own
/// error type; the command-line edge prints `description` and exits with `exitCode`.
public protocol MFPipeError: Error, CustomStringConvertible {
    /// 2 for bad usage, a bad pipeline file or bad input data; 1 for a failure at run time.
    var exitCode: Int32 { get }
}

/// A mistake in a pipeline file, located by its JSON path (`stages[3].params.k`).
public struct PipelineFileError: MFPipeError {
    /// The pipeline file, as the user named it.
    public let file: String
    /// Where in the document: a JSON path, or `line:column` for syntax errors.
    public let location: String
    /// What was found and what was expected.
    public let message: String

    /// Creates an error at `location` of `file`.
    public init(file: String, location: String, message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var exitCode: Int32 { 2 }
    public var description: String {
        location.isEmpty ? "\(file): \(message)" : "\(file): \(location): \(message)"
    }
}

/// Bad input data, located by file and line (and field where it helps).
public struct InputDataError: MFPipeError {
    /// The input file, as the pipeline named it.
    public let file: String
    /// The 1-based line, when the problem has one.
    public let line: Int?
    /// The 1-based field or column, when the problem has one.
    public let field: Int?
    /// What was found and what was expected.
    public let message: String

    /// Creates an error in `file`, optionally at `line` and `field`.
    public init(file: String, line: Int? = nil, field: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var exitCode: Int32 { 2 }
    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let field { place += ":\(field)" }
        return "\(place): \(message)"
    }
}

/// A mistake on the command line.
public struct UsageError: MFPipeError {
    /// What was wrong and what is accepted.
    public let message: String

    /// Creates a usage error.
    public init(_ message: String) {
        self.message = message
    }

    public var exitCode: Int32 { 2 }
    public var description: String { message }
}

/// A failure while a stage ran: a solver that diverged, a file that could not be written.
public struct StageFailure: MFPipeError {
    /// The DAG node that failed.
    public let node: String
    /// What went wrong and, where there is one, the setting to change.
    public let message: String

    /// Creates a failure of `node`.
    public init(node: String, message: String) {
        self.node = node
        self.message = message
    }

    public var exitCode: Int32 { 1 }
    public var description: String { "stage \(node): \(message)" }
}

/// A problem with the work directory or the file system: a held lock, an unwritable path.
public struct WorkdirError: MFPipeError {
    /// What went wrong, naming the path.
    public let message: String
    /// 1 by default; 2 when the cause is the user's (a path that cannot be an output).
    public let exitCode: Int32

    /// Creates a work-directory error.
    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    /// An I/O failure on `path`, with the system's reason.
    public static func io(_ action: String, _ path: String, errno code: Int32) -> WorkdirError {
        WorkdirError("cannot \(action) \(path): \(String(cString: strerror(code)))")
    }

    public var description: String { message }
}
