// InspectCLITests: the inspection commands through the real executable: pictures that decode, and bad input as one stderr line.
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

final class InspectCLITests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 2)
        try Image(width: 36, height: 24, pixels: data.uniform(3 * 36 * 24, 0, 1)).writePNG(to: path("a.png"))
        try Image(width: 24, height: 24, pixels: data.uniform(3 * 24 * 24, 0, 1)).writePNG(to: path("b.png"))
        try Data(LossPlotTests.log.utf8).write(to: URL(fileURLWithPath: path("log.csv")))
    }

    func run(_ arguments: [String]) throws -> NSTResult { try NSTProcess.run(arguments, in: folder) }

    func expectSuccess(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> NSTResult {
        let result = try run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result
    }

    func testActivationsSheetDecodesWithTheLayoutSize() throws {
        for device in ["cpu", "opencl"] {
            if device == "opencl" { _ = try OpenCLTestDevice.get() }
            _ = try expectSuccess(["activations", "--image", "a.png", "--layers", "relu1_1,relu2_1", "--channels", "5", "--columns", "4",
                                   "--size", "36", "--tile", "24", "--device", device, "--output", "act-\(device).png"])
            let image = try Image.load(path: path("act-\(device).png"))
            // Two layers of 5 tiles in 4 columns: 2 rows each of 24x16 tiles plus labels.
            let rowHeight = 16 + ActivationSheet.labelHeight + ActivationSheet.gap
            XCTAssertEqual(image.height, 2 * ActivationSheet.margin + 22 + 2 * (ActivationSheet.headingHeight + 2 * rowHeight) - ActivationSheet.gap)
        }
        // VGG-16 (its own layer names) with Caffe's input convention.
        _ = try expectSuccess(["activations", "--image", "a.png", "--layers", "relu3_3", "--model", "vgg16", "--preprocess", "caffe",
                               "--size", "36", "--device", "cpu", "--output", "act-vgg16.png"])
        XCTAssertGreaterThan(try Image.load(path: path("act-vgg16.png")).width, 0)
    }

    func testGramWithCompareAndSheetAndPlotsDecode() throws {
        _ = try expectSuccess(["gram", "--image", "a.png", "--compare", "b.png", "--layers", "relu1_1", "--size", "24", "--device", "cpu", "--output", "g.png"])
        XCTAssertGreaterThanOrEqual(try Image.load(path: path("g.png")).width, 3 * 256)
        _ = try expectSuccess(["sheet", "a.png", "b.png", "--height", "24", "--colors", "64", "--output", "s.png"])
        XCTAssertEqual(try Image.load(path: path("s.png")).width, 36 + 8 + 24)
        _ = try expectSuccess(["plot", "log.csv", "log.csv", "--content-weight", "2", "--output", "p.svg"])
        XCTAssertEqual(try SVGElements(String(contentsOfFile: path("p.svg"), encoding: .utf8)).all("path", class: "series").count, 8)
        _ = try expectSuccess(["plot", "log.csv", "--output", "p.png"])
        XCTAssertEqual(try Image.load(path: path("p.png")).width, Int(LossPlot.width))
    }

    func testExampleConvPrintsTheGridsOnBothBackends() throws {
        for device in ["cpu", "opencl"] {
            if device == "opencl" { _ = try OpenCLTestDevice.get() }
            let result = try expectSuccess(["example", "conv", "--device", device])
            let lines = result.stdout.split(separator: "\n")
            let output = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("output (4x4)") })
            XCTAssertEqual(lines[(output + 1)...].map { $0.split(separator: " ").joined(separator: " ") }, Array(repeating: "0 30 30 0", count: 4))
        }
        _ = try expectSuccess(["example", "conv", "--device", "cpu", "--output", "conv.png"])
        XCTAssertGreaterThan(try Image.load(path: path("conv.png")).width, 400)
    }

    func testTransferPlotIsWrittenWithOnePointPerIteration() throws {
        _ = try expectSuccess(["transfer", "--content", "a.png", "--style", "b.png", "--size", "24", "--iterations", "3",
                               "--content-layers", "relu2_1", "--style-layers", "relu1_1", "--device", "cpu", "--quiet",
                               "--output", "t.png", "--plot", "t.svg", "--loss-log", "t.csv"])
        let svg = try SVGElements(String(contentsOfFile: path("t.svg"), encoding: .utf8))
        let total = try XCTUnwrap(svg.all("path", class: "series").first { $0.attributes["data-term"] == "total" })
        XCTAssertEqual(SVGElements.runs(total.attributes["d"] ?? "").flatMap { $0 }.count, 4, "iterations 0 to 3")
        XCTAssertEqual(svg.all("path", class: "series").first?.attributes["data-log"], "t.csv")
    }

    func testBadInputIsOneLineNamingTheOptionOrFile() throws {
        try Data().write(to: URL(fileURLWithPath: path("empty.csv")))
        try Data("iteration,total\n0,1\n1,oops\n".utf8).write(to: URL(fileURLWithPath: path("broken.csv")))
        try expectFailure(["activations", "--image", "a.png", "--layers", "relu1_1,relu7_2", "--output", "x.png"], mentions: ["--layers", "relu7_2"])
        // VGG-16's block 3 has three convolutions: relu3_4 is VGG-19's only.
        try expectFailure(["activations", "--image", "a.png", "--layers", "relu3_4", "--model", "vgg16", "--output", "x.png"],
                          mentions: ["--layers", "relu3_4", "VGG-16"])
        try expectFailure(["gram", "--image", "a.png", "--layers", "", "--output", "x.png"], mentions: ["--layers"])
        try expectFailure(["activations", "--image", "missing.png", "--output", "x.png", "--device", "cpu"], mentions: ["--image", "missing.png"])
        try expectFailure(["activations", "--image", "a.png", "--channels", "0", "--output", "x.png", "--device", "cpu", "--size", "24"], mentions: ["--channels"])
        try expectFailure(["activations", "--image", "a.png", "--output", "a.png"], mentions: ["--output", "a.png"])
        try expectFailure(["activations", "--image", "a.png", "--output", "nowhere/x.png"], mentions: ["--output", "nowhere"])
        try expectFailure(["gram", "--image", "a.png", "--compare", "log.csv", "--layers", "relu1_1", "--output", "x.png", "--device", "cpu"], mentions: ["--compare", "log.csv"])
        try expectFailure(["plot", "empty.csv", "--output", "x.svg"], mentions: ["empty.csv", "empty"])
        try expectFailure(["plot", "broken.csv", "--output", "x.svg"], mentions: ["broken.csv", "line 3"])
        try expectFailure(["plot", "log.csv", "--output", "x.pdf"], mentions: ["--output", ".svg or .png"])
        try expectFailure(["plot", "--output", "x.svg"], mentions: ["loss log"])
        try expectFailure(["sheet", "a.png", "b.png", "--caption", "one", "--output", "x.png"], mentions: ["--caption"])
        try expectFailure(["sheet", "a.png", "--height", "8", "--output", "x.png"], mentions: ["--height", "16 to 4096"])
        try expectFailure(["activations", "--image", "a.png", "--tile", "4", "--output", "x.png", "--device", "cpu"], mentions: ["--tile", "8 to 512"])
        try expectFailure(["plot", "log.csv", "--tv-weight", "-1", "--output", "p.svg"], mentions: ["--tv-weight"])
        try expectFailure(["sheet", "a.png", "--colors", "300", "--output", "x.png"], mentions: ["--colors"])
        try expectFailure(["example", "conv", "--device", "gpu"], mentions: ["--device"])
        try expectFailure(["transfer", "--content", "a.png", "--style", "b.png", "--output", "t.png", "--plot", "t.txt"], mentions: ["--plot", "t.txt"])
        try expectFailure(["transfer", "--content", "a.png", "--style", "b.png", "--output", "t.png", "--plot", "a.png"], mentions: ["--plot", "a.png"])
    }

    /// Unbounded reads are bounded: /dev/zero as a loss log and a 10 GB sparse image are
    /// refused in one line at once. Before, `nst plot /dev/zero` aborted after 4.2 GB and
    /// the sparse image aborted on a failed allocation.
    func testEndlessAndHugeInputsAreRefused() throws {
        let start = Date()
        try expectFailure(["plot", "/dev/zero", "--output", "p.svg"], mentions: ["/dev/zero", "a loss log may have at most"])
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]).write(to: URL(fileURLWithPath: path("huge.png")))
        XCTAssertEqual(truncate(path("huge.png"), 10 << 30), 0)
        // (mayWrite: the check that nothing changed would read the 10 GB itself.)
        try expectFailure(["sheet", "huge.png", "--output", "s.png"], mentions: ["huge.png", "an image file may have at most"], mayWrite: ["huge.png"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
    }

    /// A loss log saved by a spreadsheet (a byte-order mark, CRLF line ends) plots. Before,
    /// the mark made the header's first column unknown.
    func testLossLogWithByteOrderMarkAndCRLFPlots() throws {
        let csv = "\u{FEFF}" + LossPlotTests.log.replacingOccurrences(of: "\n", with: "\r\n")
        try Data(csv.utf8).write(to: URL(fileURLWithPath: path("excel.csv")))
        _ = try expectSuccess(["plot", "excel.csv", "--output", "e.svg"])
    }
}
