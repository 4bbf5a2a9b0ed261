import Foundation

/// What a finished `mfpipe` process printed and returned.
public struct CommandResult {
    /// Everything written to standard output.
    public let stdout: String
    /// Everything written to standard error.
    public let stderr: String
    /// The exit code.
    public let exitCode: Int32
}

/// Runs the built `mfpipe` binary, as a user would, and captures its output.
///
/// The binary is `$MFPIPE_BINARY` when set, else the one built beside the running test
/// bundle (the same configuration as the tests), else the release build.
public enum MFPipeBinary {
    /// The package's root folder.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary under test.
    public static var url: URL {
        if let path = ProcessInfo.processInfo.environment["MFPIPE_BINARY"] { return URL(fileURLWithPath: path) }
        let testBundle = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        for folder in [testBundle.deletingLastPathComponent(), testBundle.deletingLastPathComponent().deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent("mfpipe")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return packageRoot.appendingPathComponent(".build/release/mfpipe")
    }

    /// Runs `mfpipe ARGUMENTS` in `directory` and waits for it.
    public static func run(_ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
        try ProcessRunner.run(url, arguments, in: directory)
    }
}

/// Runs a program to completion, capturing standard output and standard error.
public enum ProcessRunner {
    /// Runs `executable ARGUMENTS` in `directory`, feeding it no input.
    public static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stderr = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderr.data = errors.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr.data, as: UTF8.self),
                             exitCode: process.terminationStatus)
    }

    /// Bytes read on another thread; the dispatch group orders the write before the read.
    private final class Collected: @unchecked Sendable {
        var data = Data()
    }
}
