import Foundation
import MFPipe

/// `mfpipe inspect`: summarises an exported factor file.
enum InspectCommand: Command {
    static let name = "inspect"
    static let summary = "summarise an exported factor file"
    static let help = """
        usage: mfpipe inspect FILE.h5

        Prints the file's format version, provenance, matrix shape, normalization, models
        and sweep table.
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: [], flagNames: [])
        let file = try arguments.single("factor file", command: name)
        printOut(try HDF5FileSummary.describe(URL(fileURLWithPath: file)))
        return 0
    }
}
