import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `svd`: the randomized SVD finds the singular values LAPACK's full SVD finds, recovers a
/// low-rank matrix exactly, treats missing entries as zero residuals, gives the same bits
/// on any thread count and after a resume, and refuses a rank the matrix cannot have.
final class SVDTests: XCTestCase {
    /// A float32 matrix made by numpy: U diag(`spectrum`) Vᵀ for random orthonormal U
    /// (`rows` x rank) and V (`cols` x rank), rank the spectrum's length, plus Gaussian
    /// `noise`; returns its values row after row, LAPACK's first `kept` singular values of it
    /// (in double precision), and the RMS over its entries of the singular values past those.
    private func numpyMatrix(rows: Int, cols: Int, spectrum: String, noise: Double = 0, seed: Int,
                             kept: Int) throws -> (values: [Float], sigma: [Float], residual: Double) {
        let script = """
            import numpy as np
            rng = np.random.default_rng(\(seed))
            spectrum = np.array(\(spectrum), dtype=np.float64)
            u, _ = np.linalg.qr(rng.standard_normal((\(rows), len(spectrum))))
            v, _ = np.linalg.qr(rng.standard_normal((\(cols), len(spectrum))))
            a = (u * spectrum) @ v.T
            if \(noise) > 0: a = a + \(noise) * rng.standard_normal((\(rows), \(cols)))
            a = a.astype(np.float32)
            s = np.linalg.svd(a.astype(np.float64), compute_uv=False)
            print(" ".join(repr(float(x)) for x in a.ravel()))
            print(" ".join(repr(float(x)) for x in s[:\(kept)]))
            print(repr(float(np.sqrt(np.sum(s[\(kept):] ** 2) / a.size))))
            """
        let result = try Python.run(script)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        return (lines[0].split(separator: " ").map { Float(String($0))! }, lines[1].split(separator: " ").map { Float(String($0))! },
                Double(String(lines[2]))!)
    }

    /// A 300 x 200 matrix of rank 6 with singular values 60, 30, 15, 8, 4, 2, plus Gaussian
    /// noise of standard deviation 0.01, every entry a training entry, the entries row after
    /// row or (`columnOrder`) column after column.
    private func spectrumProblem(columnOrder: Bool = false) throws -> (problem: TrainingProblem, values: [Float]) {
        let matrix = try numpyMatrix(rows: 300, cols: 200, spectrum: "[60, 30, 15, 8, 4, 2]", noise: 0.01, seed: 3, kept: 6)
        return (Self.complete(matrix.values, rows: 300, cols: 200, transposed: false, columnOrder: columnOrder), matrix.sigma)
    }

    private func svd(_ k: Int, _ params: [(String, JSONValue)] = []) throws -> FactorizationRequest {
        try SolverFixtures.request("svd", [("k", .number(Double(k)))] + params)
    }

    func testSingularValuesMatchLAPACKsFullSVD() throws {
        let (problem, expected) = try spectrumProblem()
        let model = try SVDFactorizer.train(problem, request: svd(6))
        XCTAssertEqual(model.sigma.count, 6)
        for (found, reference) in zip(model.sigma, expected) {
            // float32 products and a 4-iteration subspace leave about 1e-6 relative here;
            // 1e-4 is the promise.
            XCTAssertLessThan(abs(found - reference) / reference, 1e-4, "\(model.sigma) against \(expected)")
        }
        // The noise has standard deviation 0.01; a rank-6 fit leaves it (minus the little
        // that falls in the signal's subspace), so 0.011 fails any fit missing signal.
        XCTAssertLessThan(SolverFixtures.rmse(model, on: try problem.entries.table()), 0.011, "rank 6 leaves only the noise")
    }

    func testEntriesInColumnOrderAreLaidOutByColumnWithTheSameSingularValues() throws {
        let (byRow, expected) = try spectrumProblem()
        let (byColumn, _) = try spectrumProblem(columnOrder: true)
        XCTAssertEqual(try byRow.dense()?.byColumn, false)
        XCTAssertEqual(try byColumn.dense()?.byColumn, true, "entries that arrive column by column are stored so")
        let (fromRows, fromColumns) = (try SVDFactorizer.train(byRow, request: svd(6)), try SVDFactorizer.train(byColumn, request: svd(6)))
        for (found, reference) in zip(fromColumns.sigma, expected) {
            XCTAssertLessThan(abs(found - reference) / reference, 1e-4, "\(fromColumns.sigma) against \(expected)")
        }
        for (a, b) in zip(fromRows.sigma, fromColumns.sigma) { XCTAssertEqual(a, b, accuracy: 1e-5 * b) }
        XCTAssertLessThan(SolverFixtures.rmse(fromColumns, on: try byColumn.entries.table()), 0.011, "rank 6 leaves only the noise")
    }

