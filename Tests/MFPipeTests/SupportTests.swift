import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The small pieces everything rests on: SHA-256, JSON, the seeded generator, the
/// fixed-chunk parallel sums.
final class SupportTests: XCTestCase {
    /// Error metrics over 200,000 entries (four chunks) have the same bits on one and two
    /// threads, and equal the plain sums.
    func testErrorMetricsHaveTheSameBitsOnAnyThreadCount() {
        var random = SplitMix64(seed: 21)
        var table = RatingTable()
        for entry in 0..<200_000 { table.append(row: Int32(entry % 977), col: Int32(entry % 313), value: Float(random.nextGaussian())) }
        let predict = { (row: Int32, col: Int32) in Double(row % 7) * 0.1 - Double(col % 5) * 0.05 }
        let (one, two) = (ErrorMetrics.measure(table, threads: 1, predict: predict), ErrorMetrics.measure(table, threads: 2, predict: predict))
        XCTAssertEqual(one.rmse.bitPattern, two.rmse.bitPattern)
        XCTAssertEqual(one.mae.bitPattern, two.mae.bitPattern)
        var (squared, absolute) = (0.0, 0.0)
        for entry in 0..<table.count {
            let error = Double(table.values[entry]) - predict(table.rows[entry], table.cols[entry])
            (squared, absolute) = (squared + error * error, absolute + abs(error))
        }
        XCTAssertEqual(one.rmse, (squared / 200_000).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(one.mae, absolute / 200_000, accuracy: 1e-12)

        // The standard error of the mean squared error: the squared errors' sample sd over √n.
        let se = (ErrorMetrics.meanSquareStandardError(table, threads: 1, predict: predict),
                  ErrorMetrics.meanSquareStandardError(table, threads: 2, predict: predict))
        XCTAssertEqual(se.0.bitPattern, se.1.bitPattern)
        let mean = squared / 200_000
        var deviations = 0.0
        for entry in 0..<table.count {
            let error = Double(table.values[entry]) - predict(table.rows[entry], table.cols[entry])
            deviations += (error * error - mean) * (error * error - mean)
        }
        XCTAssertEqual(se.0, (deviations / 199_999 / 200_000).squareRoot(), accuracy: 1e-12)
        XCTAssertTrue(ErrorMetrics.meanSquareStandardError(RatingTable(rows: [0], cols: [0], values: [1]), predict: predict).isNaN)
    }

    /// On one validation set the one-standard-error rule takes the smallest k whose
    /// validation mean squared error is within one standard error of the lowest model's;
    /// the lowest rule takes the lowest.
    func testTheOneStandardErrorRuleOnOneValidationSet() {
        func score(_ k: Int, _ rmse: Double, _ se: Double) -> Evaluation.ModelScore {
            var score = Evaluation.ModelScore(node: "factorize[k=\(k)]", k: k, algorithm: "als", validation: ErrorMetrics(rmse: rmse, mae: .nan))
            score.validationMSESE = se
            return score
        }
        // 0.50² = 0.25; the lowest, 0.49² = 0.2401, plus its standard error 0.01 is 0.2501.
        let models = [score(2, 0.60, 0.01), score(3, 0.50, 0.01), score(4, 0.495, 0.01), score(5, 0.49, 0.01)]
        XCTAssertEqual(SelectionRule.lowest.choose(models), 3)
        XCTAssertEqual(SelectionRule.oneStandardError.choose(models), 1)
        var tighter = models
        tighter[3].validationMSESE = 0.005
        XCTAssertEqual(SelectionRule.oneStandardError.choose(tighter), 2, "0.495² = 0.2450 is within 0.2451, 0.25 is not")
        tighter[3].validationMSESE = .nan
        XCTAssertEqual(SelectionRule.oneStandardError.choose(tighter), 3, "without a standard error, the lowest")
    }

    /// Two factorize stages sweep the same ranks: of the models of the smallest k within one
    /// standard error, the rule takes the one with the lower validation RMSE, whatever the
    /// order of the stages' names.
    func testTheOneStandardErrorRuleTakesTheBetterOfTwoStagesModelsOfOneK() {
        func score(_ stage: String, _ k: Int, _ rmse: Double) -> Evaluation.ModelScore {
            var score = Evaluation.ModelScore(node: "\(stage)[k=\(k)]", k: k, algorithm: "als", validation: ErrorMetrics(rmse: rmse, mae: .nan))
            score.validationMSESE = 0.01
            return score
        }
        // 0.49² + 0.01 = 0.2501: both k = 3 models are within it, and k = 2 is not.
        let models = [score("a_heavy", 2, 0.60), score("b_light", 2, 0.61), score("a_heavy", 3, 0.50), score("b_light", 3, 0.495),
                      score("a_heavy", 4, 0.49), score("b_light", 4, 0.492)]
        XCTAssertEqual(SelectionRule.oneStandardError.choose(models), 3)
        XCTAssertEqual(SelectionRule.lowest.choose(models), 4)
    }

    /// Measured values keep four decimals on a rating scale and four significant digits on
    /// any other.
    func testMetricTextKeepsTheDigitsOfAValueOnAnyScale() {
        XCTAssertEqual(MetricText.format(0.84329), "0.8433")
        XCTAssertEqual(MetricText.format(0), "0.0000")
        XCTAssertEqual(MetricText.format(-2.5), "-2.5000")
        XCTAssertEqual(MetricText.format(0.001), "0.0010")
        XCTAssertEqual(MetricText.format(0.00049871), "0.0004987")
        XCTAssertEqual(MetricText.format(1.66e-8), "1.660e-08")
        XCTAssertEqual(MetricText.format(99_999.5), "99999.5000")
        XCTAssertEqual(MetricText.format(1_311_669.5859), "1.312e+06")
        XCTAssertEqual(MetricText.format(1e30), "1.000e+30")
    }

    /// Ratings a million times smaller than stars: the summaries, the report and `inspect`
    /// give each RMSE with its digits (before, "0.0000" throughout), equal to the export's.
    func testRatingsOnATinyScaleAreReportedWithTheirDigits() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let synth = try MFPipeBinary.run(["synth", "--output", "data/stars.csv", "--rows", "200", "--cols", "100",
                                          "--ratings", "5000", "--seed", "3"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        let scaled = try Python.run("""
            import sys
            lines = open(sys.argv[1]).read().splitlines()
            with open(sys.argv[2], "w") as out:
                for line in lines:
                    row, col, value = line.split(",")[:3]
                    out.write(f"{row},{col},{float(value) * 1e-6!r}\\n")
            """, arguments: [scratch.url("data/stars.csv").path, scratch.url("data/tiny.csv").path])
        XCTAssertEqual(scaled.exitCode, 0, scaled.stderr)
        try scratch.write("""
            {"version": 1, "name": "tiny", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/tiny.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"algorithm": "als", "k": [2, 4]}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/tiny.h5"}},
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "../out/tiny.md"}}]}
            """, to: "pipelines/tiny.json")
        let run = try MFPipeBinary.run(["run", "pipelines/tiny.json"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let check = try Python.run("""
            import re, sys, h5py
            log, report = sys.argv[3], open(sys.argv[2]).read()
            with h5py.File(sys.argv[1], "r") as f:
                refit = f["models"][f["models"].attrs["chosen"]].attrs["test_rmse"]
                sweep = f["sweep"]["test_rmse"][:]
            assert 1e-8 < refit < 1e-5, refit
            text = "%#.4g" % refit
            assert re.fullmatch(r"\\d\\.\\d{3}e-0\\d", text), text
            assert f"test RMSE {text}, test MAE" in report, (text, report[:600])
            assert f"test RMSE {text} (bias baseline" in log, text
            for value in sweep:
                assert f"test RMSE {'%#.4g' % value}, test MAE" in log, value
            assert "0.0000" not in log, "a value lost its digits"
            """, arguments: [scratch.url("out/tiny.h5").path, scratch.url("out/tiny.md").path, run.stdout + run.stderr])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        let inspect = try MFPipeBinary.run(["inspect", "out/tiny.h5"], in: scratch.root)
        XCTAssertEqual(inspect.exitCode, 0, inspect.stderr)
        XCTAssertNil(inspect.stdout.range(of: "0.0000"), inspect.stdout)
        XCTAssertNotNil(inspect.stdout.range(of: #"test_rmse \d\.\d{3}e-0\d"#, options: .regularExpression), inspect.stdout)
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(of: ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSHA256IsIndependentOfHowBytesAreFed() {
        let text = String(repeating: "mfpipe ", count: 300)
        var pieces = SHA256()
        let bytes = Array(text.utf8)
        var offset = 0
        for size in [1, 63, 64, 65, 7, 1000] where offset < bytes.count {
            let end = min(bytes.count, offset + size)
            bytes[offset..<end].withUnsafeBytes { pieces.update($0) }
            offset = end
        }
        bytes[offset...].withUnsafeBytes { pieces.update($0) }
        XCTAssertEqual(pieces.finalizeHex(), SHA256.hex(of: text))
    }

    func testJSONRoundTripKeepsOrderAndCanonicalFormSortsKeys() throws {
        let text = #"{"b": [1, 2.5, -3e2, true, null], "a": {"z": "\u00e9\n\"q\"", "y": {}}}"#
        let value = try JSONParser.parse(Data(text.utf8))
        XCTAssertEqual(value.objectValue?.map(\.key), ["b", "a"])
        XCTAssertEqual(JSONWriter.canonical(value), #"{"a":{"y":{},"z":"é\n\"q\""},"b":[1,2.5,-300,true,null]}"#)
        XCTAssertEqual(try JSONParser.parse(Data(JSONWriter.pretty(value).utf8)), value)
    }

    func testJSONSyntaxErrorsGiveLineAndColumn() {
        for (text, line, column, message) in [
            ("{\n  \"a\": 1,\n}", 3, 1, "unexpected '}'; expected a quoted key"),
            ("[1, 2", 1, 6, "unexpected end of file; expected ',' or ']'"),
            ("{\"a\": 01}", 1, 7, "a number with a leading zero"),
            ("{\"a\": tru}", 1, 7, "unexpected 't'; expected a value"),
            ("{} x", 1, 4, "unexpected 'x' after the document; expected the end of the file"),
        ] {
            XCTAssertThrowsError(try JSONParser.parse(Data(text.utf8)), text) { error in
                let syntax = error as? JSONParser.SyntaxError
                XCTAssertEqual(syntax?.line, line, text)
                XCTAssertEqual(syntax?.column, column, text)
                XCTAssertEqual(syntax?.message, message, text)
            }
        }
    }

    func testSeededGeneratorIsReproducibleAndStreamsDiffer() {
        var first = SplitMix64(seed: 42, stream: "split")
        var second = SplitMix64(seed: 42, stream: "split")
        var other = SplitMix64(seed: 42, stream: "sgd")
        let a = (0..<5).map { _ in first.next() }
        XCTAssertEqual(a, (0..<5).map { _ in second.next() })
        XCTAssertNotEqual(a, (0..<5).map { _ in other.next() })
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { counts[first.nextIndex(below: 10)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
        var sum = 0.0
        var squares = 0.0
        for _ in 0..<100_000 {
            let sample = first.nextGaussian()
            sum += sample
            squares += sample * sample
        }
        XCTAssertEqual(sum / 100_000, 0, accuracy: 0.02)
        XCTAssertEqual(squares / 100_000, 1, accuracy: 0.02)
    }

    func testRankSweepForms() {
        XCTAssertEqual(RankSweep.ranks(.number(16)), [16])
        XCTAssertEqual(RankSweep.ranks(.array([.number(8), .number(32)])), [8, 32])
        XCTAssertEqual(RankSweep.ranks(.object([("from", .number(8)), ("to", .number(32)), ("step", .number(8))])), [8, 16, 24, 32])
        XCTAssertNil(RankSweep.ranks(.number(0)))
        XCTAssertNil(RankSweep.ranks(.array([.number(8), .number(8)])))
        XCTAssertNil(RankSweep.ranks(.object([("from", .number(8))])))
    }

    func testCountTextAgreesWithItsCount() {
        XCTAssertEqual([0, 1, 2].map { CountText.of($0, "row") }, ["0 rows", "1 row", "2 rows"])
        XCTAssertEqual([1, 3].map { CountText.of($0, "entry", plural: "entries") }, ["1 entry", "3 entries"])
    }

    /// printf's text for one double, whatever its length: 1e300 in "%.0f" has 301 digits.
    func testPrintfTextWritesOneDoubleAsCDoes() {
        XCTAssertEqual(PrintfText.double("%.2f", 3.14159), "3.14")
        XCTAssertEqual(PrintfText.double("%.1f MB", 23.72), "23.7 MB")
        XCTAssertEqual(PrintfText.double("%.4f", .nan), "nan")
        XCTAssertEqual(PrintfText.double("%.0f", 1e300).count, 301)
        XCTAssertEqual(PrintfText.double("%.0f", 1e300), String(format: "%.0f", 1e300))
    }

    func testByteTextUsesTheLargestUnitAboveOne() {
        XCTAssertEqual([1, 950, 1000, 1_210_032, 23_726_560, 999_960_000, 4_100_000_000].map(ByteText.format),
                       ["1 byte", "950 bytes", "1.0 kB", "1.2 MB", "23.7 MB", "1.0 GB", "4.1 GB"])
    }
}
