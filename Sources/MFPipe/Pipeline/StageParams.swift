import Foundation

/// A stage's validated and completed parameters, with typed accessors.
///
/// The pipeline loader has already checked every value against the stage's `ParamSpec`s,
/// so the accessors only convert; asking for an undeclared name is a programming error.
public struct StageParams: Sendable {
    /// The parameters as a JSON object, defaults filled in.
    public let json: JSONValue
    /// The folder that relative paths resolve against (the pipeline file's).
    public let baseFolder: URL

    /// Wraps a resolved params object.
    public init(json: JSONValue, baseFolder: URL) {
        self.json = json
        self.baseFolder = baseFolder
    }

    private func value(_ name: String) -> JSONValue {
        guard let value = json[name] else { preconditionFailure("undeclared parameter \(name)") }
        return value
    }

    /// Whether the parameter has a value (optional parameters may be null).
    public func has(_ name: String) -> Bool {
        json[name].map { $0 != .null } ?? false
    }

    /// An integer parameter.
    public func int(_ name: String) -> Int { value(name).intValue ?? 0 }
    /// A numeric parameter.
    public func double(_ name: String) -> Double { value(name).doubleValue ?? 0 }
    /// A string or choice parameter.
    public func string(_ name: String) -> String { value(name).stringValue ?? "" }
    /// A boolean parameter.
    public func bool(_ name: String) -> Bool { value(name).boolValue ?? false }
    /// A `true` / `false` / `"auto"` parameter: nil means auto.
    public func flagOrAuto(_ name: String) -> Bool? { value(name).boolValue }
    /// The raw JSON of a parameter (columns, sweeps).
    public func raw(_ name: String) -> JSONValue { value(name) }
    /// A nested object parameter.
    public func object(_ name: String) -> StageParams { StageParams(json: value(name), baseFolder: baseFolder) }

    /// A path parameter, resolved against the pipeline file's folder.
    public func url(_ name: String) -> URL {
        Self.resolve(string(name), against: baseFolder)
    }

    /// The seed the stage draws its randomness from.
    public var seed: UInt64 { UInt64(max(0, int("seed"))) }

    /// Resolves a possibly relative path against a folder; `~` is expanded.
    public static func resolve(_ path: String, against folder: URL) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL }
        return folder.appendingPathComponent(expanded).standardizedFileURL
    }
}
