/// Checks a stage's `params` object against its `ParamSpec`s and fills in defaults.
struct ParamValidator {
    /// The pipeline file, for error messages.
    let file: String

    /// Returns the params with every declared key present, in declaration order.
    ///
    /// - Parameter misplaced: why a key that `specs` lacks belongs elsewhere (a parameter of
    ///   another algorithm), or nil for a key the stage does not know at all.
    /// - Throws: `PipelineFileError` at `path.KEY` for an unknown or misplaced key, a missing
    ///   required key or a value of the wrong type or range.
    func resolve(_ value: JSONValue?, specs: [ParamSpec], path: String, seed: Int,
                 misplaced: (String) -> String? = { _ in nil }) throws -> JSONValue {
        let given = value ?? .object([])
        guard let members = given.objectValue else {
            throw PipelineFileError(file: file, location: path, message: "expected an object, found \(given.described)")
        }
        let known = Set(specs.map(\.name))
        for member in members where !known.contains(member.key) {
            throw PipelineFileError(
                file: file, location: "\(path).\(member.key)",
                message: misplaced(member.key) ?? "unknown parameter; expected one of " + specs.map(\.name).joined(separator: ", "))
        }
        var resolved: [(key: String, value: JSONValue)] = []
        for spec in specs {
            let location = "\(path).\(spec.name)"
            if let supplied = given[spec.name], supplied != .null {
                resolved.append((spec.name, try check(supplied, against: spec, at: location, seed: seed)))
            } else if spec.name == "seed" {
                resolved.append((spec.name, .number(Double(seed))))
            } else if let fallback = spec.defaultValue {
                if case .object(let nested) = spec.kind {
                    resolved.append((spec.name, try resolve(fallback, specs: nested, path: location, seed: seed)))
                } else {
                    resolved.append((spec.name, fallback))
                }
            } else {
                throw PipelineFileError(file: file, location: location, message: "missing required parameter; expected \(spec.expectation)")
            }
        }
        return .object(resolved)
    }

    private func check(_ value: JSONValue, against spec: ParamSpec, at location: String, seed: Int) throws -> JSONValue {
        func reject() -> PipelineFileError {
            var advice = value.stringValue.flatMap { spec.advice[$0] }.map { "; " + $0 } ?? ""
            if value.arrayValue != nil, spec.kind.isNumeric {
                // A list where a number belongs: most likely a sweep, which only k makes.
                advice = "; only k takes a list (one node per rank): to compare values of \(spec.name), give each its own stage, as docs/pipeline-file.md shows"
            }
            return PipelineFileError(file: file, location: location, message: "expected \(spec.expectation), found \(value.described)" + advice)
        }
        switch spec.kind {
        case .integer(let range):
            guard let number = value.intValue, range.contains(number) else { throw reject() }
        case let .number(minimum, maximum, exclusive):
            guard let number = value.doubleValue, number <= maximum, exclusive ? number > minimum : number >= minimum else { throw reject() }
        case .string, .path:
            guard let text = value.stringValue, !text.isEmpty else { throw reject() }
        case .choice(let options):
            guard let text = value.stringValue, options.contains(text) else { throw reject() }
        case .boolean:
            guard value.boolValue != nil else { throw reject() }
        case .booleanOrAuto:
            guard value.boolValue != nil || value.stringValue == "auto" else { throw reject() }
        case .column:
            guard (value.stringValue.map { !$0.isEmpty } ?? false) || (value.intValue.map { $0 >= 0 } ?? false) else { throw reject() }
        case .rankSweep:
            do {
                _ = try RankSweep.parse(value)
            } catch {
                throw PipelineFileError(file: file, location: location + error.suffix, message: error.message)
            }
        case .object(let nested):
            return try resolve(value, specs: nested, path: location, seed: seed)
        }
        return value
    }
}
