// AutoTuneCLITests: the automatic tune on an OpenCL device's first use, through the real executable: it stores the tuning file once, says so in two lines, is switched off by --no-autotune and NST_AUTOTUNE=0, and never fails a run over a cache it cannot write.
import Foundation
@testable import NSTCore
@testable import NSTImages
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class AutoTuneCLITests: ScratchFolderTestCase {
    var content: String { path("content.png") }
    var style: String { path("style.png") }
    var cache: URL { folder.appendingPathComponent("cache", isDirectory: true) }

    override func setUpWithError() throws {
        try super.setUpWithError()
        _ = try OpenCLTestDevice.get()
        var data = TestData(seed: 3)
        try Image(width: 32, height: 28, pixels: data.uniform(3 * 32 * 28, 0, 1)).writePNG(to: content)
        try Image(width: 28, height: 28, pixels: data.uniform(3 * 28 * 28, 0, 1)).writePNG(to: style)
    }

    /// The environment of a run with the automatic tune on (unless `extra` says otherwise),
    /// a cache of this test's own and a budget of a few seconds.
    private func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ProcessInfo.processInfo.environment
            .merging(["NST_CACHE_DIR": cache.path, "NST_AUTOTUNE": "1", "NST_AUTOTUNE_SECONDS": "5"]) { $1 }
            .merging(extra) { $1 }
    }

    /// A 32-pixel transfer of two iterations on OpenCL device 0, layers of blocks 1 and 2 only.
    private func transfer(_ extra: [String] = [], environment: [String: String]) throws -> NSTResult {
        try NSTProcess.run(["transfer", "--content", content, "--style", style, "--output", path("out.png"),
                            "--size", "32", "--iterations", "2", "--content-layers", "relu2_1",
                            "--style-layers", "relu1_1,relu2_1", "--device", "opencl", "--quiet"] + extra,
                           in: folder, environment: environment)
    }

    private var tuningURL: URL {
        get throws { OpenCLTuning.url(in: cache, for: try OpenCLTestDevice.get().info) }
    }

    /// With an empty cache the first run tunes (one line as it starts, one as it ends naming
    /// the file), stores a valid tuning file for 32x32, and `nst devices` then reports it;
    /// the second run prints nothing and leaves the file as it was.
    func testFirstRunTunesAndStoresAndTheSecondDoesNothing() throws {
        let info = try OpenCLTestDevice.get().info
        let url = try tuningURL
        let first = try transfer(environment: environment())
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stderrLines.count, 2, first.stderr)
        XCTAssertTrue(first.stderrLines.first?.hasPrefix("nst: tuning OpenCL device \(info.name) for 32x32 images (first use: at most 5 s, 20 s with kernel builds;") == true,
                      first.stderr)
        XCTAssertTrue(first.stderrLines.last?.hasPrefix("nst: tuned \(info.name) in ") == true, first.stderr)
        XCTAssertTrue(first.stderr.contains("stored \(url.path)"), first.stderr)
        let tuning = try XCTUnwrap(OpenCLTuning.load(from: url, for: info), "a valid tuning file for the device")
        XCTAssertEqual(tuning.notes["size"], 32)
        XCTAssertEqual(tuning.notes["autotuneComplete"], 1, "a 32-pixel search fits in 5 s")
        let seconds = try XCTUnwrap(tuning.notes["autotuneSeconds"])
        XCTAssertLessThanOrEqual(seconds, 5 + 1, "the budget holds (one timing may overshoot it)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out.png")))

        let bytes = try Data(contentsOf: url)
        let modified = try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date
        let second = try transfer(environment: environment())
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stderr, "", "a device with a tuning file is not tuned again")
        XCTAssertEqual(try Data(contentsOf: url), bytes, "the file is not rewritten")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date, modified)

        let devices = try NSTProcess.run(["devices"], in: folder, environment: environment())
        XCTAssertEqual(devices.status, 0, devices.stderr)
        XCTAssertTrue(devices.stdout.contains("tuning: tuned (file) \(url.path)"), devices.stdout)
    }

    /// `--no-autotune` (even with NST_AUTOTUNE=1), `NST_AUTOTUNE=0` and `NST_TUNING` set to
    /// shipped or defaults run without tuning:
    /// no line, no file. `nst video` and `nst serve` take the flag too.
    func testSwitchedOffByFlagOrEnvironment() throws {
        for (label, extra, environment) in [("--no-autotune", ["--no-autotune"], environment()),
                                            ("NST_AUTOTUNE=0", [], environment(["NST_AUTOTUNE": "0"])),
                                            // Settings asked for by NST_TUNING are not tuned away.
                                            ("NST_TUNING=shipped", [], environment(["NST_TUNING": "shipped"])),
                                            ("NST_TUNING=defaults", [], environment(["NST_TUNING": "defaults"]))] {
            let result = try transfer(extra, environment: environment)
            XCTAssertEqual(result.status, 0, "\(label): \(result.stderr)")
            XCTAssertEqual(result.stderr, "", label)
            XCTAssertFalse(FileManager.default.fileExists(atPath: try tuningURL.path), "\(label): no tuning file")
            XCTAssertTrue(FileManager.default.fileExists(atPath: path("out.png")), label)
        }
        for command in ["video", "serve"] {
            let help = try NSTProcess.run([command, "--help"], in: folder)
            XCTAssertTrue(help.stdout.contains("--no-autotune"), "nst \(command) --help: \(help.stdout)")
        }
    }

    /// A tuning file that cannot be written (here `tuning` is a plain file, so its folder
    /// cannot be made, which holds even for root) costs one warning line; the run succeeds
    /// with the search's result.
    func testCacheThatCannotBeWrittenWarnsAndTheRunGoesOn() throws {
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        let blocker = cache.appendingPathComponent("tuning")
        try Data("not a folder".utf8).write(to: blocker)
        let result = try transfer(environment: environment())
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderrLines.count, 3, result.stderr)
        let warning = String(try XCTUnwrap(result.stderrLines.last))
        XCTAssertTrue(warning.hasPrefix("nst: warning: could not write the OpenCL tuning file ") && warning.hasSuffix("the tuning holds for this run only"),
                      warning)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out.png")))
        XCTAssertEqual(try Data(contentsOf: blocker), Data("not a folder".utf8))
    }

    /// A value the variables do not take fails the run with one line naming the variable.
    func testBadEnvironmentValuesFailWithOneLine() throws {
        for (variables, name) in [(["NST_AUTOTUNE": "yes"], "NST_AUTOTUNE"), (["NST_AUTOTUNE_SECONDS": "30"], "NST_AUTOTUNE_SECONDS"),
                                  (["NST_AUTOTUNE_SECONDS": "0"], "NST_AUTOTUNE_SECONDS")] {
            let result = try transfer(environment: environment(variables))
            XCTAssertEqual(result.status, 1, "\(variables): \(result.stderr)")
            XCTAssertEqual(result.stderrLines.count, 1, "\(variables): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("nst: error: ") && result.stderr.contains(name), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.png")))
        }
    }
}
