// Benchmark: seconds per evaluation of J and dJ/dx through VGG-19 to relu5_1, GFLOP/s, peak memory, per-op breakdown.
import Foundation
import NSTCore
import NSTImages
import NSTWeights

/// One op family's part of an evaluation, from a profiled run.
public struct OpShare: Codable, Sendable {
    public let op: String
    public let seconds: Double
    /// Fraction of the profiled evaluation's op time.
    public let share: Double
    /// Useful work rate where the op's work is well defined (convolutions, Gram/style).
    public let gflopPerSecond: Double?
}

/// What `nst bench` measures for one device and size.
public struct BenchmarkResult: Codable, Sendable {
    public let device: String
    public let size: Int
    public let evaluations: Int
    /// Median wall time of one evaluation (forward + backward to the image).
    public let secondsPerEvaluation: Double
    /// Every timed evaluation, in order.
    public let samples: [Double]
    /// Median processor time of one evaluation, summed over threads: on a busy machine it
    /// is steadier than wall time (it does not count time other processes held the cores).
    public let cpuSecondsPerEvaluation: Double
    /// Convolution work of one evaluation (forward and input gradient, 2 FLOP per multiply-add).
    public let gflopPerEvaluation: Double
    public let gflopPerSecond: Double
    /// Building the network, the style targets and the content targets, plus the warm-up.
    public let setupSeconds: Double
    /// The process's peak resident memory after the timed evaluations (a high-water mark).
    public let peakResidentBytes: Int
    public let breakdown: [OpShare]
}

/// The benchmark behind `nst bench`: the default losses of `nst transfer` (content
/// `relu4_2`, style `relu1_1..relu5_1`, TV) on seeded noise images, so the work matches
/// the PyTorch peer benchmark's.
public enum Benchmark {
    /// Convolution GFLOP of one evaluation at `height x width` through the first `depth`
    /// layers: each convolution's forward pass and its input gradient.
    public static func gflopPerEvaluation(height: Int, width: Int, depth: Int, model: VGGModel = .vgg19) -> Double {
        var h = height, w = width, flops = 0.0
        for layer in model.layers.prefix(depth) {
            switch layer.kind {
            case let .conv(inC, outC): flops += 2 * 2 * Double(inC * outC * 9) * Double(h * w)
            case .pool: h /= 2; w /= 2
            case .relu: break
            }
        }
        return flops / 1e9
    }

    /// Times `evaluations` evaluations at `size x size` after `warmup` untimed ones, then,
    /// when `breakdown` is set, profiles one more on a `ProfilingDevice` (untiled runs only).
    /// With `tile`, the evaluation is tiled (`TiledObjective`) over `device` and `workers`.
    public static func run(device: any Device, size: Int, evaluations: Int = 5, warmup: Int = 1,
                           breakdown: Bool = true, tile: Int? = nil, workers: [any Device] = []) throws -> BenchmarkResult {
        guard size >= 16 else {
            throw DeviceError.invalidArgument(op: "bench", detail: "\(TransferOption.size) must be at least 16 to reach relu5_1, got \(size)")
        }
        guard evaluations >= 1, warmup >= 0 else {
            throw DeviceError.invalidArgument(op: "bench", detail: "needs 1 or more timed evaluations and 0 or more warm-up ones")
        }
        let setupStart = now()
        let engine = try makeEngine(device: device, size: size, tile: tile, workers: workers)
        for _ in 0..<warmup { _ = try engine.objective.evaluate(engine.image, gradient: engine.gradient) }
        try device.synchronize()
        let setup = now() - setupStart
        var samples: [Double] = [], cpuSamples: [Double] = []
        for _ in 0..<evaluations {
            let start = now(), cpuStart = processorSeconds()
            // The losses come back to the host, so the evaluation has finished when this returns.
            _ = try engine.objective.evaluate(engine.image, gradient: engine.gradient)
            try device.synchronize()
            samples.append(now() - start)
            cpuSamples.append(processorSeconds() - cpuStart)
        }
        let peak = peakResidentBytes()
        let depth = engine.plan.depth
        let gflop = gflopPerEvaluation(height: size, width: size, depth: depth, model: engine.plan.model)
        let median = samples.sorted()[samples.count / 2]
        var shares: [OpShare] = []
        if breakdown, tile == nil {
            let profiler = ProfilingDevice(device)
            let profiled = try makeEngine(device: profiler, size: size)
            _ = try profiled.objective.evaluate(profiled.image, gradient: profiled.gradient)
            profiler.reset()
            _ = try profiled.objective.evaluate(profiled.image, gradient: profiled.gradient)
            let total = profiler.timings.values.reduce(0) { $0 + $1.seconds }
            shares = OpFamily.allCases.compactMap { family in
                guard let t = profiler.timings[family], t.calls > 0 else { return nil }
                return OpShare(op: family.rawValue, seconds: t.seconds, share: total > 0 ? t.seconds / total : 0,
                               gflopPerSecond: t.flops > 0 && t.seconds > 0 ? t.flops / t.seconds / 1e9 : nil)
            }
        }
        let name = ([device] + workers.dropFirst()).map(\.name).joined(separator: " + ") + (tile.map { ", tiles of \($0) px" } ?? "")
        return BenchmarkResult(device: name, size: size, evaluations: evaluations, secondsPerEvaluation: median,
                               samples: samples, cpuSecondsPerEvaluation: cpuSamples.sorted()[cpuSamples.count / 2],
                               gflopPerEvaluation: gflop, gflopPerSecond: gflop / median,
                               setupSeconds: setup, peakResidentBytes: peak, breakdown: shares)
    }

    /// The plan of a benchmark at `size` (tiles of `tile`): `nst transfer`'s default losses,
    /// checked as a transfer's are (`TransferOption.size`, `TransferOption.tile`) and large enough for its layers.
    /// - Throws: `TransferError.option` naming the option.
    public static func plan(size: Int, tile: Int?) throws -> TransferPlan {
        var options = TransferOptions()
        options.size = size
        options.iterations = 1
        options.large.tile = tile
        let plan = try TransferPlan(options, styleCount: 1)
        try plan.model.checkFits(width: size, height: size, depth: plan.depth, option: TransferOption.size.rawValue)
        return plan
    }

    /// A transfer engine with `nst transfer`'s default losses on seeded noise images.
    private static func makeEngine(device: any Device, size: Int, tile: Int? = nil, workers: [any Device] = []) throws -> TransferEngine {
        let plan = try plan(size: size, tile: tile)
        let count = 3 * size * size
        let content = try Image(width: size, height: size, pixels: TransferEngine.noise(count: count, seed: 1))
        let style = try Image(width: size, height: size, pixels: TransferEngine.noise(count: count, seed: 2))
        let layout = tile.map { StageLayout(layout: .tiled(tileSide: $0), history: 1, note: nil) }
        return try TransferEngine(device: device, plan: plan, weights: VGGWeights.builtIn(depth: plan.depth, model: plan.model),
                                  content: content, styles: [style], layout: layout, workers: workers)
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Processor time used by this process so far, all threads.
    private static func processorSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// `ru_maxrss` of this process, in bytes (Linux reports kilobytes).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return usage.ru_maxrss * 1024
    }
}
