import Foundation

/// How messages name a file: relative to the current directory when it lies below it,
/// absolute otherwise, so the user can paste it into a shell where they are.
public enum DisplayPath {
    /// The display form of `url`.
    public static func of(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let current = FileManager.default.currentDirectoryPath
        let prefix = current.hasSuffix("/") ? current : current + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
