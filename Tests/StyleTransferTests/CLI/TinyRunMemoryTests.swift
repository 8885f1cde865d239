// TinyRunMemoryTests: a tiny transfer's peak memory through the real executable (it held ~600 MB of cached Winograd weight transforms at 32 px), and the CPU backend's rule behind it.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import StyleTransfer
import XCTest

final class TinyRunMemoryTests: ScratchFolderTestCase {
    /// The process's peak resident memory (VmHWM) in bytes, from /proc, or nil once it is gone.
    private func peakResident(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
    }

    /// A 32x22 transfer through relu5_1 on the CPU backend peaks well below the ~600 MB the
    /// cached Winograd transforms of VGG-19's deep layers took (a layer of a few positions
    /// now runs as im2col). The peak is sampled from /proc until the process ends; it only
    /// grows, so the last sample is a lower bound of the true peak, taken late in the run.
    func testTinyRunPeakMemory() throws {
        // A sanitized `nst` (`make sanitize` sets NST_SANITIZED) keeps freed memory in
        // quarantine and touches shadow memory: its resident size says nothing of nst's.
        if ProcessInfo.processInfo.environment["NST_SANITIZED"] == "1" {
            print("skipping: a sanitizer's quarantine and shadow memory inflate the resident size (NST_SANITIZED=1)")
            throw XCTSkip("resident size under a sanitizer")
        }
        var data = TestData(seed: 4)
        try Image(width: 32, height: 22, pixels: data.uniform(3 * 32 * 22, 0, 1)).writePNG(to: path("c.png"))
        try Image(width: 24, height: 24, pixels: data.uniform(3 * 24 * 24, 0, 1)).writePNG(to: path("s.png"))
        let (process, stderr) = try NSTShell.start(["transfer", "--content", "c.png", "--style", "s.png", "--output", "o.png",
                                                    "--size", "32", "--iterations", "20", "--device", "cpu", "--quiet"], in: folder)
        var peak = 0
        while process.isRunning {
            if let p = peakResident(process.processIdentifier) { peak = max(peak, p) }
            usleep(5_000)
        }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
        print("32x22 transfer: peak resident \(peak >> 20) MiB")
        XCTAssertGreaterThan(peak, 20 << 20, "the samples saw the process")
        XCTAssertLessThan(peak, 350 << 20)
    }

    /// The rule: the default CPU backend takes Winograd only where a layer has at least 256
    /// output positions; the tests' forced devices keep it at any size.
    func testWinogradNeedsPositionsByDefault() {
        let small = ConvGeometry.vgg(inChannels: 512, outChannels: 512, height: 4, width: 2)
        let large = ConvGeometry.vgg(inChannels: 512, outChannels: 512, height: 16, width: 16)
        XCTAssertFalse(CPUDevice().usesWinograd(small))
        XCTAssertEqual(CPUDevice().winogradWeightFloats(small), 0)
        XCTAssertTrue(CPUDevice().usesWinograd(large))
        XCTAssertTrue(CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 16).usesWinograd(small))
    }
}
