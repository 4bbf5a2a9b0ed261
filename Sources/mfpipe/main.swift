import Foundation
import MFPipe

/// The top-level `--help` text.
let overview = """
    mfpipe \(Version.mfpipe) — a batch pipeline for matrix factorization

    usage: mfpipe COMMAND [arguments]

    commands:
    \(commands.map { "  " + $0.name.padding(toLength: 11, withPad: " ", startingAt: 0) + $0.summary }.joined(separator: "\n"))

    Run `mfpipe COMMAND --help` (or `mfpipe help COMMAND`) for a command's options.
    """

/// Runs the command line and returns the exit code; every error becomes one line on stderr.
func main(_ words: [String]) -> Int32 {
    guard let first = words.first else {
        StandardStream.error.write(overview + "\n")
        return 2
    }
    if first == "help", words.count > 1 {
        return main([words[1], "--help"])
    }
    if first == "--help" || first == "-h" || first == "help" {
        printOut(overview + "\n")
        return 0
    }
    if first == "--version" {
        printOut("mfpipe \(Version.mfpipe)\n")
        return 0
    }
    guard let command = commands.first(where: { $0.name == first }) else {
        StandardStream.error.write("mfpipe: unknown command \"\(StandardStream.printable(first))\"; expected one of \(commands.map { $0.name }.joined(separator: ", "))\n")
        return 2
    }
    let rest = Array(words.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
        printOut(command.help + "\n")
        return 0
    }
    do {
        return try command.run(rest)
    } catch {
        return reportFailure(error)
    }
}

/// Writes `error` to stderr as one `mfpipe: …` line and returns its exit code (that of an
/// `MFPipeError`, else 1). Under `mpirun` every rank meets the same bad input; only rank 0
/// says so.
func reportFailure(_ error: Error) -> Int32 {
    let known = error as? MFPipeError
    if !MPIWorld.launchedAsFollower {
        StandardStream.error.write("mfpipe: \(StandardStream.printable(known?.description ?? "\(error)"))\n")
    }
    return known?.exitCode ?? 1
}

StandardStream.ignoreBrokenPipes()
// A write past the file-size limit (ulimit -f) fails with EFBIG, reported like a full disk,
// instead of killing the run with SIGXFSZ halfway through a file.
signal(SIGXFSZ, SIG_IGN)
exit(main(Array(CommandLine.arguments.dropFirst())))
