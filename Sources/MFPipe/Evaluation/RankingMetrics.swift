import Foundation

/// How well a model's top-N lists find a held-out set's relevant entries: precision, recall,
/// NDCG and MAP at N, averaged over the rows with at least one relevant held-out entry, and
/// the catalogue coverage of those rows' lists.
///
/// Relevant: a held-out entry whose value is at least the threshold (every held-out entry
/// without one). Each row's list ranks the columns it has no known entry for outside the
/// set (`TopNRecommender`, the excluded entries left out). With hits h_r (1 when the
/// column at rank r is relevant) and R relevant entries in the row:
/// precision = Σ h_r / N; recall = Σ h_r / R; NDCG = Σ h_r / log2(r + 1) divided by
/// Σ_{r ≤ min(R, N)} 1 / log2(r + 1); MAP = Σ h_r · precision@r / min(R, N);
/// coverage = distinct columns in the lists / all columns.
public struct RankingMetrics: Sendable, Equatable {
    /// Mean precision at N.
    public var precision: Double
    /// Mean recall at N.
    public var recall: Double
    /// Mean NDCG at N.
    public var ndcg: Double
    /// Mean average precision at N.
    public var map: Double
    /// Distinct recommended columns over all columns.
    public var coverage: Double
    /// Rows averaged over.
    public var rows: Int

    /// Not measured: every number NaN.
    public static let empty = RankingMetrics(precision: .nan, recall: .nan, ndcg: .nan, map: .nan, coverage: .nan, rows: 0)

    /// The metric names, as columns and attributes name them, with their values.
    public var named: [(name: String, value: Double)] {
        [("precision", precision), ("recall", recall), ("ndcg", ndcg), ("map", map), ("coverage", coverage)]
    }

    /// What a held-out set is measured against, prepared once for every model scored on it:
    /// each row's relevant columns, and the entries its lists leave out.
    public struct Task {
        /// The relevant held-out columns of each row.
        let relevant: [Set<Int32>]
        /// The entries the lists leave out.
        let excluded: ExcludedEntries

        /// The held-out entries of `heldOut` at or above `threshold` (every one without it),
        /// over `rows` rows, the lists leaving out the entries of `excluding`.
        public init(heldOut: RatingTable, threshold: Double?, excluding: [RatingTable], rows: Int) {
            var relevant = [Set<Int32>](repeating: [], count: rows)
            for entry in 0..<heldOut.count where threshold.map({ Double(heldOut.values[entry]) >= $0 }) ?? true {
                relevant[Int(heldOut.rows[entry])].insert(heldOut.cols[entry])
            }
            self.relevant = relevant
            excluded = ExcludedEntries(excluding, rows: rows)
        }
    }

    /// Measures `model` after `normalization` on `task`'s held-out set, N = `count`.
    public static func measure(model: FactorModel, normalization: Normalization, task: Task, at count: Int, threads: Int) throws -> RankingMetrics {
        let relevant = task.relevant
        guard relevant.contains(where: { !$0.isEmpty }) else { return .empty }
        var (precision, recall, ndcg, map, rows) = (0.0, 0.0, 0.0, 0.0, 0)
        var recommended = [Bool](repeating: false, count: model.cols)
        let recommender = TopNRecommender(model: model, normalization: normalization, count: count, excluding: task.excluded)
        try recommender.run(threads: threads) { window in
            for offset in 0..<window.rowCount {
                let wanted = relevant[window.firstRow + offset]
                guard !wanted.isEmpty else { continue }
                var (hits, dcg, precisionSum) = (0, 0.0, 0.0)
                for rank in 0..<count {
                    let column = window.columns[offset * count + rank]
                    guard column >= 0 else { break }
                    recommended[Int(column)] = true
                    guard wanted.contains(column) else { continue }
                    hits += 1
                    dcg += 1 / log2(Double(rank) + 2)
                    precisionSum += Double(hits) / Double(rank + 1)
                }
                let ideal = (0..<min(wanted.count, count)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
                precision += Double(hits) / Double(count)
                recall += Double(hits) / Double(wanted.count)
                ndcg += dcg / ideal
                map += precisionSum / Double(min(wanted.count, count))
                rows += 1
            }
        }
        let n = Double(rows)
        return RankingMetrics(precision: precision / n, recall: recall / n, ndcg: ndcg / n, map: map / n,
                              coverage: Double(recommended.filter { $0 }.count) / Double(max(model.cols, 1)), rows: rows)
    }

    /// The popularity baseline's model: no factors, each column's bias its number of
    /// training entries, so that every row's list is the most-trained columns it has not seen.
    public static func popularityModel(train: RatingTable, rows: Int, cols: Int) -> FactorModel {
        FactorModel(k: 0, rows: rows, cols: cols, w: [], h: [], rowBias: [Float](repeating: 0, count: rows),
                    colBias: train.counts(byRow: false, size: cols).map(Float.init),
                    info: TrainingInfo(algorithm: "popularity", hyperparameters: .object([]), seed: 0, iterations: 0, converged: true,
                                       objective: .nan, seconds: 0, bestIteration: 0, curve: [], objectives: []))
    }
}
