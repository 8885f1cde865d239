// HostileInputCLITests: the cases of issue 14 through the real executable: non-finite values, memory bounds, output names, pipes.
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

final class HostileInputCLITests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 4)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: path("c.png"))
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: path("s.png"))
    }

    private func arguments(_ extra: [String], device: String = "cpu") -> [String] {
        ["transfer", "--content", "c.png", "--style", "s.png", "--output", "out.png", "--size", "24", "--iterations", "3",
         "--content-layers", "relu1_2", "--style-layers", "relu1_1,relu1_2", "--device", device, "--quiet"] + extra
    }

    /// The backends to try: the CPU, and OpenCL when there is a device (always in CI).
    private func devices() throws -> [String] {
        let probe = try NSTProcess.run(["devices"], in: folder)
        if probe.stdout.contains("opencl:0") || ProcessInfo.processInfo.environment["CI"] != nil { return ["cpu", "opencl"] }
        print("HostileInputCLITests: no OpenCL device; the OpenCL half is skipped")
        return ["cpu"]
    }

    /// Before: OpenCL exited 0 with the image unchanged; the CPU stopped or went on.
    func testNonFiniteWeightsAreRefusedWhenLoadedOnEveryBackend() throws {
        for bad in [Float.nan, .infinity] {
            var tensors = blockOneTensors()
            tensors[2].values[5] = bad
            try safetensorsData(tensors).write(to: folder.appendingPathComponent("w.safetensors"))
            for device in try devices() {
                try expectFailure(arguments(["--weights", "w.safetensors"], device: device),
                                  mentions: ["w.safetensors", "features.2.weight", "finite"])
            }
        }
    }

    /// Before: the CPU backend optimised and OpenCL stopped (or stalled); now both stop alike.
    func testHugeStyleWeightStopsAlikeOnEveryBackend() throws {
        for device in try devices() {
            try expectFailure(arguments(["--style-weight", "1e25"], device: device), mentions: ["gradient of J", "--style-weight"])
        }
    }

    /// Before: 20 trials per iteration, every iteration counted, J unchanged, status 0.
    func testLineSearchThatNeverSucceedsStopsTheRun() throws {
        for device in try devices() {
            try expectFailure(arguments(["--learning-rate", "1e308"], device: device),
                              mentions: ["no trial step", "--learning-rate"])
        }
    }

    /// Before: the image was written, then status 1.
    func testEmptyLossLogNameIsRefusedBeforeTheWork() throws {
        try expectFailure(arguments(["--loss-log", ""]), mentions: ["--loss-log"])
    }

    /// Before: ENAMETOOLONG after all iterations, naming the path, not the option.
    func testOutputNameTooLongForTheTemporaryFileIsRefusedFirst() throws {
        let name = String(repeating: "a", count: 247) + ".png"  // legal (251 bytes), but not with 12 more
        let result = try NSTProcess.run(arguments([]).map { $0 == "out.png" ? name : $0 }, in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("nst: error: --output '"), result.stderr)
        XCTAssertTrue(result.stderr.contains("at most 243"), result.stderr)
        let snapshots = try NSTProcess.run(arguments(["--save-every", "1"]).map { $0 == "out.png" ? String(repeating: "b", count: 239) + ".png" : $0 }, in: folder)
        XCTAssertEqual(snapshots.status, 1, snapshots.stderr)
        XCTAssertTrue(snapshots.stderr.contains("--save-every"), snapshots.stderr)
    }

    /// Before: the loss log silently replaced the snapshot of iteration 1.
    func testLossLogNamingASnapshotIsRefused() throws {
        try expectFailure(arguments(["--loss-log", "out-1.png", "--save-every", "1"]), mentions: ["--loss-log", "out-1.png", "iteration 1"])
    }

    /// Option extremes are bounded before anything is converted to an integer or a stage
    /// list is built. Before: `--scale-factor 1.00000001` built hundreds of identical stages
    /// (2.1 GB, 163 s), `--scale-factor 1e18` and a `--tolerance-window` of Int.max trapped,
    /// and `tune --budget-seconds 1e20` trapped.
    func testOptionExtremesAreBounded() throws {
        let start = Date()
        try expectFailure(arguments(["--start-size", "16", "--scale-factor", "1.00000001"]), mentions: ["--scale-factor", "twice"])
        try expectFailure(arguments(["--start-size", "1", "--size", "24", "--scale-factor", "1.001"]), mentions: ["--scale-factor"])
        try expectFailure(arguments(["--tolerance", "0.1", "--tolerance-window", "9223372036854775807"]), mentions: ["--tolerance-window", "1 to 1000000"])
        try expectFailure(["tune", "--budget-seconds", "1e20"], mentions: ["--budget-seconds", "at most 86400"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "refused at once")
        for factor in ["1e18", "1e308"] {
            let result = try NSTProcess.run(arguments(["--start-size", "16", "--scale-factor", factor, "--loss-log", "f.csv"]), in: folder)
            XCTAssertEqual(result.status, 0, "\(factor): \(result.stderr)")
            let scales = try String(contentsOfFile: path("f.csv"), encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) }
            XCTAssertEqual(Set(scales), ["16", "24"], "two stages: the start and the size")
            try FileManager.default.removeItem(atPath: path("out.png"))
        }
    }

    /// A weight so large that its term overflows is named in the hint. Before, a content
    /// weight of 1e300 said "lower --style-weight".
    func testOverflowingWeightIsNamed() throws {
        try expectFailure(arguments(["--content-weight", "1e300", "--init", "random"]), mentions: ["--content-weight term overflowed", "lower --content-weight"])
    }

    /// The partial loss log of a diverged run is kept on purpose (README, "What nst promises"), and said so.
    func testDivergedRunSaysWhereItsLossesAre() throws {
        try expectFailure(arguments(["--optimizer", "sgd", "--learning-rate", "1e30", "--loss-log", "loss.csv"]),
                          mentions: ["loss became", "the losses so far are in 'loss.csv'"], mayWrite: ["loss.csv"])
        let rows = try String(contentsOfFile: path("loss.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThanOrEqual(rows.count, 2, "header and the finite rows")
    }

    /// Before: a 2 MB PNG of 16384x16384 took 6.4 GB and 42 s, then trapped under a limit.
    func testImageOverThePixelCapIsRefusedFromItsHeader() throws {
        var png = try ImageFixtures.png(rows: [UInt8](repeating: 0, count: 2 * 8), width: 1, height: 2, bitDepth: 16, colorType: 6)
        let header = try PNGChunks.first("IHDR", in: png)
        PNGChunks.writeUInt32(&png, 16384, at: header.dataOffset)
        PNGChunks.writeUInt32(&png, 16384, at: header.dataOffset + 4)
        PNGChunks.fixCRC(&png, header)
        try Data(png).write(to: URL(fileURLWithPath: path("huge.png")))
        try expectFailure(arguments([]).map { $0 == "c.png" ? "huge.png" : $0 }, mentions: ["--content", "huge.png", "16384x16384", "megapixels"])
    }

    /// Before: "Fatal error: failed to allocate" and status 134 under a 1.6 GB address-space limit.
    func testDecodingUnderAMemoryLimitFailsWithOneLine() throws {
        // AddressSanitizer reserves terabytes of address space for its shadow memory, so a
        // sanitized `nst` cannot start under `ulimit -v` (`make sanitize` sets NST_SANITIZED).
        if ProcessInfo.processInfo.environment["NST_SANITIZED"] == "1" {
            print("skipping: ulimit -v leaves no room for a sanitizer's shadow memory (NST_SANITIZED=1)")
            throw XCTSkip("ulimit -v leaves no room for a sanitizer's shadow memory")
        }
        let side = 8192
        let png = try ImageFixtures.png(rows: [UInt8](repeating: 0, count: 3 * side * side), width: side, height: side, bitDepth: 8, colorType: 2)
        try Data(png).write(to: URL(fileURLWithPath: path("big.png")))
        let result = try NSTShell.run("ulimit -v 1600000; \"$NST\" transfer --content big.png --style s.png --output out.png --size 32 --iterations 1 --device cpu --quiet", in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("big.png") && result.stderr.contains("memory"), result.stderr)
    }

    /// Before: a named pipe no program writes to blocked `nst` forever.
    func testNamedPipeWithoutWriterDoesNotBlock() throws {
        XCTAssertEqual(mkfifo(path("fifo.png"), 0o600), 0)
        let result = try NSTShell.run("timeout 60 \"$NST\" transfer --content fifo.png --style s.png --output out.png --device cpu --quiet; echo $?", in: folder)
        XCTAssertEqual(result.stdout, "1\n", result.stderr)
        XCTAssertTrue(result.stderr.contains("fifo.png"), result.stderr)
    }

    /// Before: a thin style image was blamed on --style-scale.
    func testThinStyleImageNamesTheFile() throws {
        var data = TestData(seed: 9)
        try Image(width: 200, height: 4, pixels: data.uniform(3 * 200 * 4, 0, 1)).writePNG(to: path("thin.png"))
        try expectFailure(arguments(["--style-layers", "relu1_1,relu3_1"]).map { $0 == "s.png" ? "thin.png" : $0 }, mentions: ["--style 'thin.png'", "200x4"])
    }
}