    /// The order of a complete matrix's entries is recorded in its artifact (`cell_order`)
    /// and, in an artifact without that record (as earlier versions wrote them), recognized
    /// across the slices its moments are taken in (65,536 entries, here ending mid-row and
    /// mid-column). Either way, in row or column order the values are used in place, with
    /// the same moments to the bit and the first negative value at its cell; one pair out of
    /// order past the first slice, and nothing is recorded and the values are laid out by
    /// copy, each in its cell.
    func testEntryOrderIsRecordedOrCheckedAcrossSlices() throws {
        let (rows, cols) = (300, 301)
        let negative = (row: 265, col: 235)
        let scratch = try Scratch()
        defer { scratch.remove() }
        var moments: [String: [Double]] = [:]
        for (name, order, swapped, recorded) in [("rows", CellOrder.rows, false, true), ("rows, unrecorded", .rows, false, false),
                                                  ("columns", .columns, false, true), ("columns, unrecorded", .columns, false, false),
                                                  ("rows, one pair swapped", .rows, true, true)] {
            var table = RatingTable()
            for cell in 0..<rows * cols {
                let (row, col) = order == .columns ? (cell % rows, cell / rows) : (cell / cols, cell % cols)
                let value = Float(row * 1000 + col)
                table.append(row: Int32(row), col: Int32(col), value: (row, col) == negative ? -value : value)
            }
            if swapped {
                (table.rows[70_000], table.rows[80_000]) = (table.rows[80_000], table.rows[70_000])
                (table.cols[70_000], table.cols[80_000]) = (table.cols[80_000], table.cols[70_000])
                (table.values[70_000], table.values[80_000]) = (table.values[80_000], table.values[70_000])
            }
            let url = scratch.root.appendingPathComponent("\(name).h5")
            let file = try HDF5File.create(url, layout: .contiguous)
            if recorded {
                try RatingData(rowIDs: .oneBased(count: rows), colIDs: .oneBased(count: cols), parts: [.all: table]).write(to: file.root)
            } else {
                try table.write(to: file.root.createGroup("parts").createGroup("all"))
            }
            try file.close()
            let entries = try ArtifactEntries(url: url, normalization: .none(rows: rows, cols: cols))
            XCTAssertEqual(entries.cellOrder, recorded && !swapped ? order : nil, name)
            let problem = try TrainingProblem(rows: rows, cols: cols, entries: entries, validation: RatingTable(), keepingDense: true, threads: 2)
            let dense = try XCTUnwrap(try problem.dense())
            XCTAssertEqual(dense.byColumn, order == .columns, name)
            let mapped = try XCTUnwrap(try entries.valuesInPlace())
            withExtendedLifetime(mapped.owner) {
                XCTAssertEqual(mapped.values.elementsEqual(dense.values), !swapped, "\(name): the values in place")
            }
            for (row, col) in [(0, 0), (217, 219), (232, 168), (299, 300)] {
                let index = order == .columns ? col * rows + row : row * cols + col
                XCTAssertEqual(dense.values[index], Float(row * 1000 + col), "\(name): cell (\(row), \(col))")
            }
            let first = try XCTUnwrap(problem.firstNegative, name)
            XCTAssertEqual([Int(first.row), Int(first.col)], [negative.row, negative.col], name)
            moments[name] = [problem.mean, problem.deviation, problem.rootMeanSquare]
        }
        XCTAssertEqual(moments["rows"], moments["rows, unrecorded"])
        XCTAssertEqual(moments["columns"], moments["columns, unrecorded"])
    }

