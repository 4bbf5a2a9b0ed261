import Foundation
import MFPipe

/// `mfpipe validate`: checks a pipeline file without running anything.
enum ValidateCommand: Command {
    static let name = "validate"
    static let summary = "check the pipeline file's schema, types, references and cycles; nothing runs"
    static let help = """
        usage: mfpipe validate FILE.json [options]

        Checks the file and prints a one-line summary, or the first problem with its JSON
        path and exit code 2.

        options:
        \(PipelineOptions.help(threads: "the threads a run would use, as --print shows them"))
          --print                  print the resolved pipeline as JSON: defaults filled in, and under
                                   "nodes" the DAG with sweeps expanded (one node per rank)
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: ["--set", "--threads"], flagNames: ["--print"])
        let pipeline = try PipelineOptions.load(arguments, command: name)
        if arguments.has("--print") {
            printOut(JSONWriter.pretty(pipeline.resolvedJSON.setting("nodes", to: PipelineDAG(pipeline).resolvedJSON)) + "\n")
        } else {
            let nodes = PipelineDAG(pipeline).nodes.count
            printOut("\(DisplayPath.of(pipeline.file)): valid (\(CountText.of(pipeline.stages.count, "stage")), \(CountText.of(nodes, "node")))\n")
        }
        return 0
    }
}
