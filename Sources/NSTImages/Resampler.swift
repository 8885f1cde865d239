// Resampler: separable Lanczos-3 resampling of planar images, antialiased when shrinking.
import Foundation
import NSTCore

/// The filter taps that make one axis of the output from one axis of the input.
///
/// Output pixel i is centred at input coordinate `(i + 0.5) / scale - 0.5`
/// (pixel centres aligned, as in Pillow and OpenCV's area-correct resizers). When
/// shrinking, the Lanczos-3 kernel is stretched by `1 / scale` so that it averages
/// over every input pixel the output pixel covers (no aliasing). Taps that fall
/// outside the image are dropped and the rest renormalised to sum 1, so a constant
/// image stays constant up to rounding.
struct ResampleAxis {
    let inputSize: Int
    let outputSize: Int
    /// The most taps any output pixel uses; `weights` has this stride.
    let taps: Int
    /// First input index of each output pixel.
    let starts: [Int]
    /// Number of taps each output pixel uses (the rest of its stride is zero).
    let counts: [Int]
    let weights: [Float]

    static let lobes = 3.0

    /// Lanczos-3: sinc(x) sinc(x/3) for |x| < 3, else 0.
    static func lanczos(_ x: Double) -> Double {
        if x == 0 { return 1 }
        if abs(x) >= lobes { return 0 }
        let px = Double.pi * x
        return lobes * sin(px) * sin(px / lobes) / (px * px)
    }

    init(from inputSize: Int, to outputSize: Int) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        let scale = Double(outputSize) / Double(inputSize)
        let stretch = max(1, 1 / scale)
        let support = ResampleAxis.lobes * stretch
        let taps = Int((2 * support).rounded(.up)) + 1
        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var weights = [Float](repeating: 0, count: outputSize * taps)
        var raw = [Double](repeating: 0, count: taps)
        for i in 0..<outputSize {
            let center = (Double(i) + 0.5) / scale - 0.5
            let first = max(0, Int((center - support).rounded(.up)))
            let last = min(inputSize - 1, Int((center + support).rounded(.down)))
            var total = 0.0
            var count = 0
            if first <= last {
                for j in first...last where count < taps {
                    raw[count] = ResampleAxis.lanczos((Double(j) - center) / stretch)
                    total += raw[count]
                    count += 1
                }
            }
            if count == 0 || abs(total) < 1e-12 {
                // Cannot happen for sane sizes; fall back to the nearest input pixel.
                starts[i] = min(max(Int(center.rounded()), 0), inputSize - 1)
                counts[i] = 1
                weights[i * taps] = 1
                continue
            }
            starts[i] = first
            counts[i] = count
            for k in 0..<count { weights[i * taps + k] = Float(raw[k] / total) }
        }
        self.taps = taps
        self.starts = starts
        self.counts = counts
        self.weights = weights
    }
}

/// Resamples planar 3-channel images: width first, then height; an axis whose
/// size does not change is copied, not filtered.
enum Resampler {
    static func resample(_ image: Image, width: Int, height: Int) -> Image {
        var current = image.pixels
        var currentWidth = image.width
        if width != image.width {
            let axis = ResampleAxis(from: image.width, to: width)
            current = horizontal(current, rows: 3 * image.height, axis: axis)
            currentWidth = width
        }
        if height != image.height {
            let axis = ResampleAxis(from: image.height, to: height)
            current = vertical(current, planes: 3, width: currentWidth, axis: axis)
        }
        // Lanczos lobes overshoot at edges; images stay in [0, 1] by contract.
        for i in current.indices { current[i] = min(max(current[i], 0), 1) }
        return Image(checkedWidth: width, height: height, pixels: current)
    }

    /// Filters each of `rows` rows of `axis.inputSize` values to `axis.outputSize`.
    static func horizontal(_ input: [Float], rows: Int, axis: ResampleAxis) -> [Float] {
        var output = [Float](repeating: 0, count: rows * axis.outputSize)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                axis.weights.withUnsafeBufferPointer { weights in
                    guard let src = source.baseAddress, let dst = target.baseAddress,
                          let w = weights.baseAddress else { return }
                    Parallel.forEach(rows, costPerItem: 2 * axis.outputSize * axis.taps) { row in
                        let inRow = src + row * axis.inputSize
                        let outRow = dst + row * axis.outputSize
                        for i in 0..<axis.outputSize {
                            let taps = w + i * axis.taps
                            let start = inRow + axis.starts[i]
                            var sum: Float = 0
                            for k in 0..<axis.counts[i] { sum += taps[k] * start[k] }
                            outRow[i] = sum
                        }
                    }
                }
            }
        }
        return output
    }

    /// Filters the columns of `planes` planes of `axis.inputSize` rows of `width` values.
    static func vertical(_ input: [Float], planes: Int, width: Int, axis: ResampleAxis) -> [Float] {
        var output = [Float](repeating: 0, count: planes * axis.outputSize * width)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                axis.weights.withUnsafeBufferPointer { weights in
                    guard let src = source.baseAddress, let dst = target.baseAddress,
                          let w = weights.baseAddress else { return }
                    Parallel.forEach(planes * axis.outputSize, costPerItem: 2 * width * axis.taps) { outIndex in
                        let channel = outIndex / axis.outputSize, i = outIndex % axis.outputSize
                        let outRow = dst + outIndex * width
                        for k in 0..<axis.counts[i] {
                            let weight = w[i * axis.taps + k]
                            let inRow = src + (channel * axis.inputSize + axis.starts[i] + k) * width
                            for x in 0..<width { outRow[x] += weight * inRow[x] }
                        }
                    }
                }
            }
        }
        return output
    }
}
