/// The version of mfpipe and of the file formats it writes.
public enum Version {
    /// mfpipe's own version (`mfpipe --version`).
    public static let mfpipe = "0.1.0"
    /// The exported factor file's format name, in its root attributes.
    public static let factorFormatName = "mfpipe-factors"
    /// The exported factor file's format version; readers reject an unknown major.
    public static let factorFormat = "1.0"
}
