import Foundation
import MFPipe

/// `mfpipe status`: what each node's artifact looks like now.
enum StatusCommand: Command {
    static let name = "status"
    static let summary = "per stage: done, stale (inputs or params changed), partial (checkpoint at epoch N), damaged or pending"
    static let help = """
        usage: mfpipe status FILE.json [options]

        Prints one line per DAG node: done (complete and intact), stale (an artifact exists
        for other params or inputs), partial (an in-stage checkpoint at epoch N of M: the next
        run resumes there), damaged, or pending (never run).

        options:
        \(PipelineOptions.help)
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: ["--set", "--threads"], flagNames: [])
        let pipeline = try PipelineOptions.load(arguments, command: name)
        let engine = Engine(pipeline: pipeline, log: EventLog(format: .quiet))
        let width = engine.dag.nodes.map(\.id.count).max() ?? 0
        for decision in try engine.plan() {
            let state: String
            let reason = decision.reason ?? ""
            switch decision.state {
            case .cached: state = "done     " + (decision.manifest?["summary"]?.stringValue ?? "")
            case .new: state = "pending"
            case .damaged: state = "damaged  " + reason
            case .partial(let epoch, let epochs): state = "partial  (checkpoint at epoch \(epoch) of \(epochs))"
            case .changed, .forced: state = "stale    " + reason
            }
            printOut(decision.node.id.padding(toLength: width + 2, withPad: " ", startingAt: 0) + state + "\n")
        }
        return 0
    }
}
