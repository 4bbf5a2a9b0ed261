import Foundation
import MFPipe

/// `mfpipe status`: what each node's artifact looks like now.
enum StatusCommand: Command {
    static let name = "status"
    static let summary = "per node: done, stale, partial, running, damaged or pending, and the last run"
    static let help = """
        usage: mfpipe status FILE.json [options]

        Prints one line per DAG node: done (complete and intact), stale (an artifact exists
        for other params or inputs), partial (an in-stage checkpoint at epoch N of M, for svd
        at round N of M: the next run resumes there), running (pid N) (a
        run is computing it now), damaged, or pending (never run); with what the last run
        did with it and, under a done node, the warnings it gave when it ran; then how the
        last run ended.

        options:
        \(PipelineOptions.help(threads: PipelineOptions.threadsAccepted))
          --json                   print the status as one JSON object
          --check                  print nothing; exit 0 when every node is done, 3 when
                                   some work is pending (stale, partial, running, damaged or pending)
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: ["--set", "--threads"], flagNames: ["--json", "--check"])
        let pipeline = try PipelineOptions.load(arguments, command: name)
        let status = try PipelineStatus(engine: Engine(pipeline: pipeline, log: EventLog(format: .quiet)))
        if arguments.has("--check") { return status.isUpToDate ? 0 : 3 }
        if arguments.has("--json") {
            printOut(JSONWriter.pretty(status.json) + "\n")
        } else {
            printOut(status.lines.joined(separator: "\n") + "\n")
        }
        return 0
    }
}
