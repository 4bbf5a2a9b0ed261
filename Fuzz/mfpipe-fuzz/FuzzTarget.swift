import Foundation
import MFPipe

/// One input format mfpipe parses, driven by the fuzzer: every input must end in a parsed
/// matrix or a thrown error, never a trap, a hang or a memory error.
enum FuzzTarget: String, CaseIterable {
    /// Delimited ratings (CSV, TSV, `::`, white space); the first byte picks the header and
    /// bad-row settings, so both the detecting and the explicit paths are exercised.
    case delimited
    /// MatrixMarket coordinate and array files.
    case matrixmarket
    /// Dense delimited matrices (one row per line).
    case dense
    /// Pipeline files: JSON parsing, parameter validation, the DAG and path checks.
    case pipeline

    /// The target named by `MFPIPE_FUZZ_TARGET`.
    static let current: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["MFPIPE_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("set MFPIPE_FUZZ_TARGET to one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    /// The file each input is written to before it is read (the readers take files).
    static let folder: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mfpipe-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// Parses `bytes` as this target's format; errors are the expected outcome of most inputs.
    func run(_ bytes: Data) {
        switch self {
        case .delimited:
            guard let settings = bytes.first else { return }
            let url = Self.write(bytes.dropFirst(), as: "input.csv")
            var options = DelimitedReader.Options()
            options.header = [nil, true, false][Int(settings % 3)]
            if settings & 0x04 != 0 { options.timestamp = .index(3) }
            var reader = DelimitedReader(url: url, displayName: "input.csv", options: options)
            reader.threads = settings & 0x08 != 0 ? 2 : 1
            var policy = BadRowPolicy(skip: settings & 0x10 != 0, maximum: 3)
            _ = try? reader.read(policy: &policy)
        case .matrixmarket:
            let url = Self.write(bytes, as: "input.mtx")
            var policy = BadRowPolicy(skip: false, maximum: 0)
            _ = try? MatrixMarketReader(url: url, displayName: "input.mtx").read(policy: &policy)
        case .dense:
            let url = Self.write(bytes, as: "input.csv")
            var policy = BadRowPolicy(skip: false, maximum: 0)
            _ = try? DenseMatrixReader(url: url, displayName: "input.csv", delimiter: nil, header: nil, rowNames: nil)
                .read(policy: &policy)
        case .pipeline:
            let url = Self.write(bytes, as: "pipeline.json")
            _ = try? PipelineLoader.load(url)
        }
    }

    private static func write(_ bytes: Data, as name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: bytes)
        return url
    }
}
