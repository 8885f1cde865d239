// ReliabilityTests: the library halves of issue 14: gradient checks, stalled line searches, stop requests, temporary files, bounded parsers.
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

final class ReliabilityTests: XCTestCase {
    /// The gradient's squared norm comes back with the losses, and equals a separate dot.
    func testEvaluationReportsTheGradientNorm() throws {
        let problem = try TinyProblem(size: 16)
        let engine = try problem.engine()
        let losses = try engine.objective.evaluate(engine.image, gradient: engine.gradient)
        let g = try problem.device.download(engine.gradient)
        let expected = g.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertGreaterThan(losses.gradientSquaredNorm, 0)
        XCTAssertEqual(losses.gradientSquaredNorm, expected, accuracy: expected * 1e-9)
        var broken = losses
        broken.gradientSquaredNorm = .nan
        XCTAssertFalse(broken.isFinite)
        broken.gradientSquaredNorm = 1e39  // finite in double, not in float
        XCTAssertFalse(broken.isFinite)
    }

    /// Before: a line search that never succeeded returned the current point, counted as an iteration.
    func testLBFGSStepThatCannotProgressThrows() throws {
        let device = CPUDevice()
        let objective = Quadratic(device: device, count: 8)
        let x = try device.makeTensor(Shape(8)), g = try device.makeTensor(Shape(8))
        let start = try objective.evaluate(x, gradient: g)
        let huge = try LBFGS(device: device, shape: x.shape, learningRate: 1e308)
        XCTAssertThrowsError(try huge.step(x: x, gradient: g, current: start, objective: objective)) { error in
            XCTAssertEqual(error as? StepFailure, .noFiniteTrial)
        }
        XCTAssertEqual(try device.download(x), [Float](repeating: 0, count: 8), "x restored")
        // At the minimum itself the gradient is zero: no step lowers J.
        try device.upload(objective.center, to: x)
        let atMinimum = try objective.evaluate(x, gradient: g)
        let lbfgs = try LBFGS(device: device, shape: x.shape, learningRate: 1)
        XCTAssertThrowsError(try lbfgs.step(x: x, gradient: g, current: atMinimum, objective: objective)) { error in
            XCTAssertEqual(error as? StepFailure, .noDecrease)
        }
    }

    /// A stop request ends the loop after the iteration in progress, with the rows so far.
    func testStopRequestEndsTheLoopEarly() throws {
        var problem = try TinyProblem(size: 16)
        problem.options.iterations = 50
        let engine = try problem.engine()
        let stop = StopRequest()
        var rows: [Int] = []
        let end = try engine.run(stop: stop) { k, _, _ in
            rows.append(k)
            if k == 2 { stop.request(signal: SIGTERM) }
        }
        XCTAssertEqual(end, .stopped(signal: SIGTERM, iteration: 2))
        XCTAssertEqual(rows, [0, 1, 2])
        XCTAssertEqual(stop.request(signal: SIGINT), 2, "the second request is counted")
        XCTAssertEqual(stop.signal, SIGTERM, "the first signal is kept")
    }

    /// Temporary files are registered while they exist, and a second signal's clean-up removes them.
    func testTemporaryFilesAreTrackedAndRemoved() throws {
        let folder = try makeScratchFolder("temporary")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ImageFile.writeAtomically([1, 2, 3], to: folder.appendingPathComponent("a.bin").path)
        XCTAssertTrue(TemporaryFiles.current.filter { $0.hasPrefix(folder.path) }.isEmpty, "nothing left registered")
        let stray = folder.appendingPathComponent(".x.tmp-abcdef").path
        TemporaryFiles.register(stray)
        XCTAssertTrue(FileManager.default.createFile(atPath: stray, contents: Data([1])))
        TemporaryFiles.removeAll()
        XCTAssertFalse(FileManager.default.fileExists(atPath: stray))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["a.bin"])
    }

    /// Before: a full disk left one temporary file per run in the kernel cache.
    func testKernelCacheLeavesNoTemporaryFileOnAFullDisk() throws {
        let folder = try makeScratchFolder("tmpfs")
        defer { umount(folder.path); try? FileManager.default.removeItem(at: folder) }
        guard mount("tmpfs", folder.path, "tmpfs", 0, "size=64k") == 0 else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI must be able to mount a tmpfs (errno \(errno))"); return }
            throw XCTSkip("cannot mount a tmpfs here (errno \(errno)); the full-disk case is not run")
        }
        let cache = ProgramBinaryCache(directory: folder.appendingPathComponent("opencl"))
        cache.store(key: "k", binary: [UInt8](repeating: 7, count: 200_000))
        XCTAssertNil(cache.load(key: "k"))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("opencl").path)
        XCTAssertEqual(files, [], "no temporary file left")
    }

    /// Before: the sum overflowed to infinity and both weights became 0.
    func testBlendWeightsWhoseSumOverflows() throws {
        XCTAssertEqual(try StyleTargets.normalizedBlend([1e308, 1e308], count: 2), [0.5, 0.5])
        XCTAssertEqual(try StyleTargets.normalizedBlend([0.7, 0.3], count: 2), [0.7 / 1.0, 0.3 / 1.0])
    }

    /// The format forbids overlapping tensors and non-string metadata; headers are bounded.
    func testSafetensorsLayoutRules() throws {
        let folder = try makeScratchFolder("layout")
        defer { try? FileManager.default.removeItem(at: folder) }
        func message(_ data: Data) throws -> String {
            let url = folder.appendingPathComponent("w.safetensors")
            try data.write(to: url)
            do { try VGGWeights.load(from: url, depth: 4).checkValues(); return "" } catch { return "\(error)" }
        }
        var overlapping = blockOneTensors()
        overlapping[1].offsets = [0, 256]  // features.0.bias over features.0.weight's bytes
        let overlap = try message(safetensorsData(overlapping))
        XCTAssertTrue(overlap.contains("overlap") && overlap.contains("must not share bytes"), overlap)
        let numeric = try message(safetensorsData(blockOneTensors(), mutateHeader: { $0.replacingOccurrences(of: "{\"features.0.weight\"", with: "{\"__metadata__\":{\"mean\":3},\"features.0.weight\"") }))
        XCTAssertTrue(numeric.contains("__metadata__.mean") && numeric.contains("strings"), numeric)
        let padded = try message(safetensorsData(blockOneTensors(), mutateHeader: { $0 + String(repeating: " ", count: SafeTensorsFile.headerLimit) }))
        XCTAssertTrue(padded.contains("larger than the \(SafeTensorsFile.headerLimit) bytes"), padded)
        let tinyStd = try message(safetensorsData(blockOneTensors(), metadata: ["std": "1e-45,1,1"]))
        XCTAssertTrue(tinyStd.contains("__metadata__.std") && tinyStd.contains("at least"), tinyStd)
    }

    func testAvailableMemoryReadsMeminfo() {
        XCTAssertEqual(AvailableMemory.meminfoValue("MemTotal: 100 kB\nMemAvailable:   2048 kB\n", key: "MemAvailable:"), 2048 * 1024)
        XCTAssertNil(AvailableMemory.meminfoValue("MemTotal: 100 kB\n", key: "MemAvailable:"))
        XCTAssertLessThanOrEqual(AvailableMemory.allocatableBytes(), AvailableMemory.hostBytes())
        XCTAssertTrue(AvailableMemory.canAllocate(1 << 20))
        XCTAssertFalse(AvailableMemory.canAllocate(Int.max / 2))
    }
}