    /// An artifact of a complete matrix in column order (as a MatrixMarket array is read) is
    /// factorized from the file's mapping, with the values read in place; the same entries
    /// shuffled, or normalized, are laid out by copy. All give LAPACK's singular values.
    func testAnArtifactIsReadInPlaceWhenItsEntriesAreInOrder() throws {
        let (problem, expected) = try spectrumProblem(columnOrder: true)
        let scratch = try Scratch()
        defer { scratch.remove() }
        var shuffled = try problem.entries.table()
        var random = SplitMix64(seed: 9)
        for index in stride(from: shuffled.count - 1, to: 0, by: -1) {
            let other = Int(random.next() % UInt64(index + 1))
            (shuffled.rows[index], shuffled.rows[other]) = (shuffled.rows[other], shuffled.rows[index])
            (shuffled.cols[index], shuffled.cols[other]) = (shuffled.cols[other], shuffled.cols[index])
            (shuffled.values[index], shuffled.values[other]) = (shuffled.values[other], shuffled.values[index])
        }
        var shifted = Normalization.none(rows: 300, cols: 200)
        shifted.mean = 0.5
        for (name, table, normalization, inPlace) in [("in order", try problem.entries.table(), Normalization.none(rows: 300, cols: 200), true),
                                                      ("shuffled", shuffled, .none(rows: 300, cols: 200), false),
                                                      ("normalized", try problem.entries.table(), shifted, false)] {
            let url = scratch.root.appendingPathComponent("\(name).h5")
            let file = try HDF5File.create(url, layout: .contiguous)
            try RatingData(rowIDs: .oneBased(count: 300), colIDs: .oneBased(count: 200), parts: [.all: table]).write(to: file.root)
            try file.close()
            let entries = try ArtifactEntries(url: url, normalization: normalization)
            XCTAssertEqual(try entries.valuesInPlace() != nil, normalization == .none(rows: 300, cols: 200), name)
            let artifact = try TrainingProblem(rows: 300, cols: 200, entries: entries, validation: RatingTable(), keepingDense: true, threads: 2)
            let dense = try XCTUnwrap(try artifact.dense())
            XCTAssertEqual(dense.byColumn, name != "shuffled", name)
            let mapped = try entries.valuesInPlace()
            let same = mapped.map { mapped in withExtendedLifetime(mapped.owner) { mapped.values.elementsEqual(dense.values) } }
            XCTAssertEqual(same, name == "normalized" ? nil : inPlace, "\(name): the values in place")
            // The shift by 0.5 adds a rank-one part: the normalized matrix needs one rank more.
            let model = try SVDFactorizer.train(artifact, request: svd(name == "normalized" ? 7 : 6))
            for (found, reference) in zip(model.sigma, expected) where name != "normalized" {
                XCTAssertLessThan(abs(found - reference) / reference, 1e-4, "\(name): \(model.sigma) against \(expected)")
            }
            XCTAssertLessThan(SolverFixtures.rmse(model, on: try artifact.entries.table()), 0.011, "\(name): the signal's rank leaves only the noise")
        }
    }

    /// A complete 5000 x 40 matrix whose singular values fall geometrically from 1000 to 0.1,
    /// entered by row, by column, and transposed (40 x 5000); LAPACK's singular values of it
    /// (double precision) and the RMSE a rank-30 truncation leaves.
    private func narrowProblems() throws -> (problems: [(name: String, problem: TrainingProblem)], sigma: [Float], residual: Double) {
        let matrix = try numpyMatrix(rows: 5000, cols: 40, spectrum: "np.geomspace(1000, 0.1, 40)", seed: 4, kept: 30)
        let problems = [("by row", false, false), ("by column", false, true), ("transposed, by row", true, false),
                        ("transposed, by column", true, true)].map { name, transposed, columnOrder in
            (name, Self.complete(matrix.values, rows: 5000, cols: 40, transposed: transposed, columnOrder: columnOrder))
        }
        return (problems, matrix.sigma, matrix.residual)
    }

    /// The complete matrix whose row-major values are `values` (`rows` x `cols`), or its
    /// transpose, its entries row after row or column after column.
    private static func complete(_ values: [Float], rows: Int, cols: Int, transposed: Bool, columnOrder: Bool) -> TrainingProblem {
        let (height, width) = transposed ? (cols, rows) : (rows, cols)
        var table = RatingTable()
        for cell in 0..<rows * cols {
            let (row, col) = columnOrder ? (cell % height, cell / height) : (cell / width, cell % width)
            table.append(row: Int32(row), col: Int32(col), value: transposed ? values[col * cols + row] : values[row * cols + col])
        }
        return TrainingProblem(rows: height, cols: width, train: table, validation: RatingTable())
    }

