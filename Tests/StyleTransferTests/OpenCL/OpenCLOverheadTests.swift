// OpenCLOverheadTests: an evaluation loop on OpenCL waits once per evaluation and builds no programs and creates no buffers after its first iteration.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class OpenCLOverheadTests: XCTestCase {
    /// J and dJ/dx through VGG-19 up to relu3_1 (im2col for conv1_1, Winograd elsewhere,
    /// content, style and TV losses, normalisation): the second and third evaluations must
    /// neither build a program nor create a buffer (scratch, constants, CLBlast's temporary
    /// matrices are all kept from the first).
    func testEvaluationsAfterTheFirstAllocateNothing() throws {
        let cl = try OpenCLWinogradTests.winogradDevice()
        let content = try LayerWeights(names: ["relu3_1"], weights: nil, defaultWeight: 1)
        let style = try LayerWeights(names: ["relu1_1", "relu2_1", "relu3_1"], weights: nil, defaultWeight: 1)
        let network = try VGGNetwork(device: cl, weights: VGGWeights.builtIn(depth: content.depth), pooling: .max,
                                     depth: content.depth)
        var data = TestData(seed: 41)
        let shape = Shape(3, 20, 18)
        let image = try cl.tensor(shape, data.uniform(shape.count, 0, 1))
        let contentImage = try cl.tensor(shape, data.uniform(shape.count, 0, 1))
        let targets = try StyleTargets.compute(network: network, images: [contentImage], blend: [1], layers: style)
        let workspace = try VGGWorkspace(network: network, height: 20, width: 18,
                                         keepConvOutputs: Set(content.indices).union(style.indices))
        let objective = try TransferObjective(workspace: workspace, contentImage: contentImage, content: content, style: style,
                                              styleTargets: targets, contentWeight: 1, styleWeight: 10, tvWeight: 0.1)
        let gradient = try cl.makeTensor(shape)
        let first = try objective.evaluate(image, gradient: gradient)
        let buffers = cl.context.buffersCreated, programs = cl.programStatistics
        for _ in 0..<2 {
            let reads = cl.context.blockingReads
            let again = try objective.evaluate(image, gradient: gradient)
            XCTAssertEqual(again.total, first.total, accuracy: 1e-6 * abs(first.total), "same image, same J")
            // One content, three style and the TV loss come back in one transfer.
            XCTAssertEqual(cl.context.blockingReads - reads, 1, "an evaluation waits for the device once")
        }
        XCTAssertEqual(cl.context.buffersCreated, buffers, "buffers created inside the loop")
        XCTAssertEqual(cl.programStatistics.compiled, programs.compiled)
        XCTAssertEqual(cl.programStatistics.fromCache, programs.fromCache)
        XCTAssertGreaterThan(first.total, 0)
        // The memory check's model of the backend's scratch covers what the ops kept (both paths).
        let kept = cl.scratch.filter { $0.key != .lossMatrix }.values.reduce(0) { $0 + $1.count }
        let modelled = cl.scratchFloats(sizes: [ImageSize(height: 20, width: 18)], depth: content.depth)
        XCTAssertNotNil(cl.scratch[.winogradInput])
        XCTAssertNotNil(cl.scratch[.columns])
        XCTAssertLessThanOrEqual(kept, modelled)
    }
}
