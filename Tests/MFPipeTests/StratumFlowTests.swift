import Foundation
import MFPipe
import XCTest

/// SGD's block order on threads: every block must see its row and column bins exactly as
/// training stratum by stratum leaves them, and a cancelled epoch must stop on a stratum's
/// boundary.
final class StratumFlowTests: XCTestCase {
    /// What the blocks saw, under one lock: how often each row and column bin was trained
    /// and every block's trainings.
    private final class Trace: @unchecked Sendable {
        let lock = NSLock()
        var rowUses: [Int]
        var colUses: [Int]
        var runs: [Int]
        var violations: [String] = []

        init(grid: Int) {
            rowUses = [Int](repeating: 0, count: grid)
            colUses = [Int](repeating: 0, count: grid)
            runs = [Int](repeating: 0, count: grid * grid)
        }

        /// Checks that block (index, stratum) meets its bins `stratum - first` trainings old.
        func train(_ strata: Strata, _ index: Int, _ stratum: Int, first: Int) {
            let (rowBin, colBin) = strata.block(index, ofStratum: stratum)
            lock.lock()
            if rowUses[rowBin] != stratum - first || colUses[colBin] != stratum - first {
                violations.append("block \(index) of stratum \(stratum) met row \(rowUses[rowBin]), column \(colUses[colBin])")
            }
            runs[stratum * strata.grid + index] += 1
            lock.unlock()
            usleep(UInt32((index * 7 + stratum * 3) % 5) * 20)
            lock.lock()
            rowUses[rowBin] += 1
            colUses[colBin] += 1
            lock.unlock()
        }
    }

    func testEveryBlockMeetsItsBinsAsStratumOrderLeavesThem() {
        for (grid, first) in [(1, 0), (2, 0), (7, 0), (8, 3), (34, 0), (34, 33)] {
            for threads in [1, 2, 3] {
                let strata = Strata(grid: grid, seed: 5, epoch: grid + threads)
                let trace = Trace(grid: grid)
                let end = StratumFlow.run(strata, from: first, threads: threads, isCancelled: { false }) { index, stratum in
                    trace.train(strata, index, stratum, first: first)
                }
                XCTAssertEqual(end, grid)
                XCTAssertEqual(trace.violations, [], "grid \(grid), \(threads) threads")
                XCTAssertEqual(trace.runs, (0..<(grid * grid)).map { $0 / grid >= first ? 1 : 0 }, "grid \(grid), \(threads) threads")
            }
        }
    }

    func testCancellationEndsOnAStratumBoundary() {
        for (calls, threads) in [(0, 2), (1, 2), (40, 2), (150, 3), (40, 1)] {
            let grid = 16
            let strata = Strata(grid: grid, seed: 9, epoch: calls)
            let trace = Trace(grid: grid)
            let end = StratumFlow.run(strata, from: 2, threads: threads, isCancelled: {
                trace.lock.lock()
                defer { trace.lock.unlock() }
                return trace.runs.reduce(0, +) >= calls
            }) { index, stratum in
                trace.train(strata, index, stratum, first: 2)
            }
            XCTAssertLessThan(end, grid, "\(calls) calls, \(threads) threads")
            XCTAssertGreaterThanOrEqual(end, 2 + calls / grid)
            XCTAssertEqual(trace.violations, [])
            XCTAssertEqual(trace.runs, (0..<(grid * grid)).map { (2..<end).contains($0 / grid) ? 1 : 0 },
                           "\(calls) calls, \(threads) threads: every block of strata 2..<\(end) once, no other")
        }
    }

    func testAutomaticGridIsEvenFromFourSides() {
        let grids = [100_000, 200_000, 1_500_000, 9_000_000, 96_000_000, 2_000_000_000].map {
            BlockedRatings.automaticGrid(rows: 500_000, cols: 20_000, count: $0)
        }
        XCTAssertEqual(grids, [4, 6, 14, 34, 110, 256], "5 and 13.7 a side by size round up to 6 and 14")
        XCTAssertEqual(BlockedRatings.automaticGrid(rows: 600, cols: 9_000, count: 64_000), 3, "below 4 a side, as computed")
    }

    func testConsecutiveStrataShiftColumnsByAnEvenStepButSevenTimes() {
        for grid in [8, 10, 34, 110] {
            let strata = Strata(grid: grid, seed: 3, epoch: 1)
            let turns = (1..<grid).filter { strata.index(sharingColumnOf: 0, stratum: $0, in: $0 - 1) % 2 != 0 }
            XCTAssertEqual(turns.count, 7, "grid \(grid): four runs of each parity, alternating")
            let shifts = (0..<grid).map { strata.index(sharingColumnOf: 0, stratum: $0, in: 0) }
            XCTAssertEqual(Set(shifts).count, grid, "grid \(grid): every shift once")
        }
    }
}
