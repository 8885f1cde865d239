// OpenCLTuner+Quick: the short search of the automatic tune on a device's first use: the GEMM engine and the Winograd choice only, against a deadline.
import Dispatch
import Foundation
import NSTCore

/// What `OpenCLTuner.quickTune` chose, and how far it got within its budget.
public struct OpenCLQuickTuneOutcome: Sendable {
    /// The settings to store: the start's, with what the search decided in their place;
    /// valid for the device.
    public let tuning: OpenCLTuning
    /// One phrase per step, saying what it chose or why it kept the start's value
    /// ("gemm.cl kept", "Winograd F(4x4) from 16 channels", "Winograd kept: out of time").
    public let steps: [String]
    /// Whether every step finished within the budget (a step cut short keeps the start's value).
    public let complete: Bool
    /// Seconds the search took, less `buildSeconds`: what the budget counts.
    public let seconds: Double
    /// Seconds of the warm-ups that built the run's own programs (with the start's build
    /// options: the run would build them anyway; PoCL takes seconds for each without its
    /// kernel cache, milliseconds with it).
    public let buildSeconds: Double
}

/// The quick search's clock: wall time since it began, with the warm-ups that build the
/// run's own programs kept apart.
final class QuickTuneClock {
    private let began = DispatchTime.now().uptimeNanoseconds
    /// Seconds the search may take besides the builds, and in all.
    let budget: Double, wall: Double
    /// Seconds spent in `building`.
    private(set) var building = 0.0

    init(budget: Double, wall: Double) {
        self.budget = budget
        self.wall = wall
    }

    /// Wall-clock seconds since the search began.
    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
    /// Whether the budget, or the whole search's limit, is spent.
    var expired: Bool {
        let now = elapsed
        return now - building >= budget || now >= wall
    }

    /// Runs `body`, counting its time as building rather than searching.
    func build<T>(_ body: () throws -> T) rethrows -> T {
        let start = elapsed
        defer { building += elapsed - start }
        return try body()
    }
}

extension OpenCLTuner {
    /// How much faster an alternative must measure to replace the start's choice: at most
    /// this fraction of its time. Single timings on a busy machine scatter by several per
    /// cent; the start (a shipped entry from a full `nst tune`) should not lose to noise.
    public static let quickMargin = 0.9

