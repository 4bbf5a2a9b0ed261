import Foundation

/// Reads a pipeline file, applies `--set` overrides, and validates it into a `Pipeline`.
///
/// Every problem is a `PipelineFileError` naming the JSON path and what was expected:
/// syntax errors (with line and column), unknown keys, unknown stage types, wrong value
/// types, dangling inputs, duplicate ids and cycles.
public struct PipelineLoader {
    /// A `--set STAGE.PARAM=VALUE` override; VALUE is read as JSON, or as a string when it is not JSON.
    public struct Override {
        /// The stage id.
        public let stage: String
        /// The parameter path inside `params` (dotted for nested objects).
        public let param: [String]
        /// The new value.
        public let value: JSONValue

        /// Parses `STAGE.PARAM=VALUE`.
        public init(parsing text: String) throws {
            guard let equals = text.firstIndex(of: "=") else {
                throw UsageError("--set \(text): expected STAGE.PARAM=VALUE")
            }
            let target = text[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard target.count >= 2, target.allSatisfy({ !$0.isEmpty }) else {
                throw UsageError("--set \(text): expected STAGE.PARAM=VALUE")
            }
            let raw = String(text[text.index(after: equals)...])
            stage = target[0]
            param = Array(target.dropFirst())
            value = (try? JSONParser.parse(Data(raw.utf8))) ?? .string(raw)
        }
    }

    private static let topLevelKeys = ["version", "name", "workdir", "seed", "threads", "stages"]
    /// `nodes` is what `validate --print` adds (the DAG with sweeps expanded): derived from
    /// `stages`, it is ignored when read, so a printed file validates as it stands.
    private static let derivedKeys = ["nodes"]
    /// The longest pipeline name or stage id: they name folders and files, whose names the
    /// file system limits to 255 bytes.
    private static let longestName = 64
    /// ASCII letters and digits: names and ids become file names on every system.
    private static let nameCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    private static let stageKeys = ["id", "type", "inputs", "params"]

    /// Loads and validates the pipeline at `url`.
    ///
    /// - Parameters:
    ///   - overrides: `--set` values, applied before validation.
    ///   - threads: a `--threads` value that replaces the file's.
    public static func load(_ url: URL, overrides: [Override] = [], threads: Int? = nil) throws -> Pipeline {
        let file = DisplayPath.of(url)
        guard FileSystem.exists(url) else { throw UsageError("\(file): no such pipeline file") }
        guard FileSystem.kind(of: url) != .directory else { throw UsageError("\(file): a folder; expected a pipeline file (JSON)") }
        let document: JSONValue
        do {
            document = try JSONParser.parse(try FileSystem.read(url))
        } catch let error as JSONParser.SyntaxError {
            throw PipelineFileError(file: file, location: "\(error.line):\(error.column)", message: error.message)
        } catch let error as WorkdirError {
            throw UsageError(error.message)
        }
        let overridden = try apply(overrides, to: document, file: file)
        return try validate(overridden, file: url.standardizedFileURL, displayName: file, threads: threads)
    }

    private static func apply(_ overrides: [Override], to document: JSONValue, file: String) throws -> JSONValue {
        guard !overrides.isEmpty, var stages = document["stages"]?.arrayValue else { return document }
        for override in overrides {
            guard let index = stages.firstIndex(where: { $0["id"]?.stringValue == override.stage }) else {
                throw UsageError("--set \(override.stage).\(override.param.joined(separator: ".")): no stage with id \"\(override.stage)\" in \(file)")
            }
            let params = stages[index]["params"] ?? .object([])
            stages[index] = stages[index].setting("params", to: setting(override.param[...], to: override.value, in: params))
        }
        return document.setting("stages", to: .array(stages))
    }

    private static func setting(_ path: ArraySlice<String>, to value: JSONValue, in object: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        let inner = object[key].flatMap { $0.objectValue != nil ? $0 : nil } ?? .object([])
        return object.setting(key, to: path.count == 1 ? value : setting(path.dropFirst(), to: value, in: inner))
    }

