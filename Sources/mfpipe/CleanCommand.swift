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
        \(PipelineOptions.help(threads: PipelineOptions.threadsAccepted))
          --unreferenced           remove only artifacts that the pipeline, as it is now, no longer uses
          --dry-run                list what would be removed and the space it would free; remove nothing
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: ["--set", "--threads"], flagNames: ["--unreferenced", "--dry-run"])
        let pipeline = try PipelineOptions.load(arguments, command: name)
        let log = EventLog(format: .plain)
        let dryRun = arguments.has("--dry-run")
        let lock = dryRun ? nil : try WorkdirLock(workdir: pipeline.workdir, log: log)
        defer { lock?.release() }
        let engine = Engine(pipeline: pipeline, log: log)
        var keep: Set<String>?
        if arguments.has("--unreferenced") {
            keep = Set(try engine.plan().map { engine.store.directory(for: $0.node, key: $0.key).lastPathComponent })
        }
        let folders = dryRun ? engine.store.removable(keeping: keep) : try engine.store.remove(keeping: keep)
        if dryRun {
            for folder in folders { printOut("would remove \(folder.name) (\(ByteText.format(folder.bytes)))\n") }
        }
        let count = CountText.of(folders.count, "artifact")
        let freed = ByteText.format(folders.reduce(0) { $0 + $1.bytes })
        printOut((dryRun ? "would remove \(count), freeing \(freed), from " : "removed \(count), freeing \(freed), from ")
                 + DisplayPath.of(pipeline.workdir) + "\n")
        return 0
    }
}
