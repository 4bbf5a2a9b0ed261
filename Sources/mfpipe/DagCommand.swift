import Foundation
import MFPipe

/// `mfpipe dag`: prints the expanded DAG.
enum DagCommand: Command {
    static let name = "dag"
    static let summary = "print the expanded DAG (text, dot or mermaid)"
    static let help = """
        usage: mfpipe dag FILE.json [options]

        Prints the DAG with sweeps expanded into one node per rank.

        options:
        \(PipelineOptions.help(threads: PipelineOptions.threadsAccepted))
          --format FORMAT          text (default), dot or mermaid
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: ["--set", "--threads", "--format"], flagNames: [])
        let formatName = arguments.value("--format") ?? "text"
        guard let format = DAGRenderer.Format(rawValue: formatName) else {
            throw UsageError("dag: --format \(formatName): expected text, dot or mermaid")
        }
        let pipeline = try PipelineOptions.load(arguments, command: name)
        printOut(DAGRenderer.render(PipelineDAG(pipeline), format: format))
        return 0
    }
}
