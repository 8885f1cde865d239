// SignalsCLITests: SIGINT, SIGTERM and SIGHUP stop `nst transfer` cleanly (image, loss log, one line, 128 + signal); a second one at once.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class SignalsCLITests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 3)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: folder.appendingPathComponent("c.png").path)
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: folder.appendingPathComponent("s.png").path)
    }

    /// A run far too long to finish by itself.
    private func start(_ extra: [String] = []) throws -> (Process, URL) {
        let (process, stderr) = try NSTShell.start(
            ["transfer", "--content", "c.png", "--style", "s.png", "--output", "out.png", "--loss-log", "loss.csv",
             "--size", "24", "--iterations", "1000000", "--content-layers", "relu2_1", "--style-layers", "relu1_1,relu2_1",
             "--device", "cpu"] + extra, in: folder)
        XCTAssertTrue(NSTShell.wait(for: "nst: 24x20", in: stderr), "the run started: \(NSTShell.text(stderr))")
        return (process, stderr)
    }

    private func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
    }

    /// Before: the run died with the signal's default action, leaving no image and no loss log.
    func testFirstSignalWritesImageAndLogAndExits128PlusSignal() throws {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")] {
            let (process, stderr) = try start()
            usleep(300_000)
            kill(process.processIdentifier, number)
            process.waitUntilExit()
            let text = NSTShell.text(stderr)
            XCTAssertEqual(process.terminationReason, .exit, "\(name): exits, not killed")
            XCTAssertEqual(process.terminationStatus, 128 + number, "\(name): \(text)")
            let last = text.split(separator: "\n").last.map(String.init) ?? ""
            XCTAssertTrue(last.hasPrefix("nst: stopped by \(name) after iteration "), last)
            XCTAssertTrue(last.contains("wrote 'out.png' and 'loss.csv'"), last)
            let image = try Image.load(path: folder.appendingPathComponent("out.png").path)
            XCTAssertEqual([image.width, image.height], [24, 20])
            let rows = try String(contentsOf: folder.appendingPathComponent("loss.csv"), encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(rows.first, "iteration,total,content,style,tv,seconds,scale")
            let iteration = last.split(separator: " ")[6]
            XCTAssertEqual(rows.last?.split(separator: ",").first, iteration, "the log ends at the iteration the line names")
            XCTAssertEqual(try leftovers(), [], "\(name): no temporary file left")
            try FileManager.default.removeItem(at: folder.appendingPathComponent("out.png"))
            try FileManager.default.removeItem(at: folder.appendingPathComponent("loss.csv"))
        }
    }

    /// A command with nothing to save (bench) ends at the first SIGINT or SIGTERM, with
    /// 128 + signal. Before, it went on until a second signal.
    func testFirstSignalEndsBench() throws {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            let (process, stderr) = try NSTShell.start(["bench", "--device", "cpu", "--size", "64", "--evaluations", "100000",
                                                        "--warmup", "0", "--no-breakdown"], in: folder)
            XCTAssertTrue(NSTShell.wait(for: "benchmarking", in: stderr), NSTShell.text(stderr))
            usleep(300_000)
            NSTShell.expectStopsAtOnce(process, stderr: stderr, signal: number, name: name)
        }
    }

    /// `nst selftest`, which has nothing to save either, ends at the first signal too.
    func testFirstSignalEndsSelfTest() throws {
        let (process, stderr) = try NSTShell.start(["selftest", "--device", "cpu,cpu,cpu,cpu,cpu,cpu,cpu,cpu", "--verbose"], in: folder)
        usleep(1_500_000)  // well into the first of eight runs of about a second each
        NSTShell.expectStopsAtOnce(process, stderr: stderr, signal: SIGTERM, name: "SIGTERM")
    }

    /// Two signals at once: the process ends at once, with status 130 and no temporary file.
    func testSecondSignalEndsAtOnce() throws {
        let (process, stderr) = try start(["--save-every", "1"])
        usleep(300_000)
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130, NSTShell.text(stderr))
        XCTAssertTrue(NSTShell.text(stderr).contains("nst: stopped"), NSTShell.text(stderr))
        XCTAssertEqual(try leftovers(), [], "no temporary file left")
    }

    /// Before: the first signal waited for the iteration in progress, however long (about
    /// 10 s per iteration here: 256 px through every layer in a debug build). Now an
    /// iteration still running `StopRequest.patience` (2 s) after the signal is abandoned
    /// and the image of the last finished one is written.
    func testSlowIterationIsAbandonedSoonAfterTheSignal() throws {
        var data = TestData(seed: 4)
        try Image(width: 256, height: 192, pixels: data.uniform(3 * 256 * 192, 0, 1)).writePNG(to: folder.appendingPathComponent("big.png").path)
        let (process, stderr) = try NSTShell.start(
            ["transfer", "--content", "big.png", "--style", "s.png", "--output", "out.png", "--loss-log", "loss.csv",
             "--size", "256", "--iterations", "1000000", "--device", "cpu"], in: folder)
        XCTAssertTrue(NSTShell.wait(for: "0/1000000", in: stderr, seconds: 300), "the first evaluation ended: \(NSTShell.text(stderr))")
        let signalled = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(signalled)
        let text = NSTShell.text(stderr)
        XCTAssertEqual(process.terminationStatus, 130, text)
        XCTAssertLessThan(seconds, 7, "ended within the patience and a layer or two: \(text)")
        let last = text.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("nst: stopped by SIGINT after iteration "), last)
        let rows = try String(contentsOf: folder.appendingPathComponent("loss.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.last?.split(separator: ",").first, last.split(separator: " ")[6], "the log ends at the iteration the line names")
        XCTAssertEqual(try [Image.load(path: folder.appendingPathComponent("out.png").path)].map { [$0.width, $0.height] }, [[256, 192]])
        XCTAssertEqual(try leftovers(), [], "no temporary file left")
    }
}
