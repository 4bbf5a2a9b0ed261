/// Predicts an entry from a normalization and a model: the model's part
/// row_bias[i] + col_bias[j] + W[i, :] · H[:, j] put back through the normalization
/// (`Normalization.denormalized`), clipped to the training range when one is given.
///
/// Rows and columns never seen in training have zero offsets, biases and factors, so
/// their predictions fall back to the baselines, never to NaN.
public struct Predictor {
    /// The normalization the model was trained after.
    public let normalization: Normalization
    /// The model, or nil for the normalization alone (the baselines).
    public let model: FactorModel?
    /// The range predictions are clipped to, if any.
    public let clip: ClosedRange<Double>?
    private let columnFactors: [Float]

    /// The rule in words, stored with exported models.
    public static let rule = "prediction[i, j] = inverse_transform(mean + row_offset[i] + col_offset[j] + row_scale[i] * col_scale[j] * (row_bias[i] + col_bias[j] + W[i, :] @ H[:, j])), clipped to [clip_min, clip_max] (mean, offsets, scales and transform from /normalization; inverse_transform is expm1 for log1p, else the identity; biases are zero when the model has none)"

    /// Creates a predictor.
    public init(normalization: Normalization, model: FactorModel?, clip: ClosedRange<Double>?) {
        self.normalization = normalization
        self.model = model
        self.clip = clip
        columnFactors = model?.columnFactors ?? []
    }

    /// The model's part of the prediction for (row, col), on the normalized scale:
    /// row_bias[i] + col_bias[j] + W[i, :] · H[:, j] (0 without a model).
    @inline(__always)
    public func modelPart(row: Int32, col: Int32) -> Double {
        guard let model else { return 0 }
        let i = Int(row)
        let j = Int(col)
        var dot: Float = 0
        columnFactors.withUnsafeBufferPointer { h in
            model.w.withUnsafeBufferPointer { w in
                for factor in 0..<model.k { dot += w[i * model.k + factor] * h[j * model.k + factor] }
            }
        }
        return Double(dot) + (model.rowBias.isEmpty ? 0 : Double(model.rowBias[i]) + Double(model.colBias[j]))
    }

    /// The prediction for (row, col).
    @inline(__always)
    public func predict(row: Int32, col: Int32) -> Double {
        var value = normalization.denormalized(modelPart(row: row, col: col), row: row, col: col)
        if let clip { value = min(max(value, clip.lowerBound), clip.upperBound) }
        return value
    }
}
