// TestProblems: small style transfer problems on the CPU backend shared by the network, optimiser and transfer tests.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import StyleTransfer

/// A tiny transfer problem: random content and style images of a few pixels.
struct TinyProblem {
    let device: CPUDevice
    let content: Image
    let style: Image
    var options: TransferOptions

    /// `size x size` content, a style of another size, shallow layers so debug builds stay fast.
    init(size: Int = 16, seed: UInt64 = 7, device: CPUDevice = CPUDevice()) throws {
        self.device = device
        var data = TestData(seed: seed)
        content = try Image(width: size, height: size - 2, pixels: data.uniform(3 * size * (size - 2), 0.1, 0.9))
        style = try Image(width: size + 4, height: size, pixels: data.uniform(3 * (size + 4) * size, 0, 1))
        options = TransferOptions(contentPath: "c.png", stylePaths: ["s.png"], outputPath: "o.png")
        options.contentLayers = ["relu2_1"]
        options.styleLayers = ["relu1_1", "relu2_1"]
        options.iterations = 5
        options.quiet = true
    }

    /// The engine for the current options.
    func engine(weights: VGGWeights? = nil, initial: Image? = nil, keepLastGood: Bool = false) throws -> TransferEngine {
        try TransferEngine(device: device, plan: try TransferPlan(options), weights: weights ?? VGGWeights.builtIn(depth: 7),
                           content: content, styles: [style], initial: initial, keepLastGood: keepLastGood)
    }

    /// The engine for the current options with tiles of `tile` pixels (a `TiledObjective`).
    func tiledEngine(tile: Int) throws -> TransferEngine {
        let plan = try TransferPlan(options)
        return try TransferEngine(device: device, plan: plan, weights: .builtIn(depth: plan.depth), content: content, styles: [style],
                                  layout: StageLayout(layout: .tiled(tileSide: tile), history: 4, note: nil))
    }

    /// The rows of a tiled run (tiles of `tile` pixels) against the whole-image run's: per
    /// iteration, the largest relative difference of J and of J_style.
    func tiledRunMismatch(tile: Int) throws -> [Double] {
        let whole = try run(engine()), tiled = try tiledEngine(tile: tile)
        let rows = try run(tiled)
        guard tiled.objective is TiledObjective, rows.count == whole.count else {
            throw DeviceError.invalidArgument(op: "tiledRunMismatch", detail: "not tiled, or \(rows.count) rows against \(whole.count)")
        }
        return zip(rows, whole).map { a, b in
            max(abs(a.total - b.total) / abs(b.total), abs(a.style - b.style) / abs(b.style))
        }
    }

    /// The 16-px problem's 3 Adam iterations on `device` and on the CPU backend: the rows of
    /// each, for the tests that compare a backend's transfer with the CPU's.
    static func adamRows(on device: any Device) throws -> (rows: [LossValues], cpuRows: [LossValues]) {
        var problem = try TinyProblem(size: 16)
        problem.options.optimizer = .adam
        problem.options.iterations = 3
        let cpuRows = try problem.run(problem.engine())
        let engine = try TransferEngine(device: device, plan: try TransferPlan(problem.options), weights: .builtIn(depth: 7),
                                        content: problem.content, styles: [problem.style])
        return (try problem.run(engine), cpuRows)
    }

    /// Runs the engine and returns the rows it reported.
    func run(_ engine: TransferEngine) throws -> [LossValues] {
        var rows: [LossValues] = []
        try engine.run { k, losses, _ in
            precondition(k == rows.count)
            rows.append(losses)
        }
        return rows
    }
}
