import Foundation
import MFPipe

/// Reads the run records `mfpipe run` leaves in a work directory.
public enum RunRecords {
    /// The newest record's nodes as (node id → action: "ran", "cached", …).
    public static func latestActions(workdir: URL) throws -> [String: String] {
        var actions: [String: String] = [:]
        for node in try latestNodes(workdir: workdir) {
            actions[node["node"]?.stringValue ?? ""] = node["action"]?.stringValue
        }
        return actions
    }

    /// The seconds node `id` took in the newest record, or nil when it is not there.
    public static func latestSeconds(of id: String, workdir: URL) throws -> Double? {
        try latestNodes(workdir: workdir).first { $0["node"]?.stringValue == id }?["seconds"]?.doubleValue
    }

    /// The summary node `id` reported in the newest record, or nil when it is not there.
    public static func latestSummary(of id: String, workdir: URL) throws -> String? {
        try latestNodes(workdir: workdir).first { $0["node"]?.stringValue == id }?["summary"]?.stringValue
    }

    /// The warnings node `id` gave in the newest record (a cached node's from its manifest).
    public static func latestWarnings(of id: String, workdir: URL) throws -> [String] {
        try latestNodes(workdir: workdir).first { $0["node"]?.stringValue == id }?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// The newest record's nodes (none when there is no record).
    private static func latestNodes(workdir: URL) throws -> [JSONValue] {
        let folder = workdir.appendingPathComponent("runs")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        guard let newest = names.last else { return [] }
        return try JSONParser.parse(Data(contentsOf: folder.appendingPathComponent(newest)))["nodes"]?.arrayValue ?? []
    }
}
