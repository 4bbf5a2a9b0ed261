import Foundation
import MFPipe

/// One `mfpipe` subcommand: its usage text and its body.
protocol Command {
    /// The subcommand's name.
    static var name: String { get }
    /// One line for `mfpipe --help`.
    static var summary: String { get }
    /// The full `--help` text.
    static var help: String { get }
    /// Runs the command with the words after its name; returns the exit code.
    static func run(_ words: [String]) throws -> Int32
}

/// Every subcommand, in `--help` order.
let commands: [any Command.Type] = [
    RunCommand.self, ValidateCommand.self, StatusCommand.self, DagCommand.self,
    CleanCommand.self, InspectCommand.self, PredictCommand.self, RecommendCommand.self, SynthCommand.self,
]

/// Options shared by the commands that read a pipeline file.
enum PipelineOptions {
    /// Help lines for the shared options, with what `--threads` means to the command (run
    /// uses the threads; the others accept the option, so that a run's options can follow them).
    static func help(threads: String = "threads to use (default: the file's `threads`, else all cores)") -> String {
        """
          --set STAGE.PARAM=VALUE  override a stage parameter (VALUE is JSON, or a string); repeatable
          --threads N              \(threads)
        """
    }

    /// What `--threads` means to a command that only reads the pipeline.
    static let threadsAccepted = "accepted as run takes it (nothing this command does depends on it)"

    /// Loads the pipeline named by the single positional argument, with `--set` and `--threads`.
    static func load(_ arguments: Arguments, command: String) throws -> Pipeline {
        let file = try arguments.single("pipeline file", command: command)
        let overrides = try arguments.values("--set").map(PipelineLoader.Override.init(parsing:))
        let threads = try arguments.integer("--threads", command: command, atLeast: 1)
        return try PipelineLoader.load(URL(fileURLWithPath: file), overrides: overrides, threads: threads)
    }
}

/// Writes text to standard output.
func printOut(_ text: String) {
    StandardStream.output.write(text)
}
