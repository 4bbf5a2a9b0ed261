import Foundation
import MFPipe

/// `mfpipe run`: runs a pipeline, resuming from what is complete.
enum RunCommand: Command {
    static let name = "run"
    static let summary = "run the pipeline, resuming from what is complete"
    static let help = """
        usage: mfpipe run FILE.json [options]

        Runs the pipeline's stages as a DAG. Stages whose key (type, params, inputs, input
        files) matches a complete artifact are skipped; the rest run, independent ones in
        parallel. Every run leaves a record under WORKDIR/runs/.

        Long factorizations write in-stage checkpoints (factorize params checkpoint_epochs,
        checkpoint_seconds; always on SIGINT/SIGTERM). After an interruption — kill -9 and
        power loss included — the next run resumes from the last checkpoint and ends with the
        same bits as an uninterrupted run. Results never depend on --threads.

        options:
        \(PipelineOptions.help)
          --force STAGE            rerun STAGE even if cached; repeatable
          --force-all              rerun every stage
          --dry-run                print what would run and why, run nothing
          --quiet                  print only warnings and errors
          --log-format FORMAT      plain (default) or json (one event per line)

        exit codes: 0 success, 1 a stage failed, 2 bad usage, pipeline file or input data,
        130/143 interrupted by SIGINT/SIGTERM.

        environment: MFPIPE_ISA=avx512|avx2|sse2|scalar forces the kernels' instruction set
        (default: the best the CPU has; results depend on it).
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, command: name, optionNames: ["--set", "--threads", "--force", "--log-format"],
            flagNames: ["--force-all", "--dry-run", "--quiet"])
        let formatName = arguments.value("--log-format") ?? "plain"
        guard let format = EventLog.Format(rawValue: formatName), format != .quiet else {
            throw UsageError("run: --log-format \(formatName): expected plain or json")
        }
        let pipeline = try PipelineOptions.load(arguments, command: name)
        let log = EventLog(format: arguments.has("--quiet") ? .quiet : format)
        var options = Engine.Options()
        options.force = Set(arguments.values("--force"))
        options.forceAll = arguments.has("--force-all")
        options.dryRun = arguments.has("--dry-run")
        let cancellation = Cancellation()
        let watcher = SignalWatcher(cancellation: cancellation)
        defer { watcher.stop() }
        try Engine(pipeline: pipeline, log: log, cancellation: cancellation).run(options)
        return 0
    }
}
