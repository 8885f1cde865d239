// MemoryEstimateTests: the memory estimate against what an engine really allocates, and the check against a device's memory.
import XCTest
@testable import StyleTransfer

final class MemoryEstimateTests: XCTestCase {
    /// The estimate of `problem`'s run with `styles` (final sizes), for `backend`.
    private func estimate(_ problem: TinyProblem, styles: [Image], keepLastGood: Bool,
                          backend: MemoryEstimate.Backend = .other) throws -> MemoryEstimate {
        let (content, style, _) = try problem.options.validated()
        return MemoryEstimate(height: problem.content.height, width: problem.content.width,
                              styleSizes: styles.map { ($0.height, $0.width) }, content: content, style: style,
                              optimizer: problem.options.optimizer, iterations: problem.options.iterations,
                              keepLastGood: keepLastGood, backend: backend)
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
                    let engine = try TransferEngine(device: device, options: problem.options,
                                                    weights: .builtIn(depth: 7), content: problem.content,
                                                    styles: styles, keepLastGood: keepLastGood)
                    let peak = device.peakBytes
                    let guess = try estimate(problem, styles: styles, keepLastGood: keepLastGood)
                    let what = "\(optimizer) keepLastGood \(keepLastGood) \(contentLayer) \(styles.count) styles"
                    XCTAssertEqual(guess.scratch, 0, "no scratch model for .other")
                    XCTAssertGreaterThanOrEqual(guess.deviceTensors, peak, what)
                    XCTAssertLessThanOrEqual(Double(guess.deviceTensors), 1.5 * Double(peak), what)
                    // The CPU model only adds its documented scratch on top.
                    let cpu = try estimate(problem, styles: styles, keepLastGood: keepLastGood, backend: .of(problem.device))
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

    /// The backend models come from the devices' own settings; scratch stays bounded on a
    /// large image (bands), but grows past the band budget when one row alone is larger.
    func testScratchModels() throws {
        XCTAssertEqual(MemoryEstimate.Backend.of(CPUDevice()), .cpu(columnBudget: 1 << 22, winogradMinChannels: 16))
        XCTAssertEqual(MemoryEstimate.Backend.of(CountingDevice(CPUDevice())), .other)
        let cpu = MemoryEstimate.Backend.cpu(columnBudget: 1 << 22, winogradMinChannels: 16)
        let mid = MemoryEstimate.scratchFloats(sizes: [(2000, 2000)], depth: 30, backend: cpu)
        // 2 x (16 x 512 x 512 Winograd weights + bands of at most the budget), and the partial Grams.
        XCTAssertLessThanOrEqual(mid, 2 * (16 * 512 * 512 + (1 << 22)) + CPUDevice.gramPartialLimit)
        XCTAssertGreaterThanOrEqual(mid, 2 * 16 * 512 * 512)
        let wide = MemoryEstimate.scratchFloats(sizes: [(100, 16000)], depth: 30, backend: cpu)
        XCTAssertGreaterThan(wide, 2 * (16 * 512 * 512 + (1 << 22)), "one tile row of a 16000-wide image exceeds the budget")
        let cl = MemoryEstimate.scratchFloats(sizes: [(2000, 2000)], depth: 30, backend: .opencl(im2colLimit: 1 << 25))
        // One band of columns (as many rows as fit in 2^25 floats), and CLBlast's operand copies of the largest product: at this
        // size relu1_1's Gram matrix, whose two [64, 2000*2000] operands CLBlast copies (its
        // CLBlastSGemmTempBufferSize says 2 * 64 * 4M + 64^2 floats).
        let gramCopies = 2 * 64 * 2000 * 2000 + 64 * 64
        XCTAssertGreaterThanOrEqual(cl, 27 * 2000 * ((1 << 25) / (27 * 2000)) + gramCopies)
        XCTAssertLessThanOrEqual(cl, 5 * (1 << 25) + gramCopies)
        XCTAssertEqual(MemoryEstimate.scratchFloats(sizes: [(2000, 2000)], depth: 30, backend: .other), 0)
    }

    func testCheckAgainstTheDevicesMemory() throws {
        var problem = try TinyProblem(size: 20)
        let small = try estimate(problem, styles: [problem.style], keepLastGood: false, backend: .of(problem.device))
        XCTAssertNoThrow(try small.check(fits: problem.device, option: "--size 20"))
        problem.options.size = 16000
        let (content, style, _) = try problem.options.validated()
        let huge = MemoryEstimate(height: 12000, width: 16000, styleSizes: [(16000, 16000)], content: content, style: style,
                                  optimizer: .lbfgs, iterations: 200, keepLastGood: false, backend: .of(problem.device))
        XCTAssertGreaterThan(huge.bytesNeeded(on: problem.device), AvailableMemory.hostBytes())
        XCTAssertThrowsError(try huge.check(fits: problem.device, option: "--size 16000")) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("--size 16000: needs about "), text)
            XCTAssertTrue(text.contains("GiB but the CPU backend has "), text)
            XCTAssertTrue(text.hasSuffix("GiB; try a smaller --size"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        XCTAssertNoThrow(try huge.check(fits: CountingDevice(problem.device), option: "--size 16000"),
                         "a device of unknown memory is not checked")
        XCTAssertEqual(MemoryEstimate.gib(3 * 1_073_741_824 / 2), "1.5 GiB")
    }

    /// An OpenCL device is checked against its global memory (PoCL's, here), with its own
    /// scratch model and without the host's images.
    func testOpenCLDeviceIsCheckedAgainstItsGlobalMemory() throws {
        let device = try OpenCLTestDevice.get()
        XCTAssertEqual(MemoryEstimate.Backend.of(device), .opencl(im2colLimit: min(1 << 25, device.info.maxAllocation / 4),
                                                                  winogradMinChannels: device.winogradMinChannels))
        let available = try XCTUnwrap(AvailableMemory.of(device))
        XCTAssertEqual(available.bytes, device.info.globalMemory)
        let problem = try TinyProblem(size: 20)
        let (content, style, _) = try problem.options.validated()
        let huge = MemoryEstimate(height: 12000, width: 16000, styleSizes: [(16000, 16000)], content: content, style: style,
                                  optimizer: .adam, iterations: 10, keepLastGood: false, backend: .of(device))
        XCTAssertEqual(huge.bytesNeeded(on: device), huge.deviceTotal, "no host images on a separate device")
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
