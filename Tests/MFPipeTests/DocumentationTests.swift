import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The docs name what the code accepts: every stage parameter in docs/pipeline-file.md,
/// every command in the README and in `mfpipe --help`.
final class DocumentationTests: XCTestCase {
    private func read(_ relative: String) throws -> String {
        try String(contentsOf: MFPipeBinary.packageRoot.appendingPathComponent(relative), encoding: .utf8)
    }

    func testEveryStageParameterIsDocumented() throws {
        let reference = try read("docs/pipeline-file.md")
        for type in StageRegistry.all {
            XCTAssertTrue(reference.contains("### \(type.typeName)\n"), "docs/pipeline-file.md lacks a section for \(type.typeName)")
            for spec in type.params {
                XCTAssertTrue(reference.contains("| `\(spec.name)` |"), "docs/pipeline-file.md does not document \(type.typeName).\(spec.name)")
                if case .object(let nested) = spec.kind {
                    for inner in nested { XCTAssertTrue(reference.contains("\"\(inner.name)\""), "\(type.typeName).\(spec.name).\(inner.name)") }
                }
            }
        }
    }

    func testEveryCommandIsInTheREADMEAndTheHelp() throws {
        let readme = try read("README.md")
        let help = try MFPipeBinary.run(["--help"])
        XCTAssertEqual(help.exitCode, 0)
        for command in ["run", "validate", "status", "dag", "clean", "inspect", "synth"] {
            XCTAssertTrue(readme.contains("`mfpipe \(command) "), "README lacks mfpipe \(command)")
            XCTAssertTrue(help.stdout.contains("\n  \(command) "), "--help lacks \(command)")
            let own = try MFPipeBinary.run([command, "--help"])
            XCTAssertEqual(own.exitCode, 0)
            XCTAssertTrue(own.stdout.hasPrefix("usage: mfpipe \(command)"), own.stdout)
        }
        XCTAssertEqual(try MFPipeBinary.run(["--version"]).stdout, "mfpipe \(Version.mfpipe)\n")
        let unknown = try MFPipeBinary.run(["fit"])
        XCTAssertEqual(unknown.exitCode, 2)
        XCTAssertEqual(unknown.stderr, "mfpipe: unknown command \"fit\"; expected one of run, validate, status, dag, clean, inspect, predict, recommend, synth\n")
    }
}
