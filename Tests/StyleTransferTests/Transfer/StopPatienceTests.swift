// StopPatienceTests: a stop request that is overdue abandons the iteration in progress and restores the last finished image; one within its patience lets the iteration finish.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

/// A CPU device that makes a stop request when the `countdown`-th convolution after arming
/// runs, so a request lands at a known point inside an iteration.
private final class TriggerDevice: Device, @unchecked Sendable {
    let base = CPUDevice()
    let stop: StopRequest
    var countdown: Int?
    init(stop: StopRequest) { self.stop = stop }

    var name: String { base.name }
    func makeTensor(_ shape: Shape) throws -> Tensor { try base.makeTensor(shape) }
    func upload(_ values: [Float], to tensor: Tensor) throws { try base.upload(values, to: tensor) }
    func download(_ tensor: Tensor) throws -> [Float] { try base.download(tensor) }
    func synchronize() throws { try base.synchronize() }
    func execute(_ op: DeviceOp) throws {
        switch op {
        case .conv2d, .conv2dReLU:   // forward convolutions, with or without their ReLU fused
            if let left = countdown {
                countdown = left - 1
                if left == 1 { stop.request(signal: SIGINT) }
            }
        default: break
        }
        try base.execute(op)
    }
    func makeLossSlots(count: Int) throws -> LossSlots { try base.makeLossSlots(count: count) }
    func readLosses(_ slots: LossSlots) throws -> [Double] { try base.readLosses(slots) }
    func scratchFloats(sizes: [ImageSize], depth: Int, model: VGGModel) -> Int { base.scratchFloats(sizes: sizes, depth: depth, model: model) }
    var memory: DeviceMemory? { base.memory }
}

final class StopPatienceTests: XCTestCase {
    /// Runs L-BFGS on the tiny problem with a request made at the second convolution of
    /// iteration 3 (after its line search moved the image); returns how the run ended, the
    /// final image, and the images reported after iterations 2 and 3 of an undisturbed run.
    private func run(patience: Double, tiles: Bool = false) throws -> (RunEnd, [Float], after2: [Float], after3: [Float]) {
        var problem = try TinyProblem(size: 24)
        problem.options.iterations = 6
        let layout = tiles ? StageLayout(layout: .tiled(tileSide: 8), history: LBFGS.defaultHistory, note: nil) : nil
        let plan = try TransferPlan(problem.options)
        func engine(_ device: any Device) throws -> TransferEngine {
            try TransferEngine(device: device, plan: plan, weights: VGGWeights.builtIn(depth: 7), content: problem.content,
                               styles: [problem.style], keepLastGood: true, layout: layout)
        }
        // The undisturbed run, for the images after iterations 2 and 3.
        let reference = try engine(CPUDevice())
        var images: [Int: [Float]] = [:]
        try reference.run { k, _, _ in images[k] = try reference.currentImage().pixels }
        let stop = StopRequest(patience: patience)
        let device = TriggerDevice(stop: stop)
        let stopped = try engine(device)
        let end = try stopped.run(stop: stop) { k, _, _ in
            if k == 2 { device.countdown = 2 }
        }
        return (end, try stopped.currentImage().pixels, try XCTUnwrap(images[2]), try XCTUnwrap(images[3]))
    }

    /// Overdue at once (patience 0): iteration 3 is abandoned mid-evaluation and the image
    /// is exactly the one after iteration 2. Without the restore the image would be the
    /// line search's trial point, which differs from both.
    func testOverdueRequestAbandonsTheIterationAndRestoresTheLastImage() throws {
        let (end, image, after2, after3) = try run(patience: 0)
        XCTAssertEqual(end, .stopped(signal: SIGINT, iteration: 2))
        XCTAssertTrue(image == after2, "the image of the last finished iteration; worst difference \(worst(image, after2))")
        XCTAssertGreaterThan(worst(after2, after3), 0)
    }

    /// A request within its patience lets the iteration in progress finish and keeps it.
    func testRequestWithinPatienceLetsTheIterationFinish() throws {
        let (end, image, _, after3) = try run(patience: 1000)
        XCTAssertEqual(end, .stopped(signal: SIGINT, iteration: 3))
        XCTAssertTrue(image == after3, "worst difference \(worst(image, after3))")
    }

    /// Tiled objectives check too (between each tile's layers).
    func testTiledRunIsAbandonedAlike() throws {
        let (end, image, after2, _) = try run(patience: 0, tiles: true)
        XCTAssertEqual(end, .stopped(signal: SIGINT, iteration: 2))
        XCTAssertTrue(image == after2, "worst difference \(worst(image, after2))")
    }

    private func worst(_ a: [Float], _ b: [Float]) -> Float {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    func testOverdueNeedsARequestAndThePatienceToPass() throws {
        let stop = StopRequest(patience: 0.2)
        XCTAssertFalse(stop.isOverdue)
        stop.request(signal: SIGTERM)
        XCTAssertFalse(stop.isOverdue)
        usleep(250_000)
        XCTAssertTrue(stop.isOverdue)
        XCTAssertThrowsError(try stop.checkOverdue()) { XCTAssertTrue($0 is StopInterruption) }
    }
}
