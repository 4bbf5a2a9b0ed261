import Foundation
import MFPipe

/// Reads the run records `mfpipe run` leaves in a work directory.
public enum RunRecords {
    /// The newest record's nodes as (node id → action: "ran", "cached", …).
    public static func latestActions(workdir: URL) throws -> [String: String] {
        let folder = workdir.appendingPathComponent("runs")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        guard let newest = names.last else { return [:] }
        let record = try JSONParser.parse(Data(contentsOf: folder.appendingPathComponent(newest)))
        var actions: [String: String] = [:]
        for node in record["nodes"]?.arrayValue ?? [] {
            actions[node["node"]?.stringValue ?? ""] = node["action"]?.stringValue
        }
        return actions
    }
}