    /// A complete matrix with a narrow side is factorized exactly, in one iteration, from the
    /// Gram matrix of that side, formed in double precision: its 30 largest singular values
    /// match LAPACK's to 1e-4 although σ₁² / σ₃₀² is about 10⁶ (a float Gram matrix would
    /// lose the smaller ones), in any orientation and storage order, with the same bits on
    /// one and two threads.
    func testANarrowCompleteMatrixIsFactorizedExactlyFromItsGramMatrix() throws {
        let (problems, expected, residual) = try narrowProblems()
        for (name, problem) in problems {
            let model = try SVDFactorizer.train(problem, request: svd(30), environment: .plain(threads: 2))
            XCTAssertEqual(model.info.iterations, 1, "\(name): exact, from the Gram matrix")
            XCTAssertEqual(model.sigma.count, 30)
            for (index, (found, reference)) in zip(model.sigma, expected).enumerated() {
                XCTAssertLessThan(abs(found - reference) / reference, 1e-4, "\(name): σ\(index + 1) \(found) against \(reference)")
            }
            let rmse = SolverFixtures.rmse(model, on: try problem.entries.table())
            XCTAssertEqual(rmse, residual, accuracy: 0.01 * residual, "\(name): the truncation leaves the 10 smallest components")
        }
        XCTAssertEqual(try SolverFixtures.threadAndResumeDifferences(SVDFactorizer.self, problems[0].problem, svd(30), stopAfter: 1), [])
    }

    /// A square matrix also takes the exact way when that is cheaper, from the Gram matrix of
    /// its columns whichever order its entries arrive in.
    func testASquareMatrixIsFactorizedExactlyInEitherOrder() throws {
        let (values, expected, residual) = try numpyMatrix(rows: 60, cols: 60, spectrum: "np.geomspace(100, 0.01, 60)", seed: 5, kept: 10)
        for columnOrder in [false, true] {
            let problem = Self.complete(values, rows: 60, cols: 60, transposed: false, columnOrder: columnOrder)
            XCTAssertEqual(try problem.dense()?.byColumn, columnOrder)
            let model = try SVDFactorizer.train(problem, request: svd(10))
            XCTAssertEqual(model.info.iterations, 1, "exact, from the Gram matrix")
            for (index, (found, reference)) in zip(model.sigma, expected).enumerated() {
                XCTAssertLessThan(abs(found - reference) / reference, 1e-4, "column order \(columnOrder): σ\(index + 1) \(found) against \(reference)")
            }
            XCTAssertEqual(SolverFixtures.rmse(model, on: try problem.entries.table()), residual, accuracy: 0.01 * residual,
                           "column order \(columnOrder): the truncation leaves the 50 smallest components")
        }
    }

    func testMissingEntriesCountAsZeroResiduals() throws {
        var table = RatingTable()
        var random = SplitMix64(seed: 5)
        for row in 0..<40 {
            for col in 0..<30 where random.nextUnitDouble() < 0.5 {
                table.append(row: Int32(row), col: Int32(col), value: Float(random.nextGaussian()))
            }
        }
        let sparse = TrainingProblem(rows: 40, cols: 30, train: table, validation: RatingTable())
        var filled = RatingTable()
        var lookup: [Int: Float] = [:]
        for entry in 0..<table.count { lookup[Int(table.rows[entry]) * 30 + Int(table.cols[entry])] = table.values[entry] }
        for row in 0..<40 {
            for col in 0..<30 { filled.append(row: Int32(row), col: Int32(col), value: lookup[row * 30 + col] ?? 0) }
        }
        let complete = TrainingProblem(rows: 40, cols: 30, train: filled, validation: RatingTable())
        let request = try SolverFixtures.request("svd", [("k", .number(5)), ("power_iterations", .number(10)), ("impute_rounds", .number(0))])
        let (fromSparse, fromFilled) = (try SVDFactorizer.train(sparse, request: request), try SVDFactorizer.train(complete, request: request))
        for (a, b) in zip(fromSparse.sigma, fromFilled.sigma) {
            XCTAssertEqual(a, b, accuracy: 1e-4 * b, "the same matrix, sparse or dense")
        }
    }

