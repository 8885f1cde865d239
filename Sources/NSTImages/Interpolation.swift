// Interpolation: bilinear and bicubic resizing of planar values that are not pixels (an optimiser's moments), as PyTorch's F.interpolate does it.
import NSTCore

/// How `resize(_:planes:height:width:toHeight:toWidth:)` makes a value between samples.
///
/// Both follow PyTorch's `F.interpolate(mode:, align_corners=False)` without antialiasing,
/// because style-transfer-pytorch resizes Adam's moments with it (docs/MATH.md, "Warm-started
/// stages"): output index `i` of an axis of `n` samples resized to `N` reads the input at
/// `u = (i + 0.5) n / N - 0.5`, and taps beyond the edges read the edge sample (edges
/// replicated). Unlike `Image.resized`, nothing is clamped: moments are not pixels in [0, 1].
public enum Interpolation: Sendable {
    /// The two samples around `u` (clamped at 0 first, as PyTorch does), weighted linearly.
    case bilinear
    /// Keys's cubic convolution over the four samples around `u`, with `a = -0.75` (PyTorch's).
    case bicubic

    /// Keys's parameter of the cubic kernel: PyTorch's (and OpenCV's) choice; Pillow's
    /// bicubic uses -0.5.
    static let cubicA = -0.75

    /// Keys's cubic convolution kernel `W(x)`: 1 at 0, 0 at the other integers.
    static func cubic(_ x: Double) -> Double {
        let t = abs(x), a = cubicA
        if t <= 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
        return 0
    }

    /// `planes` planes of `height x width` values (plane by plane, row by row, as a `[C,H,W]`
    /// tensor) resized to `toHeight x toWidth`, width first, then height; an axis whose size
    /// does not change is copied.
    /// - Throws: `ImageError` (kind `.invalidSize`) when a size is not positive or `values`
    ///   does not hold `planes * height * width` values.
    public func resize(_ values: [Float], planes: Int, height: Int, width: Int,
                       toHeight: Int, toWidth: Int) throws -> [Float] {
        guard planes > 0, height > 0, width > 0, toHeight > 0, toWidth > 0 else {
            throw ImageError(.invalidSize, path: nil,
                             "cannot interpolate \(planes) planes of \(width)x\(height) values to \(toWidth)x\(toHeight)")
        }
        let (plane, overflow) = height.multipliedReportingOverflow(by: width)
        let (count, overflows) = planes.multipliedReportingOverflow(by: plane)
        guard !overflow, !overflows, values.count == count else {
            throw ImageError(.invalidSize, path: nil,
                             "\(planes) planes of \(width)x\(height) values are not the \(values.count) values given")
        }
        var current = values
        if toWidth != width {
            current = Resampler.horizontal(current, rows: planes * height, axis: ResampleAxis(interpolating: self, from: width, to: toWidth))
        }
        if toHeight != height {
            current = Resampler.vertical(current, planes: planes, width: toWidth,
                                         axis: ResampleAxis(interpolating: self, from: height, to: toHeight))
        }
        return current
    }
}

extension ResampleAxis {
    /// The taps of `kind` from `inputSize` to `outputSize` samples. A tap that falls beyond an
    /// edge reads the edge sample, so its weight is added to that sample's: the taps stay a
    /// contiguous run of input indices.
    init(interpolating kind: Interpolation, from inputSize: Int, to outputSize: Int) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        let taps = kind == .bicubic ? 4 : 2
        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var weights = [Float](repeating: 0, count: outputSize * taps)
        let scale = Double(inputSize) / Double(outputSize)
        for i in 0..<outputSize {
            var u = (Double(i) + 0.5) * scale - 0.5
            // PyTorch clamps the linear modes' coordinate at 0, not the cubic one's.
            if kind == .bilinear { u = max(u, 0) }
            let base = Int(u.rounded(.down)), t = u - Double(base)
            let raw: [(offset: Int, weight: Double)] = kind == .bicubic
                ? [(-1, Interpolation.cubic(t + 1)), (0, Interpolation.cubic(t)), (1, Interpolation.cubic(1 - t)), (2, Interpolation.cubic(2 - t))]
                : [(0, 1 - t), (1, t)]
            let clamped = raw.map { (index: min(max(base + $0.offset, 0), inputSize - 1), weight: $0.weight) }
            let first = clamped.map(\.index).min() ?? 0
            var folded = [Double](repeating: 0, count: taps)
            for tap in clamped { folded[tap.index - first] += tap.weight }
            let last = clamped.map(\.index).max() ?? first
            starts[i] = first
            counts[i] = last - first + 1
            for k in 0..<counts[i] { weights[i * taps + k] = Float(folded[k]) }
        }
        self.taps = taps
        self.starts = starts
        self.counts = counts
        self.weights = weights
    }
}
