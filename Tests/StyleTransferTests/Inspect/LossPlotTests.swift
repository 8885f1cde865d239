// LossPlotTests: the SVG plot parses, has one series per term and log, and its points read back as the log's weighted values.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class LossPlotTests: XCTestCase {
    /// Totals are 2 content + 100 style + 5e-4 tv, the weights of the first test.
    static let log = """
        iteration,total,content,style,tv,seconds
        0,150.5,0,1.5,1000,0.5
        1,111.75,0.5,1.1,1500,1.0
        2,20.6,0.3,0.19,2000,1.5
        3,2.7,0.35,0.0095,2100,2.0
        """

    /// The value a y pixel stands for, read off the SVG's own decade grid lines (the lowest and
    /// highest), not from the plot's code.
    static func valueAt(y: Double, ticks: [SVGElements.Element]) -> Double {
        let marks = ticks.compactMap { t -> (y: Double, log: Double)? in
            guard let y = t.attributes["y1"].flatMap(Double.init), let v = t.attributes["data-value"].flatMap(Double.init) else { return nil }
            return (y, log10(v))
        }.sorted { $0.log < $1.log }
        let lo = marks[0], hi = marks[marks.count - 1]
        return pow(10, lo.log + (y - lo.y) / (hi.y - lo.y) * (hi.log - lo.log))
    }

    static func iterationAt(x: Double, ticks: [SVGElements.Element]) -> Double {
        let marks = ticks.compactMap { t -> (x: Double, k: Double)? in
            guard let x = t.attributes["x1"].flatMap(Double.init), let k = t.attributes["data-value"].flatMap(Double.init) else { return nil }
            return (x, k)
        }.sorted { $0.k < $1.k }
        let lo = marks[0], hi = marks[marks.count - 1]
        return lo.k + (x - lo.x) / (hi.x - lo.x) * (hi.k - lo.k)
    }

    func testSeriesPointsAreTheWeightedLogValues() throws {
        let table = try LossTable(csv: Self.log, source: "a.csv")
        let weights = LossWeights(content: 2, style: 100, tv: 5e-4)
        let svg = try SVGElements(try LossPlot(tables: [table], weights: weights).drawing().svg())
        let series = svg.all("path", class: "series")
        XCTAssertEqual(series.compactMap { $0.attributes["data-term"] }, ["total", "content", "style", "tv"], "one series per term")
        let yTicks = svg.all("line", class: "ytick"), xTicks = svg.all("line", class: "xtick")
        XCTAssertGreaterThanOrEqual(yTicks.count, 2)
        let columns = ["total": (1, 1.0), "content": (2, 2.0), "style": (3, 100.0), "tv": (4, 5e-4)]
        let rows = Self.log.split(separator: "\n").dropFirst().map { $0.split(separator: ",").compactMap { Double($0) } }
        for path in series {
            let term = try XCTUnwrap(path.attributes["data-term"]), (column, weight) = try XCTUnwrap(columns[term])
            // Non-positive values (content 0 at iteration 0) cannot be on a log scale and are left out.
            let expected = rows.filter { $0[column] > 0 }.map { (k: $0[0], v: $0[column] * weight) }
            let points = SVGElements.runs(try XCTUnwrap(path.attributes["d"])).flatMap { $0 }
            XCTAssertEqual(points.count, expected.count, term)
            for (point, want) in zip(points, expected) {
                // Coordinates are written to 0.01 px; a decade is ~60 px, so 1e-3 in log10 is generous.
                XCTAssertEqual(log10(Self.valueAt(y: point.y, ticks: yTicks)), log10(want.v), accuracy: 1e-3, "\(term) at \(want.k)")
                XCTAssertEqual(Self.iterationAt(x: point.x, ticks: xTicks), want.k, accuracy: 0.01)
            }
        }
        XCTAssertTrue(try LossPlot(tables: [table], weights: weights).warnings.isEmpty, "the run's weights add up")
    }

    func testWarnsWhenTheWeightsDoNotAddUpToTheTotal() throws {
        let table = try LossTable(csv: "iteration,total,content,style,tv\n0,3,1,1,1\n1,6,2,2,2\n", source: "w.csv")
        XCTAssertTrue(try LossPlot(tables: [table], weights: LossWeights(content: 1, style: 1, tv: 1)).warnings.isEmpty)
        let warnings = try LossPlot(tables: [table], weights: LossWeights(content: 1, style: 100, tv: 1)).warnings
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("w.csv"))
    }

    func testSeveralLogsOverlayAndStagesAreMarked() throws {
        let staged = """
            scale,iteration,total,content,style,tv,seconds
            0.5,0,10,1,0.05,0,0
            0.5,1,8,1,0.03,0,0
            1,2,6,1,0.02,0,0
            1,3,5,1,0.01,0,0
            """
        let a = try LossTable(csv: Self.log, source: "a.csv"), b = try LossTable(csv: staged, source: "b.csv")
        let svg = try SVGElements(try LossPlot(tables: [a, b], weights: LossWeights(content: 1, style: 100, tv: 0)).drawing().svg())
        let series = svg.all("path", class: "series")
        XCTAssertEqual(series.filter { $0.attributes["data-log"] == "a.csv" }.count, 4)
        XCTAssertEqual(series.filter { $0.attributes["data-log"] == "b.csv" }.count, 4)
        let stages = svg.all("line", class: "stage")
        XCTAssertEqual(stages.compactMap { $0.attributes["data-scale"] }, ["0.5", "1"], "a mark at each stage start")
        let x = try XCTUnwrap(stages.last?.attributes["x1"].flatMap(Double.init))
        XCTAssertEqual(Self.iterationAt(x: x, ticks: svg.all("line", class: "xtick")), 2, accuracy: 0.01, "the second stage starts at iteration 2")
        XCTAssertTrue(svg.all("line", class: "stage").allSatisfy { $0.attributes["data-log"] == "b.csv" })
        // tv with gamma 0 is all zeros: the series exists but has no points.
        let tv = try XCTUnwrap(series.first { $0.attributes["data-log"] == "b.csv" && $0.attributes["data-term"] == "tv" })
        XCTAssertTrue(SVGElements.runs(tv.attributes["d"] ?? "").isEmpty)
    }

    /// nst counts each stage's iterations from 0: the stages are drawn one after another,
    /// the second starting where the first ended. Before, both started at x = 0 and overlapped.
    func testStagesThatCountFromZeroFollowOneAnother() throws {
        let staged = """
            iteration,total,content,style,tv,seconds,scale
            0,10,1,0.05,1,0,32
            1,8,1,0.03,1,0,32
            2,7,1,0.02,1,0,32
            0,9,1,0.04,1,0,64
            1,6,1,0.02,1,0,64
            2,5,1,0.01,1,0,64
            """
        let table = try LossTable(csv: staged, source: "c2f.csv")
        XCTAssertEqual(LossPlot.steps(table), [0, 1, 2, 2, 3, 4])
        let svg = try SVGElements(try LossPlot(tables: [table]).drawing().svg())
        let stages = svg.all("line", class: "stage")
        let x = try XCTUnwrap(stages.last?.attributes["x1"].flatMap(Double.init))
        XCTAssertEqual(Self.iterationAt(x: x, ticks: svg.all("line", class: "xtick")), 2, accuracy: 0.01, "the second stage starts where the first ended")
        XCTAssertTrue(svg.all("text").contains { $0.text.contains("stages one after another") })
    }

    func testTextIsEscaped() throws {
        let table = try LossTable(csv: Self.log, source: "a<&>\".csv")
        let second = try LossTable(csv: Self.log, source: "b.csv")
        let svg = try SVGElements(try LossPlot(tables: [table, second]).drawing().svg())
        XCTAssertTrue(svg.all("text").contains { $0.text == "a<&>\".csv" })
    }

    func testPNGHasThePlotSizeAndTheCurveColours() throws {
        let folder = try makeScratchFolder("plot")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("p.png").path
        try LossPlot(tables: [try LossTable(csv: Self.log, source: "a.csv")]).write(to: path, role: "--output")
        let raster = Raster(try Image.load(path: path))
        XCTAssertEqual([raster.width, raster.height], [Int(LossPlot.width), Int(LossPlot.height)])
        // The style curve's orange must appear (anti-aliasing blends its edges, not its core).
        let orange = RGBColor(hex: 0xd0621c).bytes
        var found = false
        for y in 0..<raster.height { for x in 0..<Int(LossPlot.right) where raster.pixel(x: x, y: y) == orange { found = true } }
        XCTAssertTrue(found)
    }

    func testMalformedLogsAreOneLineErrorsNamingTheLine() {
        let cases: [(String, String)] = [
            ("", "is empty"),
            ("iteration,content\n0,1\n", "no 'total' column"),
            ("iteration,total\n", "no rows"),
            ("iteration,total\n0,1\n1,2,3\n", "line 3: 3 fields"),
            ("iteration,total\n0,x\n", "line 2: 'x' in column 'total'"),
            ("iteration,total,total\n0,1,1\n", "twice"),
        ]
        for (text, needle) in cases {
            XCTAssertThrowsError(try LossTable(csv: text, source: "bad.csv")) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.contains("bad.csv") && message.contains(needle), message)
                XCTAssertFalse(message.contains("\n"))
            }
        }
    }
}
