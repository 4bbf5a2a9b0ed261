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

    /// The held-out sets a model is measured on, prepared once for every model scored on
    /// them: each set's relevant columns of each row, and the entries its lists leave out —
    /// set i's lists leave out the entries `excluding` gave for sets 0 … i (validation: the
    /// training entries; test: those and the validation entries), so that one product W·H
    /// serves every set.
    public struct Task {
        /// The relevant held-out columns of each row, for each set.
        let relevant: [[Set<Int32>]]
        /// The entries set i's lists leave out beyond set i − 1's.
        let layers: [ExcludedEntries]

        /// The entries of each of `heldOut` at or above `threshold` (every one without it),
        /// over `rows` rows; set i's lists leave out the entries of `excluding[0 ... i]`.
        public init(heldOut: [RatingTable], threshold: Double?, excluding: [RatingTable], rows: Int) {
            precondition(heldOut.count == excluding.count, "one table of left-out entries per held-out set")
            relevant = heldOut.map { table in
                var relevant = [Set<Int32>](repeating: [], count: rows)
                for entry in 0..<table.count where threshold.map({ Double(table.values[entry]) >= $0 }) ?? true {
                    relevant[Int(table.rows[entry])].insert(table.cols[entry])
                }
                return relevant
            }
            layers = excluding.map { ExcludedEntries([$0], rows: rows) }
        }
    }

    /// Measures `model` after `normalization` on each of `task`'s held-out sets, N = `count`
    /// (one result per set, in order).
    public static func measure(model: FactorModel, normalization: Normalization, task: Task, at count: Int, threads: Int) throws -> [RankingMetrics] {
        guard let first = task.layers.first else { return [] }
        guard task.relevant.contains(where: { $0.contains { !$0.isEmpty } }) else { return task.layers.map { _ in .empty } }
        var sums = [(precision: Double, recall: Double, ndcg: Double, map: Double, rows: Int)](repeating: (0, 0, 0, 0, 0),
                                                                                                 count: task.layers.count)
        var recommended = [[Bool]](repeating: [Bool](repeating: false, count: model.cols), count: task.layers.count)
        let recommender = TopNRecommender(model: model, normalization: normalization, count: count, excluding: first,
                                          further: Array(task.layers.dropFirst()))
        try recommender.runLists(threads: threads) { windows in
            for (set, window) in windows.enumerated() {
                for offset in 0..<window.rowCount {
                    let wanted = task.relevant[set][window.firstRow + offset]
                    guard !wanted.isEmpty else { continue }
                    var (hits, dcg, precisionSum) = (0, 0.0, 0.0)
                    for rank in 0..<count {
                        let column = window.columns[offset * count + rank]
                        guard column >= 0 else { break }
                        recommended[set][Int(column)] = true
                        guard wanted.contains(column) else { continue }
                        hits += 1
                        dcg += 1 / log2(Double(rank) + 2)
                        precisionSum += Double(hits) / Double(rank + 1)
                    }
                    let ideal = (0..<min(wanted.count, count)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
                    sums[set].precision += Double(hits) / Double(count)
                    sums[set].recall += Double(hits) / Double(wanted.count)
                    sums[set].ndcg += dcg / ideal
                    sums[set].map += precisionSum / Double(min(wanted.count, count))
                    sums[set].rows += 1
                }
            }
        }
        return sums.indices.map { set in
            let (sum, n) = (sums[set], Double(sums[set].rows))
            guard sum.rows > 0 else { return .empty }
            return RankingMetrics(precision: sum.precision / n, recall: sum.recall / n, ndcg: sum.ndcg / n, map: sum.map / n,
                                  coverage: Double(recommended[set].filter { $0 }.count) / Double(max(model.cols, 1)), rows: sum.rows)
        }
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
