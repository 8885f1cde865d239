// MemoryEstimateTests: the memory estimate against what an engine really allocates, and the check against a device's memory.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class MemoryEstimateTests: XCTestCase {
    /// The estimate of `problem`'s run with `styles` (final sizes), counting `device`'s scratch.
    private func estimate(_ problem: TinyProblem, styles: [Image], keepLastGood: Bool,
                          device: (any Device)? = nil) throws -> MemoryEstimate {
        MemoryEstimate(plan: try TransferPlan(problem.options, styleCount: styles.count),
                       height: problem.content.height, width: problem.content.width,
                       styleSizes: styles.map { ($0.height, $0.width) }, keepLastGood: keepLastGood, device: device)
    }

    /// For every optimiser, with and without the last good copy, with a content layer on a
    /// convolution (its own tensor) or a ReLU, and style images smaller and larger than the
    /// content: the estimate covers the peak of live tensors and overshoots it by < 1.5x.
    func testEstimateCoversWhatTheEngineAllocates() throws {
        var data = TestData(seed: 3)
        let small = try Image(width: 12, height: 10, pixels: data.uniform(3 * 12 * 10, 0, 1))
        let large = try Image(width: 40, height: 30, pixels: data.uniform(3 * 40 * 30, 0, 1))
        for optimizer in OptimizerKind.allCases {
            for keepLastGood in [false, true] {
                for (contentLayer, styles) in [("relu2_1", [small]), ("conv2_1", [small, large])] {
                    var problem = try TinyProblem(size: 20)
                    problem.options.optimizer = optimizer
                    problem.options.contentLayers = [contentLayer]
                    problem.options.stylePaths = styles.map { _ in "s.png" }
                    let device = CountingDevice(problem.device)
                    let engine = try TransferEngine(device: device, plan: try TransferPlan(problem.options, styleCount: styles.count),
                                                    weights: .builtIn(depth: 7), content: problem.content,
                                                    styles: styles, keepLastGood: keepLastGood)
                    let peak = device.peakBytes
                    let guess = try estimate(problem, styles: styles, keepLastGood: keepLastGood)
                    let what = "\(optimizer) keepLastGood \(keepLastGood) \(contentLayer) \(styles.count) styles"
                    XCTAssertEqual(guess.scratch, 0, "no device, no scratch")
                    XCTAssertGreaterThanOrEqual(guess.deviceTensors, peak, what)
                    XCTAssertLessThanOrEqual(Double(guess.deviceTensors), 1.5 * Double(peak), what)
                    // The CPU model only adds its documented scratch on top.
                    let cpu = try estimate(problem, styles: styles, keepLastGood: keepLastGood, device: problem.device)
                    XCTAssertEqual(cpu.deviceTensors, guess.deviceTensors, what)
                    XCTAssertGreaterThan(cpu.scratch, 0, what)
                    XCTAssertLessThanOrEqual(Double(cpu.deviceTotal), 1.5 * Double(peak) + Double(cpu.scratch), what)
                    withExtendedLifetime(engine) {}
                }
            }
        }
    }

    /// Optimiser state: L-BFGS keeps 2 * history + 3 image-sized tensors and 2 * history
    /// coefficients, the history capped by the iterations; Adam 2; SGD none.
    func testOptimizerStateFollowsTheOptimizers() throws {
        var problem = try TinyProblem(size: 20)
        let imageBytes = 4 * 3 * problem.content.width * problem.content.height
        problem.options.optimizer = .lbfgs
        problem.options.iterations = 5
        XCTAssertEqual(try estimate(problem, styles: [problem.style], keepLastGood: false).optimizerState,
                       13 * imageBytes + 4 * 2 * 5)
        problem.options.iterations = 1000
        XCTAssertEqual(try estimate(problem, styles: [problem.style], keepLastGood: false).optimizerState,
                       (2 * LBFGS.defaultHistory + 3) * imageBytes + 4 * 2 * LBFGS.defaultHistory)
        problem.options.optimizer = .adam
        XCTAssertEqual(try estimate(problem, styles: [problem.style], keepLastGood: false).optimizerState, 2 * imageBytes)
        problem.options.optimizer = .sgd
        XCTAssertEqual(try estimate(problem, styles: [problem.style], keepLastGood: false).optimizerState, 0)
    }

    /// Each backend reports its own scratch, and wrappers report their base's; scratch stays
    /// bounded on a large image (bands), but grows past the band budget when one row alone
    /// is larger.
    func testScratchModels() throws {
        let cpu = CPUDevice()
        let mid = cpu.scratchFloats(sizes: [ImageSize(height: 2000, width: 2000)], depth: 30)
        XCTAssertEqual(CountingDevice(cpu).scratchFloats(sizes: [ImageSize(height: 2000, width: 2000)], depth: 30), mid)
        // The cached F(4x4) weights of every Winograd convolution (3x3 with >= 16 channels in
        // and out), 36 floats per channel pair in each direction, whatever the image size.
        let weights = VGG19.convolutions(size: ImageSize(height: 64, width: 64), depth: 30)
            .filter { min($0.inChannels, $0.outChannels) >= 16 }.reduce(0) { $0 + 2 * 36 * $1.inChannels * $1.outChannels }
        // 2 x bands of at most the budget, the partial Grams, one Gram and the cached weights.
        XCTAssertLessThanOrEqual(mid, 2 * (1 << 22) + CPUDevice.gramPartialLimit + 512 * 512 + weights)
        XCTAssertGreaterThanOrEqual(mid, weights)
        let wide = cpu.scratchFloats(sizes: [ImageSize(height: 100, width: 16000)], depth: 30)
        XCTAssertGreaterThan(wide, 2 * (1 << 22) + CPUDevice.gramPartialLimit + 512 * 512 + weights,
                             "one tile row of a 16000-wide image exceeds the budget")
        let device = try OpenCLTestDevice.get()
        let opencl = try OpenCLDevice(info: device.info, im2colLimit: 1 << 25, tuning: .none)
        let cl = opencl.scratchFloats(sizes: [ImageSize(height: 2000, width: 2000)], depth: 30)
        // One band of columns (as many rows as fit in 2^25 floats), and CLBlast's operand copies of the largest product: at this
        // size relu1_1's Gram matrix, whose two [64, 2000*2000] operands CLBlast copies (its
        // CLBlastSGemmTempBufferSize says 2 * 64 * 4M + 64^2 floats).
        let gramCopies = 2 * 64 * 2000 * 2000 + 64 * 64
        XCTAssertGreaterThanOrEqual(cl, 27 * 2000 * ((1 << 25) / (27 * 2000)) + gramCopies)
        XCTAssertLessThanOrEqual(cl, 5 * (1 << 25) + gramCopies)
    }

    func testCheckAgainstTheDevicesMemory() throws {
        var problem = try TinyProblem(size: 20)
        let small = try estimate(problem, styles: [problem.style], keepLastGood: false, device: problem.device)
        XCTAssertNoThrow(try small.check(fits: problem.device, option: "--size 20"))
        problem.options.size = 16000
        problem.options.optimizer = .lbfgs
        problem.options.iterations = 200
        let huge = MemoryEstimate(plan: try TransferPlan(problem.options), height: 12000, width: 16000,
                                  styleSizes: [(16000, 16000)], keepLastGood: false, device: problem.device)
        XCTAssertGreaterThan(huge.bytesNeeded(on: problem.device), AvailableMemory.hostBytes())
        XCTAssertThrowsError(try huge.check(fits: problem.device, option: "--size 16000")) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("--size 16000: needs about "), text)
            XCTAssertTrue(text.contains("GiB but the CPU backend has "), text)
            XCTAssertTrue(text.hasSuffix("GiB; try a smaller --size"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        XCTAssertThrowsError(try huge.check(fits: CountingDevice(problem.device), option: "--size 16000"),
                             "a wrapper reports its base's memory")
        XCTAssertEqual(MemoryEstimate.gib(3 * 1_073_741_824 / 2), "1.50 GiB")
        XCTAssertEqual(MemoryEstimate.gib(330 << 20), "0.32 GiB", "a budget of 330 MiB reads apart from 0.3 GiB")
        XCTAssertEqual(MemoryEstimate.gib(12 * 1_073_741_824), "12.0 GiB")
    }

    /// An OpenCL device is checked against its global memory, with its own scratch model; a
    /// CPU device (PoCL, here) shares the host's memory, so it gets no more than the host
    /// can give and the host's images count too (before: the global memory PoCL reports,
    /// all of RAM, whatever a container's limit).
    func testOpenCLDeviceIsCheckedAgainstItsGlobalMemory() throws {
        let device = try OpenCLTestDevice.get()
        let available = try XCTUnwrap(device.memory)
        let onHost = device.info.type == "CPU"
        XCTAssertEqual(available.isHostMemory, onHost)
        XCTAssertLessThanOrEqual(available.bytes, device.info.globalMemory)
        if onHost { XCTAssertLessThanOrEqual(available.bytes, AvailableMemory.hostBytes() + (1 << 30)) }
        var problem = try TinyProblem(size: 20)
        problem.options.optimizer = .adam
        problem.options.iterations = 10
        let huge = MemoryEstimate(plan: try TransferPlan(problem.options), height: 12000, width: 16000,
                                  styleSizes: [(16000, 16000)], keepLastGood: false, device: device)
        XCTAssertEqual(huge.bytesNeeded(on: device), huge.deviceTotal + (onHost ? huge.host : 0), "host images count on the host only")
        XCTAssertThrowsError(try huge.check(fits: device, option: "--size 16000")) { error in
            XCTAssertTrue(String(describing: error).contains("but OpenCL device '\(device.info.name)' has "), "\(error)")
        }
    }

    func testHostMemoryAndCgroupLimits() {
        XCTAssertNil(AvailableMemory.cgroupLimit("max\n"))
        XCTAssertNil(AvailableMemory.cgroupLimit(""))
        XCTAssertEqual(AvailableMemory.cgroupLimit("1073741824\n"), 1_073_741_824)
        let host = AvailableMemory.hostBytes()
        XCTAssertGreaterThan(host, 0)
        XCTAssertLessThanOrEqual(host, Int(clamping: ProcessInfo.processInfo.physicalMemory))
    }
}
