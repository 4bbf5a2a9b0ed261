import Foundation

/// The checks of a pipeline's files that can be made before anything runs: every input
/// file exists and is a regular file; every output can be written, is not a folder, and
/// does not overwrite an input, the work directory, or another output; the work directory
/// is not a file. An earlier output read back (a warm start from the export the run will
/// replace) may be overwritten: it is read before the export is written, atomically. Each failure names the JSON path (exit 2), so `validate` catches it and
/// `run` never half-runs into it. `predict` and `recommend` check their files the same way,
/// naming the argument or option.
public enum PathChecks {
    /// A file a pipeline or command names, and where it is named (a JSON path, an option).
    public typealias NamedFile = (url: URL, location: String)

    /// Checks `stages` of a pipeline whose work directory is `workdir`.
    static func check(_ stages: [StageSpec], workdir: URL, fail: (String, String) -> Error) throws {
        if FileSystem.kind(of: workdir) ?? .directory != .directory {
            throw fail("workdir", "\(workdir.path) exists and is not a folder; expected a folder for the work directory")
        }
        var inputs: [NamedFile] = []
        var outputs: [NamedFile] = []
        for stage in stages {
            var outputParams: [NamedFile] = []
            for spec in stage.type.params(for: stage.params.json) where stage.params.has(spec.name) {
                guard case .path(let role) = spec.kind else { continue }
                let location = "\(stage.path).params.\(spec.name)"
                let url = stage.params.url(spec.name)
                switch role {
                case .input:
                    try checkInput(url, at: location, fail: fail)
                    inputs.append((url, location))
                case .earlierOutput:
                    try checkInput(url, at: location, fail: fail)
                case .output:
                    outputParams.append((url, location))
                }
            }
            // Each file the stage writes, named by its parameter (files derived from one, as
            // the report's plot beside its Markdown, by the first).
            for file in stage.type.outputFiles(for: stage.params) {
                let location = outputParams.first { $0.url == file }?.location ?? outputParams.first?.location ?? stage.path
                outputs.append((file, location))
            }
        }
        for output in outputs where output.url.path == workdir.path || output.url.path.hasPrefix(workdir.path + "/") {
            throw fail(output.location, "\(output.url.path) is inside the work directory \(workdir.path); expected a path outside it")
        }
        try checkOutputs(outputs, readingFrom: inputs, fail: fail)
    }

    /// Checks a command's files before it reads any: every input exists and is a regular
    /// file; every output can be written, is not a folder, and overwrites neither an input
    /// nor another output.
    public static func check(inputs: [NamedFile], outputs: [NamedFile], fail: (String, String) -> Error) throws {
        for input in inputs { try checkInput(input.url, at: input.location, fail: fail) }
        try checkOutputs(outputs, readingFrom: inputs, fail: fail)
    }

    /// Each output overwrites no input and no other output, and can be written.
    private static func checkOutputs(_ outputs: [NamedFile], readingFrom inputs: [NamedFile], fail: (String, String) -> Error) throws {
        for (index, output) in outputs.enumerated() {
            let path = output.url.path
            if let input = inputs.first(where: { Self.sameFile($0.url, output.url) }) {
                throw fail(output.location, "\(path) is the input of \(input.location); an output must never overwrite an input")
            }
            if let other = outputs[..<index].first(where: { Self.sameFile($0.url, output.url) }) {
                throw fail(output.location, "\(path) is also written by \(other.location); expected each output once")
            }
            try checkOutput(output.url, at: output.location, fail: fail)
        }
    }

    private static func checkInput(_ url: URL, at location: String, fail: (String, String) -> Error) throws {
        switch FileSystem.kind(of: url) {
        case nil: throw fail(location, "no such file \(url.path); expected an input file")
        case .regular?: return
        case .directory?: throw fail(location, "\(url.path) is a folder; expected an input file")
        case .other?: throw fail(location, "\(url.path) is not a regular file (a pipe, socket or device); expected an input file")
        }
    }

    /// An output must not be a folder, and its folder must exist or be creatable, and be writable.
    private static func checkOutput(_ url: URL, at location: String, fail: (String, String) -> Error) throws {
        if FileSystem.kind(of: url) == .directory { throw fail(location, "\(url.path) is a folder; expected a file path") }
        var folder = url.deletingLastPathComponent()
        while FileSystem.kind(of: folder) == nil && folder.path != "/" { folder = folder.deletingLastPathComponent() }
        guard FileSystem.kind(of: folder) == .directory else {
            throw fail(location, "cannot create the folder of \(url.path): \(folder.path) is a file")
        }
        guard access(folder.path, W_OK | X_OK) == 0 else {
            throw fail(location, "cannot write \(url.path): \(folder.path) is not writable (\(String(cString: strerror(errno))))")
        }
    }

    /// Whether two paths name the same file: the same path, or, when both exist, the same
    /// device and inode (a link, or `..` on the way).
    private static func sameFile(_ a: URL, _ b: URL) -> Bool {
        if a.standardizedFileURL.path == b.standardizedFileURL.path { return true }
        var (first, second) = (stat(), stat())
        guard stat(a.path, &first) == 0, stat(b.path, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
