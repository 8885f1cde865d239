// OpenCLTuner+Winograd: choosing which convolutions take the Winograd path by timing both paths on the evaluation's layers.
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

    /// The `winogradMinChannels` (among 16, 64, 128, 256, 512 and never) that makes the
    /// evaluation's convolutions fastest with `tuning`'s other parameters: each distinct
    /// convolution is timed on both paths at its real size, or on an image shrunk to at most
    /// `winogradProxyFlops` (only above 256x256), and weighted by its real size. Small proxies
    /// misled: on PoCL a 64x64 image ran both paths at a fraction of their full-size speed.
    public func searchWinogradThreshold(info: OpenCLDeviceInfo, tuning: OpenCLTuning, size: Int, depth: Int) throws -> Int {
        let never = OpenCLDevice.winogradOff
        func device(_ threshold: Int) throws -> OpenCLDevice {
            var t = tuning
            t.winogradMinChannels = threshold
            let device = try OpenCLDevice(info: info, tuning: .given(t))
            device.applyCLBlastTuning()
            return device
        }
        let winograd = try device(1), im2col = try device(never)
        // Per (summed channels k, path): estimated seconds over the evaluation.
        var passes: [(k: Int, winograd: Double, im2col: Double)] = []
        var seen: [String: (Double, Double, Double, Double)] = [:]
        for conv in Self.vggConvolutions(size: size, depth: depth) {
            var side = conv.side
            while side > 4, 2 * 9 * Double(conv.inC * conv.outC * side * side) > Self.winogradProxyFlops { side /= 2 }
            let scale = Double(conv.side * conv.side) / Double(side * side)
            let key = "\(conv.inC) \(conv.outC) \(side)"
            let t = try seen[key] ?? {
                let w = try convolutionSeconds(on: winograd, inC: conv.inC, outC: conv.outC, side: side)
                let c = try convolutionSeconds(on: im2col, inC: conv.inC, outC: conv.outC, side: side)
                return (w.forward, w.backward, c.forward, c.backward)
            }()
            seen[key] = t
            passes.append((conv.inC, t.0 * scale, t.2 * scale))
            passes.append((conv.outC, t.1 * scale, t.3 * scale))
        }
        var best = (threshold: never, seconds: Double.infinity)
        for threshold in [16, 64, 128, 256, 512, never] {
            let seconds = passes.reduce(0) { $0 + ($1.k >= threshold ? $1.winograd : $1.im2col) }
            log(String(format: "  WINOGRAD_MIN_CHANNELS=%@: %.2f s of convolutions per evaluation",
                       threshold == never ? "never" : "\(threshold)", seconds))
            if seconds < best.seconds { best = (threshold, seconds) }
        }
        return best.threshold
    }
}
