import Foundation
import MFPipe

/// `mfpipe clean`: removes cached artifacts from the work directory.
enum CleanCommand: Command {
    static let name = "clean"
    static let summary = "remove the work directory's artifacts (all, or those no longer referenced)"
    static let help = """
        usage: mfpipe clean FILE.json [options]

        Removes cached stage artifacts. Exported files and reports outside the work
        directory are left alone.

        options:
        \(PipelineOptions.help)
          --unreferenced           remove only artifacts that the pipeline, as it is now, no longer uses
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: ["--set", "--threads"], flagNames: ["--unreferenced"])
        let pipeline = try PipelineOptions.load(arguments, command: name)
        let log = EventLog(format: .plain)
        let lock = try WorkdirLock(workdir: pipeline.workdir, log: log)
        defer { lock.release() }
        let engine = Engine(pipeline: pipeline, log: log)
        var keep: Set<String>?
        if arguments.has("--unreferenced") {
            keep = Set(try engine.plan().map { engine.store.directory(for: $0.node, key: $0.key).lastPathComponent })
        }
        let removed = try engine.store.remove(keeping: keep)
        printOut("removed \(removed.count) artifact\(removed.count == 1 ? "" : "s") from \(DisplayPath.of(pipeline.workdir))\n")
        return 0
    }
}
