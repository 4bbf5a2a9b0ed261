import Foundation

/// Runs Python snippets in the project's virtual environment (`.venv`, made by `make test`
/// with h5py and numpy), for tests that read mfpipe's files the way users' tools do.
public enum Python {
    /// The environment's interpreter.
    public static var interpreter: URL {
        MFPipeBinary.packageRoot.appendingPathComponent(".venv/bin/python")
    }

    /// Runs `script` with `arguments` in `sys.argv[1:]`; returns what it printed.
    public static func run(_ script: String, arguments: [String] = []) throws -> CommandResult {
        guard FileManager.default.isExecutableFile(atPath: interpreter.path) else {
            throw PythonMissing(path: interpreter.path)
        }
        return try ProcessRunner.run(interpreter, ["-c", script] + arguments)
    }

    /// `.venv` is missing: run `make test` (or `make venv`) to create it.
    public struct PythonMissing: Error, CustomStringConvertible {
        /// The interpreter that was looked for.
        public let path: String
        public var description: String { "no Python at \(path); run `make venv` (make test does) to create it" }
    }
}
