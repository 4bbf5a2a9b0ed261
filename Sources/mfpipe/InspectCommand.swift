import Foundation
import MFPipe

/// `mfpipe inspect`: summarises an exported factor file or a stage artifact.
enum InspectCommand: Command {
    static let name = "inspect"
    static let summary = "summarise an exported factor file or a stage artifact"
    static let help = """
        usage: mfpipe inspect FILE.h5
               mfpipe inspect WORKDIR/artifacts/NODE-KEY

        For an exported factor file: its format version, provenance, matrix shape,
        normalization, models and sweep table. For a stage artifact folder: the node, when
        it ran and for how long, its summary and warnings, and its HDF5 file's groups,
        datasets and attributes (as for any other HDF5 file mfpipe wrote).
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: [], flagNames: [])
        let url = URL(fileURLWithPath: try arguments.single("factor file", command: name))
        printOut(try FileSystem.kind(of: url) == .directory ? ArtifactSummary.describe(url) : HDF5FileSummary.describe(url))
        return 0
    }
}
