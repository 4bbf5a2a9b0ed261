import Foundation

/// The documented event schema (docs/event-schema.json), checked by the jsonschema package.
public enum EventSchema {
    /// Validates every line of `events` (JSON Lines) against the schema; the result's
    /// stdout lists each violation with its line, and is empty when every event validates.
    public static func check(_ events: String, in scratch: Scratch) throws -> CommandResult {
        let file = try scratch.write(events, to: "events.jsonl")
        return try Python.run("""
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            validator = jsonschema.Draft202012Validator(schema)
            for number, text in enumerate(open(sys.argv[2]).read().splitlines(), 1):
                for error in validator.iter_errors(json.loads(text)):
                    print(f"line {number}: {error.message}: {text[:200]}")
            """, arguments: [MFPipeBinary.packageRoot.appendingPathComponent("docs/event-schema.json").path, file.path])
    }
}