    /// The short search the automatic tune runs on a device's first use, within about
    /// `budgetSeconds` of wall time besides building the run's own programs, and
    /// `wallSeconds` in all (default: twice the budget). Each timing checks both limits
    /// first, so one timing (with its warm-up) past them is the most it overshoots; on a
    /// simulator such as Oclgrind a single timing can take seconds. From `start` (the shipped
    /// entry's settings, or nil for the defaults) it searches only the two choices that
    /// move an evaluation's time most, in this order, and keeps everything else:
    ///
    /// 1. The GEMM engine, when the start's is CLBlast: `Kernels/gemm.cl` (the start's
    ///    tiles, the driver's group width) against CLBlast with the start's parameters, on
    ///    the matrix products of one evaluation. A start on gemm.cl keeps it: CLBlast loses
    ///    by 5-8x where gemm.cl is the default (CPU drivers), and compiling its kernels there
    ///    takes longer than the whole budget (about 10 s on PoCL). CLBlast's parameters are
    ///    not searched: an override holds for the whole process and cannot be undone.
    /// 2. The Winograd variant and threshold: every distinct 3x3 convolution of the
    ///    evaluation (as `searchWinograd`, proxies above 256x256) run forward once by
    ///    F(2x2), F(4x4) and im2col, after a warm-up on a 4x4 image with the same weights
    ///    (which builds the programs and transforms the filter, as a run does once per
    ///    weight); the input gradient is costed as the forward pass of the same layer
    ///    with k = the output channels. The cheapest (variant, threshold) is kept.
    ///
    /// An alternative replaces the start's choice only when it takes at most `quickMargin`
    /// of its time. A step the deadline cuts short keeps the start's choice. The
    /// work-group size, gemm.cl's tiles and CLBlast's parameters are left to `nst tune`
    /// (`tune(info:size:depth:styleLayers:budgetSeconds:)`): each candidate there means
    /// compiling programs, seconds apiece on a CPU driver.
    ///
    /// Every program the search builds has the start's build options, so a run that keeps
    /// them finds them in the program cache. The Winograd step's warm-ups, which build
    /// `winograd.cl`, `im2col.cl` and the GEMM engine's programs on first use, are timed
    /// apart (`buildSeconds`) and not charged to `budgetSeconds`: without PoCL's own kernel
    /// cache those builds alone took the whole of a 10 s budget on the project's machine,
    /// and the run needs them anyway. Progress goes to `log`.
    /// - Throws: when the device fails to open or run, or an image of `size` is too small for VGG-19.
    public func quickTune(info: OpenCLDeviceInfo, start: OpenCLTuning?, size: Int, depth: Int, styleLayers: [Int],
                          budgetSeconds: Double, wallSeconds: Double? = nil) throws -> OpenCLQuickTuneOutcome {
        let clock = QuickTuneClock(budget: budgetSeconds, wall: wallSeconds ?? 2 * budgetSeconds)
        let expired = { clock.expired }
        var tuning = start ?? OpenCLTuning(info: info)
        tuning.notes = [:]
        var steps: [String] = []
        var complete = true

        // 1. The GEMM engine.
        if (tuning.gemmEngine ?? .untuned(for: info)).usesProjectKernels {
            steps.append("gemm.cl kept")
        } else if let faster = try quickEngine(info: info, tuning: tuning, size: size, depth: depth, styleLayers: styleLayers,
                                               expired: expired) {
            if faster { tuning.gemmEngine = .projectKernels(group: 0) }
            steps.append(faster ? "gemm.cl in place of CLBlast" : "CLBlast kept")
        } else {
            steps.append("GEMM engine kept: out of time")
            complete = false
        }

        // 2. Winograd.
        let startChoice = (threshold: tuning.winogradMinChannels, tile: tuning.winogradTile)
        if let passes = try quickWinogradPasses(info: info, tuning: tuning, size: size, depth: depth, clock: clock) {
            let startSeconds = Self.winogradCost(passes, threshold: startChoice.threshold, tile: startChoice.tile)
            var best = (threshold: startChoice.threshold, tile: startChoice.tile, seconds: startSeconds)
            for (threshold, tile) in Self.winogradCandidates {
                let seconds = Self.winogradCost(passes, threshold: threshold, tile: tile)
                if seconds < best.seconds { best = (threshold, tile, seconds) }
            }
            log(String(format: "  convolutions per evaluation: %.3f s with the start's choice, %.3f s with the best", startSeconds, best.seconds))
            if best.seconds <= Self.quickMargin * startSeconds {
                tuning.winogradMinChannels = best.threshold
                tuning.winogradTile = best.threshold == OpenCLDevice.winogradOff ? .f2x2 : best.tile
                steps.append(Self.describeWinograd(tuning) + " in place of " + Self.describeWinograd(startChoice.threshold, startChoice.tile))
            } else {
                steps.append(Self.describeWinograd(tuning) + " kept")
            }
        } else {
            steps.append(Self.describeWinograd(tuning) + " kept: out of time")
            complete = false
        }
        let seconds = clock.elapsed - clock.building
        func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
        tuning.notes = ["size": Double(size), "autotuneSeconds": rounded(seconds), "autotuneBuildSeconds": rounded(clock.building),
                        "autotuneComplete": complete ? 1 : 0]
        try tuning.validate(for: info)
        return OpenCLQuickTuneOutcome(tuning: tuning, steps: steps, complete: complete, seconds: seconds, buildSeconds: clock.building)
    }

    /// "Winograd F(4x4) from 16 channels" or "im2col (no Winograd)".
    static func describeWinograd(_ threshold: Int, _ tile: OpenCLWinogradTile) -> String {
        threshold >= OpenCLDevice.winogradOff ? "im2col (no Winograd)" : "Winograd \(tile.label) from \(threshold) channels"
    }

    static func describeWinograd(_ tuning: OpenCLTuning) -> String {
        describeWinograd(tuning.winogradMinChannels, tuning.winogradTile)
    }

