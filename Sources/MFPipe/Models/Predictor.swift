/// Predicts an entry from a normalization and a model: the model's part
/// row_bias[i] + col_bias[j] + W[i, :] · H[:, j] put back through the normalization
/// (`Normalization.denormalized`), clipped to the training range when one is given.
///
/// Rows and columns never seen in training have zero offsets and the average row's
/// (column's) factors and bias (`FactorModel.averageUnseen`), so they are predicted as an
/// average member of their side beside the baselines, never as NaN.
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
    ///
    /// The dot product runs eight factors at a time in eight running sums (one vector),
    /// added together at the end, then the factors past the last multiple of eight: a fixed
    /// order, whatever the machine.
    @inline(__always)
    public func modelPart(row: Int32, col: Int32) -> Double {
        guard let model else { return 0 }
        let (i, j, k) = (Int(row), Int(col), model.k)
        var dot: Float = 0
        columnFactors.withUnsafeBufferPointer { h in
            model.w.withUnsafeBufferPointer { w in
                var factor = 0
                if k >= 8 {
                    let (p, q) = (UnsafeRawPointer(w.baseAddress! + i * k), UnsafeRawPointer(h.baseAddress! + j * k))
                    var sums = SIMD8<Float>()
                    while factor + 8 <= k {
                        sums += p.loadUnaligned(fromByteOffset: factor * 4, as: SIMD8<Float>.self)
                            * q.loadUnaligned(fromByteOffset: factor * 4, as: SIMD8<Float>.self)
                        factor += 8
                    }
                    dot = sums.sum()
                }
                while factor < k {
                    dot += w[i * k + factor] * h[j * k + factor]
                    factor += 1
                }
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