    /// Hard-impute: each round factors the entries with the last model filling the rest,
    /// by one subspace iteration from the last round's V. On an exact rank-3 matrix with half
    /// its entries missing, the held-out error falls far below the one SVD's (which takes the
    /// missing entries as zeros), and without momentum the training error falls round after
    /// round.
    func testImputationRoundsRecoverAMatrixWithMissingEntries() throws {
        let problem = SolverFixtures.lowRankProblem(rows: 120, cols: 80, rank: 3, observed: 0.5, seed: 9)
        let once = try SVDFactorizer.train(problem, request: try svd(3, [("impute_rounds", .number(0))]))
        let rounds = try SVDFactorizer.train(problem, request: try svd(3, [("impute_rounds", .number(60)), ("patience", .number(0)),
                                                                          ("momentum", .bool(false))]))
        let (heldOutOnce, heldOut) = (SolverFixtures.rmse(once, on: problem.validation), SolverFixtures.rmse(rounds, on: problem.validation))
        XCTAssertGreaterThan(heldOutOnce, 0.2, "the zeros pull the one SVD far from the missing values")
        XCTAssertLessThan(heldOut, 0.01 * heldOutOnce, "\(heldOut) against \(heldOutOnce)")
        let training = rounds.info.curve.map(\.trainRMSE).filter { !$0.isNaN }
        XCTAssertEqual(training.count, 60)
        for (earlier, later) in zip(training, training.dropFirst()) {
            XCTAssertLessThanOrEqual(later, earlier * (1 + 1e-4), "the training error does not rise from round to round")
        }
    }

    /// Momentum fills the missing entries from the last model carried on along its last
    /// step: on a rank-3 matrix with four fifths of its entries missing it reaches the
    /// training error of 60 plain rounds in at most half as many, and ends closer to the
    /// held-out entries.
    func testMomentumReachesTheFitOfPlainRoundsInFewerRounds() throws {
        let problem = SolverFixtures.lowRankProblem(rows: 200, cols: 150, rank: 3, observed: 0.2, seed: 4)
        func train(momentum: Bool) throws -> FactorModel {
            try SVDFactorizer.train(problem, request: try svd(3, [("impute_rounds", .number(60)), ("patience", .number(0)),
                                                                  ("momentum", .bool(momentum))]))
        }
        let (plain, accelerated) = (try train(momentum: false), try train(momentum: true))
        let target = try XCTUnwrap(plain.info.curve.last).trainRMSE
        let reached = try XCTUnwrap(accelerated.info.curve.firstIndex { $0.trainRMSE <= target }, "momentum never reached \(target)") + 1
        XCTAssertLessThanOrEqual(reached, 30, "rounds to the training RMSE \(target) of 60 plain rounds (22 when written)")
        XCTAssertLessThan(SolverFixtures.rmse(accelerated, on: problem.validation), SolverFixtures.rmse(plain, on: problem.validation))
    }

    func testTheSameBitsOnOneAndTwoThreadsAndAfterAResume() throws {
        for observed in [1.0, 0.3] {
            let problem = SolverFixtures.lowRankProblem(rows: 800, cols: 600, rank: 5, observed: observed, seed: 6)
            let request = try svd(8)
            XCTAssertEqual(try SolverFixtures.threadAndResumeDifferences(SVDFactorizer.self, problem, request, stopAfter: 2), [],
                           "observed \(observed)")
        }
    }

    /// A complete matrix of values near the float maximum: its products overflow (the layout
    /// scales the thin results, never the matrix), and the run stops with the divergence
    /// error that points at the input, at the end of the first round, rather than ending with
    /// a model of NaNs.
    func testOverflowingProductsAreReportedAsDivergence() throws {
        var table = RatingTable()
        var random = SplitMix64(seed: 3)
        for row in 0..<300 {
            for col in 0..<200 { table.append(row: Int32(row), col: Int32(col), value: 2e38 + Float(random.next() % 1000) * 1e35) }
        }
        let problem = try TrainingProblem(rows: 300, cols: 200, entries: TableEntries(table), validation: RatingTable(), keepingDense: true)
        XCTAssertNotNil(try problem.dense())
        XCTAssertThrowsError(try SVDFactorizer.train(problem, request: svd(6))) { error in
            XCTAssertEqual("\(error)", "diverged at round 1 (the objective is no longer finite); check the input for extreme values")
        }
    }

    func testARankAboveTheMatrixsIsRefused() throws {
        let problem = SolverFixtures.lowRankProblem(rows: 10, cols: 8, rank: 2, observed: 1, seed: 1)
        XCTAssertThrowsError(try SVDFactorizer.train(problem, request: svd(9))) { error in
            guard case let .rankTooLarge(k, rows, cols)? = error as? UnsuitableData else { return XCTFail("\(error)") }
            XCTAssertEqual([k, rows, cols], [9, 10, 8])
        }
    }
}
