import Foundation

/// The AnnData twin of an export: the chosen model as an `.h5ad` file (AnnData's on-disk
/// format, encoding 0.1.0), written with the HDF5 C library, so that scanpy and anndata
/// users open it with `anndata.read_h5ad` and no code of ours.
///
/// Rows are observations and columns variables: `obs` is indexed by the row ids and holds
/// each row's training count, bias, and normalization offset and scale; `var` likewise for
/// the columns; `obsm["W"]` is W (rows x k) and `varm["H"]` is Hᵀ (columns x k);
/// `uns["mfpipe"]` holds the chosen rank, algorithm, hyper-parameters, the normalization's
/// method and mean, the clip range, the prediction rule, provenance and the upstream nodes'
/// warnings, and `uns["sweep"]` the sweep table. There is no `X`: the ratings stay in the
/// work directory and the export.
enum AnnDataTwin {
    /// What the twin holds besides the model.
    struct Contents {
        var rowIDs: [String]
        var colIDs: [String]
        var rowCounts: [Int32]
        var colCounts: [Int32]
        var model: FactorModel
        var normalization: Normalization
        var clip: ClosedRange<Double>?
        var pipelineHash: String
        var sweep: [(name: String, values: [Double])]
        /// What the upstream nodes warned of, each "node: message".
        var warnings: [String]
    }

    /// Writes `contents` to `url` under a temporary name, renamed into place when complete.
    static func write(_ contents: Contents, to url: URL) throws {
        let temporary = AtomicFile.temporaryPath(beside: url)
        do {
            let file = try HDF5File.create(temporary, layout: .contiguous)
            try encode(file.root, "anndata", "0.1.0")
            let normalization = contents.normalization
            try writeFrame(file.root.createGroup("obs"), ids: contents.rowIDs, columns: [
                ("n_train", .int(contents.rowCounts)), ("bias", .float(biasOrZero(contents.model.rowBias, count: contents.rowIDs.count))),
                ("offset", .double(normalization.rowOffsets)), ("scale", .double(normalization.rowScales)),
            ])
            try writeFrame(file.root.createGroup("var"), ids: contents.colIDs, columns: [
                ("n_train", .int(contents.colCounts)), ("bias", .float(biasOrZero(contents.model.colBias, count: contents.colIDs.count))),
                ("offset", .double(normalization.colOffsets)), ("scale", .double(normalization.colScales)),
            ])
            let model = contents.model
            let obsm = try dictionary(file.root, "obsm")
            try writeArray(obsm, "W", model.w, shape: [model.rows, model.k])
            let varm = try dictionary(file.root, "varm")
            try writeArray(varm, "H", transposed(model.h, rows: model.k, cols: model.cols), shape: [model.cols, model.k])
            for name in ["layers", "obsp", "varp"] { _ = try dictionary(file.root, name) }
            let uns = try dictionary(file.root, "uns")
            let mfpipe = try dictionary(uns, "mfpipe")
            try writeScalar(mfpipe, "k", Int64(model.k))
            try writeText(mfpipe, "algorithm", model.info.algorithm)
            try writeText(mfpipe, "hyperparameters", JSONWriter.canonical(model.info.hyperparameters))
            try writeText(mfpipe, "normalization", normalization.method.rawValue)
            try writeText(mfpipe, "normalization_axis", normalization.axis.rawValue)
            try writeText(mfpipe, "transform", normalization.transform.rawValue)
            try writeScalar(mfpipe, "mean", normalization.mean)
            try writeScalar(mfpipe, "clip_min", contents.clip?.lowerBound ?? -.infinity)
            try writeScalar(mfpipe, "clip_max", contents.clip?.upperBound ?? .infinity)
            try writeText(mfpipe, "prediction_rule", Predictor.rule.replacingOccurrences(of: "/normalization", with: "obs and var (offset, scale) and uns/mfpipe (mean, transform)"))
            try writeText(mfpipe, "pipeline_hash", contents.pipelineHash)
            try writeText(mfpipe, "mfpipe_version", Version.mfpipe)
            try mfpipe.writeStrings(contents.warnings, to: "warnings")
            try encode(mfpipe, member: "warnings", "string-array", "0.2.0")
            let sweep = try dictionary(uns, "sweep")
            for (name, values) in contents.sweep { try writeArray(sweep, name, values, shape: [values.count]) }
            try file.close()
            try AtomicFile.commit(temporary, to: url)
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    private enum Column {
        case int([Int32])
        case float([Float])
        case double([Double])
    }

    private static func encode(_ group: HDF5Group, _ type: String, _ version: String) throws {
        try group.setAttribute("encoding-type", type)
        try group.setAttribute("encoding-version", version)
    }

    private static func encode(_ group: HDF5Group, member: String, _ type: String, _ version: String) throws {
        try group.setAttribute("encoding-type", .string(type), on: member)
        try group.setAttribute("encoding-version", .string(version), on: member)
    }

    private static func dictionary(_ parent: HDF5Group, _ name: String) throws -> HDF5Group {
        let group = try parent.createGroup(name)
        try encode(group, "dict", "0.1.0")
        return group
    }

    /// A data frame: the index as a string array, each column as an array, in order.
    private static func writeFrame(_ group: HDF5Group, ids: [String], columns: [(String, Column)]) throws {
        try encode(group, "dataframe", "0.2.0")
        try group.setAttribute("_index", "_index")
        try group.setAttribute("column-order", strings: columns.map(\.0))
        try group.writeStrings(ids, to: "_index")
        try encode(group, member: "_index", "string-array", "0.2.0")
        for (name, column) in columns {
            switch column {
            case .int(let values): try writeArray(group, name, values, shape: [values.count])
            case .float(let values): try writeArray(group, name, values, shape: [values.count])
            case .double(let values): try writeArray(group, name, values, shape: [values.count])
            }
        }
    }

    private static func writeArray<T: HDF5Element>(_ group: HDF5Group, _ name: String, _ values: [T], shape: [Int]) throws {
        try group.write(values, to: name, shape: shape)
        try encode(group, member: name, "array", "0.2.0")
    }

    private static func writeScalar<T: HDF5Element>(_ group: HDF5Group, _ name: String, _ value: T) throws {
        try group.write([value], to: name, shape: [])
        try encode(group, member: name, "numeric-scalar", "0.2.0")
    }

    private static func writeText(_ group: HDF5Group, _ name: String, _ text: String) throws {
        try group.writeString(text, to: name)
        try encode(group, member: name, "string", "0.2.0")
    }

    private static func biasOrZero(_ bias: [Float], count: Int) -> [Float] {
        bias.isEmpty ? [Float](repeating: 0, count: count) : bias
    }

    private static func transposed(_ values: [Float], rows: Int, cols: Int) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        for row in 0..<rows {
            for col in 0..<cols { result[col * rows + row] = values[row * cols + col] }
        }
        return result
    }
}
