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
        \(PipelineOptions.help())
          --force STAGE            rerun STAGE even if cached; repeatable
          --force-all              rerun every stage
          --dry-run                print what would run and why, run nothing
          --keep-going             after a node fails, still run every node that does not depend on it
          --quiet                  print only warnings and errors
          --log-format FORMAT      plain (default) or json (one event per line)

        Under Open MPI (`mpirun -np N mfpipe run FILE.json`) rank 0 runs the pipeline and the
        other ranks train each als and sgd factorization with it, to the same bits as one
        process; the work directory must be on a file system every rank sees. `threads`
        then counts a host's threads: rank 0 uses them all for the stages it runs alone, the
        ranks share them for a factorization they train together.

        exit codes: 0 success, 1 a stage failed, 2 bad usage, pipeline file or input data,
        130/143 interrupted by SIGINT/SIGTERM.

        environment: MFPIPE_ISA=avx512|avx2|sse2|scalar forces the kernels' instruction set
        (default: the best the CPU has; results depend on it).
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, command: name, optionNames: ["--set", "--threads", "--force", "--log-format"],
            flagNames: ["--force-all", "--dry-run", "--quiet", "--keep-going"])
        HDF5Library.initializeInBackground()
        guard MPIWorld.launchedByMPIRun else { return try lead(arguments, world: nil) }
        let world = try MPIWorld.start()
        defer { world.finish() }
        guard world.isLeader else { return follow(arguments, world: world) }
        do {
            let code = try lead(arguments, world: world)
            FollowerCommand.stop(exitCode: code).send(in: world)
            return code
        } catch {
            // Reported while the job is still up: a line a rank writes after MPI_Finalize can be
            // lost when mpirun tears the job down (seen once in CI).
            let code = reportFailure(error)
            FollowerCommand.stop(exitCode: code).send(in: world)
            return code
        }
    }

    /// A rank other than the leader of an `mpirun` job: loads the pipeline as the leader
    /// does and follows its commands, printing nothing (the leader reports every error once).
    private static func follow(_ arguments: Arguments, world: MPIWorld) -> Int32 {
        let cancellation = Cancellation()
        let watcher = SignalWatcher(cancellation: cancellation)
        defer { watcher.stop() }
        guard let pipeline = try? PipelineOptions.load(arguments, command: name) else { return Follower.waitForStop(in: world) }
        return Follower(pipeline: pipeline, world: world, cancellation: cancellation).run()
    }

    /// Runs the pipeline in this process — alone, or as the leader of `world`.
    private static func lead(_ arguments: Arguments, world: MPIWorld?) throws -> Int32 {
        let formatName = arguments.value("--log-format") ?? "plain"
        guard let format = EventLog.Format(rawValue: formatName), format != .quiet else {
            throw UsageError("run: --log-format \(formatName): expected plain or json")
        }
        let log = EventLog(format: arguments.has("--quiet") ? .quiet : format)
        var engine: Engine?
        do {
            let pipeline = try PipelineOptions.load(arguments, command: name)
            var options = Engine.Options()
            options.force = Set(arguments.values("--force"))
            options.forceAll = arguments.has("--force-all")
            options.dryRun = arguments.has("--dry-run")
            options.keepGoing = arguments.has("--keep-going")
            let cancellation = Cancellation()
            let watcher = SignalWatcher(cancellation: cancellation)
            defer { watcher.stop() }
            engine = Engine(pipeline: pipeline, log: log, cancellation: cancellation, world: world)
            let record = try engine!.run(options)
            let ran = record.entries.filter { $0.action == "ran" }.count
            let wouldRun = record.entries.filter { $0.action == "would run" }.count
            let cached = record.entries.count - ran - wouldRun
            let warnings = record.entries.reduce(0) { $0 + $1.warnings.count }
            let outcome = options.dryRun ? "finished \(pipeline.name) (dry run): \(wouldRun) would run, \(cached) cached"
                : "finished \(pipeline.name): \(ran) ran, \(cached) cached"
            log.info("finish", outcome + (warnings > 0 ? "; \(CountText.of(warnings, "warning"))" : ""), fields: [
                "exit_code": .number(0), "ran": .number(Double(ran)), "would_run": .number(Double(wouldRun)),
                "cached": .number(Double(cached)), "warnings": .number(Double(warnings)),
            ])
            return 0
        } catch {
            let code = (error as? MFPipeError)?.exitCode ?? 1
            let message = (error as? MFPipeError)?.description ?? "\(error)"
            log.closeProgress()
            log.failed(message, exitCode: code, node: engine?.failedNode)
            throw error
        }
    }
}