    private static func validate(_ document: JSONValue, file: URL, displayName: String, threads: Int?) throws -> Pipeline {
        func fail(_ location: String, _ message: String) -> PipelineFileError {
            PipelineFileError(file: displayName, location: location, message: message)
        }
        guard let members = document.objectValue else {
            throw fail("", "expected a JSON object at the top level, found \(document.described)")
        }
        for member in members where !topLevelKeys.contains(member.key) && !derivedKeys.contains(member.key) {
            throw fail(member.key, "unknown key; expected one of " + topLevelKeys.joined(separator: ", "))
        }
        guard let version = document["version"] else {
            throw fail("version", "missing; expected the pipeline format version, \(Pipeline.formatVersion)")
        }
        guard let number = version.intValue else { throw fail("version", "expected an integer, found \(version.described)") }
        guard number == Pipeline.formatVersion else {
            throw fail("version", "version \(number) is not supported; this mfpipe reads version \(Pipeline.formatVersion)")
        }
        guard let nameValue = document["name"] else { throw fail("name", "missing; expected a name such as \"movielens\"") }
        guard let name = nameValue.stringValue, !name.isEmpty, name.count <= Self.longestName, name.contains(where: { $0 != "." }),
            name.unicodeScalars.allSatisfy({ Self.nameCharacters.contains($0) || "-_.".unicodeScalars.contains($0) })
        else {
            throw fail("name", "expected 1 to \(Self.longestName) letters, digits, '-', '_' or '.' (not only dots), found "
                + nameValue.described)
        }
        let folder = file.deletingLastPathComponent()
        var workdir = StageParams.resolve("runs/\(name)", against: folder)
        if let value = document["workdir"] {
            guard let path = value.stringValue, !path.isEmpty else { throw fail("workdir", "expected a path (a string), found \(value.described)") }
            workdir = StageParams.resolve(path, against: folder)
        }
        var seed = 0
        if let value = document["seed"] {
            guard let number = value.intValue, number >= 0 else { throw fail("seed", "expected an integer ≥ 0, found \(value.described)") }
            seed = number
        }
        var threadCount = ProcessInfo.processInfo.activeProcessorCount
        if let value = document["threads"] {
            guard let number = value.intValue, number >= 1 else { throw fail("threads", "expected an integer ≥ 1, found \(value.described)") }
            threadCount = number
        }
        if let threads { threadCount = threads }
        guard let stagesValue = document["stages"] else { throw fail("stages", "missing; expected an array of stages") }
        guard let stageValues = stagesValue.arrayValue, !stageValues.isEmpty else {
            throw fail("stages", "expected a non-empty array of stages, found \(stagesValue.described)")
        }
        let stages = try validateStages(stageValues, seed: seed, folder: folder, file: displayName, fail: fail)
        try DAGValidation.checkAcyclic(stages, fail: fail)
        try DAGValidation.checkSingleSources(stages, fail: fail)
        try PathChecks.check(stages, workdir: workdir, fail: fail)
        try SelectionChecks.check(stages, fail: fail)
        try PredictionChecks.check(stages, fail: fail)
        return Pipeline(file: file, name: name, workdir: workdir, seed: seed, threads: threadCount, stages: stages)
    }

    private static func validateStages(
        _ values: [JSONValue], seed: Int, folder: URL, file: String, fail: (String, String) -> PipelineFileError
    ) throws -> [StageSpec] {
        let validator = ParamValidator(file: file)
        var specs: [StageSpec] = []
        var indexByID: [String: Int] = [:]
        for (index, value) in values.enumerated() {
            let path = "stages[\(index)]"
            guard let members = value.objectValue else { throw fail(path, "expected a stage object, found \(value.described)") }
            for member in members where !stageKeys.contains(member.key) {
                throw fail("\(path).\(member.key)", "unknown key; expected one of " + stageKeys.joined(separator: ", "))
            }
            guard let idValue = value["id"] else { throw fail("\(path).id", "missing; expected a stage id") }
            guard let id = idValue.stringValue, !id.isEmpty, id.count <= Self.longestName,
                id.unicodeScalars.allSatisfy({ Self.nameCharacters.contains($0) || "-_".unicodeScalars.contains($0) })
            else {
                throw fail("\(path).id", "expected 1 to \(Self.longestName) letters, digits, '-' or '_', found "
                    + idValue.described)
            }
            if let first = indexByID[id] {
                throw fail("\(path).id", "duplicate id \"\(id)\"; stages[\(first)] already has it")
            }
            indexByID[id] = index
            guard let typeValue = value["type"] else { throw fail("\(path).type", "missing; expected a stage type") }
            let known = StageRegistry.names
            guard let typeName = typeValue.stringValue, let type = StageRegistry.type(named: typeName) else {
                throw fail("\(path).type", "unknown stage type \(typeValue.described); expected one of " + known.joined(separator: ", "))
            }
            var inputs: [String] = []
            if let inputsValue = value["inputs"] {
                guard let list = inputsValue.arrayValue else {
                    throw fail("\(path).inputs", "expected an array of stage ids, found \(inputsValue.described)")
                }
                for (position, element) in list.enumerated() {
                    guard let input = element.stringValue else {
                        throw fail("\(path).inputs[\(position)]", "expected a stage id (a string), found \(element.described)")
                    }
                    inputs.append(input)
                }
            }
            guard type.inputCount.contains(inputs.count) else {
                let range = type.inputCount
                let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)"
                    : range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                throw fail("\(path).inputs", "\(DAGValidation.article(typeName)) \(typeName) stage takes \(expected) input(s), found \(inputs.count)")
            }
            let given = value["params"] ?? .object([])
            let resolved = try validator.resolve(given, specs: type.params(for: given), path: "\(path).params", seed: seed) { name in
                type.misplacedParameter(name, given: given)
            }
            let params = StageParams(json: resolved, baseFolder: folder)
            if let problem = type.problem(with: params, inputCount: inputs.count) {
                throw fail("\(path).params.\(problem.param)", problem.message)
            }
            specs.append(StageSpec(index: index, id: id, type: type, inputs: inputs, params: params))
        }
        for spec in specs {
            for (position, input) in spec.inputs.enumerated() where indexByID[input] == nil {
                throw fail("\(spec.path).inputs[\(position)]", "no stage has id \"\(input)\"; expected one of " + specs.map(\.id).joined(separator: ", "))
            }
        }
        return specs
    }
}
