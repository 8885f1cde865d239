// OpenCLTuner+Winograd: choosing which convolutions take the Winograd path, and which variant, by timing F(2x2), F(4x4) and im2col on the evaluation's layers.
import Dispatch
import NSTCore

extension OpenCLTuner {
    /// The 3x3 convolutions of VGG-19 up to `depth` at `size`: (in channels, out channels, side).
    static func vggConvolutions(size: Int, depth: Int) -> [(inC: Int, outC: Int, side: Int)] {
        var side = size
        var result: [(Int, Int, Int)] = []
        for layer in VGG19.layers.prefix(depth) {
            switch layer.kind {
            case let .conv(inC, outC): result.append((inC, outC, side))
            case .pool: side /= 2
            case .relu: break
            }
        }
        return result
    }

    /// Seconds of one forward pass and one input gradient of an `inC -> outC` 3x3 convolution
    /// on a `side x side` image on `device` (after a warm-up run).
    func convolutionSeconds(on device: OpenCLDevice, inC: Int, outC: Int, side: Int) throws -> (forward: Double, backward: Double) {
        let input = try device.makeTensor(Shape(inC, side, side)), output = try device.makeTensor(Shape(outC, side, side))
        let weight = try device.makeTensor(Shape(outC, inC, 3, 3)), dIn = try device.makeTensor(Shape(inC, side, side))
        try device.fill(input, with: 0.5)
        try device.fill(weight, with: 0.01)
        func timed(_ body: () throws -> Void) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            try device.synchronize()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let forward = { try device.conv2d(input: input, weight: weight, bias: nil, output: output, padding: 1) }
        let backward = { try device.conv2dInputGradient(outputGradient: output, weight: weight, inputGradient: dIn, padding: 1) }
        _ = try timed(forward)
        _ = try timed(backward)
        return (try timed(forward), try timed(backward))
    }

    /// Most floating-point operations of one timed convolution in the Winograd search (the
    /// heaviest VGG-19 convolution at 256x256 does 4.8 GFLOP).
    static let winogradProxyFlops = 5e9

    /// The Winograd variant and `winogradMinChannels` (among 16, 64, 128, 256, 512 and never)
    /// that make the evaluation's convolutions fastest with `tuning`'s other parameters: each
    /// distinct convolution is timed by F(2x2), by F(4x4) and by im2col at its real size, or
    /// on an image shrunk to at most `winogradProxyFlops` (only above 256x256), and weighted
    /// by its real size; every (variant, threshold) pair is then costed and the cheapest
    /// kept. F(2x2) wins ties and "never" keeps F(2x2) (the file's default), so F(4x4) is
    /// chosen only where it measured faster. Small proxies misled: on PoCL a 64x64 image ran
    /// both paths at a fraction of their full-size speed.
    public func searchWinograd(info: OpenCLDeviceInfo, tuning: OpenCLTuning, size: Int,
                               depth: Int) throws -> (threshold: Int, tile: OpenCLWinogradTile) {
        let never = OpenCLDevice.winogradOff
        func device(_ threshold: Int, _ tile: OpenCLWinogradTile) throws -> OpenCLDevice {
            try Self.winogradDevice(info: info, tuning: tuning, threshold: threshold, tile: tile)
        }
        let tiles = OpenCLWinogradTile.allCases
        let winograd = try tiles.map { try device(1, $0) }, im2col = try device(never, .f2x2)
        var passes: [WinogradPass] = []
        var seen: [String: (forward: [Double], backward: [Double])] = [:]
        for conv in Self.vggConvolutions(size: size, depth: depth) {
            let side = Self.proxySide(inC: conv.inC, outC: conv.outC, side: conv.side)
            let scale = Double(conv.side * conv.side) / Double(side * side)
            let key = "\(conv.inC) \(conv.outC) \(side)"
            let t = try seen[key] ?? {
                let timed = try (winograd + [im2col]).map { try convolutionSeconds(on: $0, inC: conv.inC, outC: conv.outC, side: side) }
                log(String(format: "  %d->%d at %d: forward %@, backward %@ ms (F(2x2), F(4x4), im2col)", conv.inC, conv.outC, side,
                           timed.map { String(format: "%.1f", $0.forward * 1e3) }.joined(separator: "/"),
                           timed.map { String(format: "%.1f", $0.backward * 1e3) }.joined(separator: "/")))
                return (timed.map(\.forward), timed.map(\.backward))
            }()
            seen[key] = t
            passes.append((conv.inC, t.forward.dropLast().map { $0 * scale }, (t.forward.last ?? 0) * scale))
            passes.append((conv.outC, t.backward.dropLast().map { $0 * scale }, (t.backward.last ?? 0) * scale))
        }
        var best = (threshold: never, tile: OpenCLWinogradTile.f2x2, seconds: Double.infinity)
        for (threshold, tile) in Self.winogradCandidates {
            let seconds = Self.winogradCost(passes, threshold: threshold, tile: tile)
            log(String(format: "  %@ WINOGRAD_MIN_CHANNELS=%@: %.2f s of convolutions per evaluation",
                       threshold == never ? "im2col" : tile.label, threshold == never ? "never" : "\(threshold)", seconds))
            if seconds < best.seconds { best = (threshold, tile, seconds) }
        }
        return (best.threshold, best.tile)
    }

    /// One convolution pass of an evaluation as the Winograd searches cost it: its summed
    /// channels k and its estimated seconds by each variant (`OpenCLWinogradTile.allCases`
    /// order) and by im2col.
    typealias WinogradPass = (k: Int, winograd: [Double], im2col: Double)

    /// The (threshold, variant) pairs the searches cost, in the order ties go to the first:
    /// each variant from 16, 64, 128, 256 and 512 channels, and never (im2col, kept as F(2x2)).
    static var winogradCandidates: [(threshold: Int, tile: OpenCLWinogradTile)] {
        OpenCLWinogradTile.allCases.flatMap { tile in
            [16, 64, 128, 256, 512, OpenCLDevice.winogradOff]
                .filter { tile == .f2x2 || $0 != OpenCLDevice.winogradOff }.map { ($0, tile) }
        }
    }

    /// Seconds of `passes` when Winograd `tile` runs from `threshold` summed channels and im2col below.
    static func winogradCost(_ passes: [WinogradPass], threshold: Int, tile: OpenCLWinogradTile) -> Double {
        let index = OpenCLWinogradTile.allCases.firstIndex(of: tile) ?? 0
        return passes.reduce(0) { $0 + ($1.k >= threshold ? $1.winograd[index] : $1.im2col) }
    }

    /// The side a convolution is timed at: its own, halved (not below 4) until one pass
    /// does at most `winogradProxyFlops`.
    static func proxySide(inC: Int, outC: Int, side: Int) -> Int {
        var side = side
        while side > 4, 2 * 9 * Double(inC * outC * side * side) > winogradProxyFlops { side /= 2 }
        return side
    }

    /// `info`'s device with `tuning`, but Winograd `tile` from `threshold` summed channels,
    /// its CLBlast parameters applied: what the searches time each choice on.
    static func winogradDevice(info: OpenCLDeviceInfo, tuning: OpenCLTuning, threshold: Int,
                               tile: OpenCLWinogradTile) throws -> OpenCLDevice {
        var t = tuning
        t.winogradMinChannels = threshold
        t.winogradTile = tile
        let device = try OpenCLDevice(info: info, tuning: .given(t))
        device.applyCLBlastTuning()
        return device
    }
}