    /// Whether gemm.cl (the tuning's tiles, the driver's group width) beats CLBlast (the
    /// tuning's parameters, applied as a run applies them) by `quickMargin` on one
    /// evaluation's products; nil when `expired` said stop first.
    func quickEngine(info: OpenCLDeviceInfo, tuning: OpenCLTuning, size: Int, depth: Int, styleLayers: [Int],
                     expired: () -> Bool) throws -> Bool? {
        var clblastTuning = tuning
        clblastTuning.gemmEngine = .clblast
        let clblast = try OpenCLDevice(info: info, tuning: .given(clblastTuning))
        clblast.applyCLBlastTuning()
        let workload = Workload(try clblast.evaluationGemms(height: size, width: size, depth: depth, styleLayers: styleLayers),
                                proxyFlops: proxyFlops)
        guard !expired() else { return nil }
        let clblastSeconds = try seconds(workload, on: clblast)
        guard !expired() else { return nil }
        var projectTuning = tuning
        projectTuning.gemmEngine = .projectKernels(group: 0)
        // A driver that cannot build gemm.cl keeps CLBlast, as the full search does.
        guard let project = try? OpenCLDevice(info: info, tuning: .given(projectTuning)),
              let projectSeconds = try? seconds(workload, on: project) else { return false }
        log(String(format: "  GEMM: CLBlast %.1f GFLOP/s, gemm.cl %.1f GFLOP/s", workload.flops / clblastSeconds / 1e9,
                   workload.flops / projectSeconds / 1e9))
        return projectSeconds <= Self.quickMargin * clblastSeconds
    }

    /// Per pass of every 3x3 convolution of the evaluation (forward, k = input channels;
    /// input gradient, k = output channels, costed as the forward pass): estimated seconds
    /// over the evaluation by each Winograd variant (`OpenCLWinogradTile.allCases` order)
    /// and by im2col, with `tuning`'s other settings; nil when `clock` expired first.
    func quickWinogradPasses(info: OpenCLDeviceInfo, tuning: OpenCLTuning, size: Int, depth: Int,
                             clock: QuickTuneClock) throws -> [WinogradPass]? {
        func device(_ threshold: Int, _ tile: OpenCLWinogradTile) throws -> OpenCLDevice {
            try Self.winogradDevice(info: info, tuning: tuning, threshold: threshold, tile: tile)
        }
        let devices = try OpenCLWinogradTile.allCases.map { try device(1, $0) } + [try device(OpenCLDevice.winogradOff, .f2x2)]
        var passes: [WinogradPass] = []
        var seen: [String: [Double]] = [:]
        for conv in Self.vggConvolutions(size: size, depth: depth) {
            let side = Self.proxySide(inC: conv.inC, outC: conv.outC, side: conv.side)
            let scale = Double(conv.side * conv.side) / Double(side * side)
            let key = "\(conv.inC) \(conv.outC) \(side)"
            var times = seen[key] ?? []
            if times.isEmpty {
                for device in devices {
                    guard !clock.expired else { return nil }
                    times.append(try forwardSeconds(on: device, inC: conv.inC, outC: conv.outC, side: side, clock: clock))
                }
                log(String(format: "  %d->%d at %d: forward %@ ms (F(2x2), F(4x4), im2col)", conv.inC, conv.outC, side,
                           times.map { String(format: "%.1f", $0 * 1e3) }.joined(separator: "/")))
                seen[key] = times
            }
            let scaled = times.map { $0 * scale }
            passes.append((conv.inC, Array(scaled.dropLast()), scaled.last ?? 0))
            passes.append((conv.outC, Array(scaled.dropLast()), scaled.last ?? 0))
        }
        return passes
    }

    /// Seconds of one forward pass of an `inC -> outC` 3x3 convolution on a `side x side`
    /// image on `device`, after a warm-up on a 4x4 image with the same weights (counted by
    /// `clock` as building: it builds the programs on their first use).
    func forwardSeconds(on device: OpenCLDevice, inC: Int, outC: Int, side: Int, clock: QuickTuneClock) throws -> Double {
        let weight = try device.makeTensor(Shape(outC, inC, 3, 3))
        try clock.build {
            try device.fill(weight, with: 0.01)
            let small = try device.makeTensor(Shape(inC, 4, 4)), smallOut = try device.makeTensor(Shape(outC, 4, 4))
            try device.conv2d(input: small, weight: weight, bias: nil, output: smallOut, padding: 1)
            try device.synchronize()
        }
        let input = try device.makeTensor(Shape(inC, side, side)), output = try device.makeTensor(Shape(outC, side, side))
        try device.fill(input, with: 0.5)
        try device.synchronize()
        let start = DispatchTime.now().uptimeNanoseconds
        try device.conv2d(input: input, weight: weight, bias: nil, output: output, padding: 1)
        try device.synchronize()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
