// OpenCLDevice+Workload: the matrix products one VGG-19 evaluation issues on this device, and timing them.
import COpenCL
import Dispatch
import NSTCore

/// One row-major SGEMM `C[m,n] = op(A) op(B)` as the backend issues it.
public struct GemmShape: Hashable, Sendable, CustomStringConvertible {
    public let m: Int, n: Int, k: Int
    public let transA: Bool, transB: Bool

    public init(m: Int, n: Int, k: Int, transA: Bool, transB: Bool) {
        self.m = m; self.n = n; self.k = k; self.transA = transA; self.transB = transB
    }

    /// Floating-point operations of one product.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    public var description: String { "\(m)x\(n)x\(k)\(transA ? " A^T" : "")\(transB ? " B^T" : "")" }
}

extension OpenCLDevice {
    /// The matrix products of one evaluation (forward and backward to the image through the
    /// first `depth` layers of VGG-19, with style losses at `styleLayers`) on a
    /// `height x width` image, with how often each occurs: derived from the layer table and
    /// this device's convolution and loss code, so it follows their algorithm choices.
    public func evaluationGemms(height: Int, width: Int, depth: Int, styleLayers: [Int]) throws -> [(GemmShape, Int)] {
        let (shapes, tooSmall) = VGG19.shapes(height: height, width: width, depth: depth)
        if let tooSmall {
            throw DeviceError.invalidArgument(op: "tune", detail: "a \(width)x\(height) image is too small for \(tooSmall)")
        }
        var counts: [GemmShape: Int] = [:]
        var order: [GemmShape] = []
        func add(_ list: [GemmShape]) {
            for shape in list {
                if counts[shape] == nil { order.append(shape) }
                counts[shape, default: 0] += 1
            }
        }
        var input = Shape(3, height, width)
        for (index, layer) in VGG19.layers.prefix(depth).enumerated() {
            if case let .conv(inC, outC) = layer.kind {
                let g = try ConvGeometry(op: "tune", input: input, weight: Shape(outC, inC, 3, 3), bias: Shape(outC),
                                         output: shapes[index], padding: 1)
                add(convGemms(g, inputGradient: false))
                add(convGemms(g, inputGradient: true))
            }
            if styleLayers.contains(index) {
                let s = shapes[index], c = s[0], hw = s[1] * s[2]
                add(styleLossGemms(channels: c, pixels: hw))
            }
            input = shapes[index]
        }
        return order.map { ($0, counts[$0] ?? 0) }
    }

    /// Runs each of `shapes` once on scratch buffers (values irrelevant: only time is
    /// measured) and returns the seconds each took, waiting for each to finish.
    public func timeGemms(_ shapes: [GemmShape]) throws -> [Double] {
        let most = shapes.reduce(into: (a: 1, b: 1, c: 1)) { sizes, s in
            sizes.a = max(sizes.a, s.m * s.k); sizes.b = max(sizes.b, s.k * s.n); sizes.c = max(sizes.c, s.m * s.n)
        }
        let buffers = try [most.a, most.b, most.c].map { try Self.makeBuffer(context, count: $0, device: name) }
        defer { buffers.forEach { clReleaseMemObject($0) } }
        for (buffer, count) in zip(buffers, [most.a, most.b, most.c]) {
            try fillBuffer(buffer, count: count, value: 0.5, op: "tune")
        }
        try synchronize()
        return try shapes.map { s in
            let start = DispatchTime.now().uptimeNanoseconds
            try sgemm("tune", transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1,
                      a: buffers[0], lda: s.transA ? s.m : s.k, b: buffers[1], ldb: s.transB ? s.k : s.n,
                      beta: 0, c: buffers[2], ldc: s.n)
            try synchronize()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }
}
