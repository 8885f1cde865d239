// OpenCLGemmTests: both GEMM engines (CLBlast, Kernels/gemm.cl at standard and odd tiles) against a Double reference, by one table of cases.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class OpenCLGemmTests: XCTestCase {
    /// One product: shape, transposes, padding of the leading dimensions, offsets, alpha and beta.
    struct Case {
        var m: Int, n: Int, k: Int
        var transA = false, transB = false
        var pad = 0, offset = 0
        var alpha: Float = 1, beta: Float = 0
    }

    /// Odd sizes around the tile edges (tiles of 6x16, 4x12 and 3x4 dot products), a
    /// single row and column, k below and above the vector width, offsets and accumulation.
    static let cases: [Case] = [
        Case(m: 1, n: 1, k: 1), Case(m: 6, n: 16, k: 8), Case(m: 7, n: 17, k: 9), Case(m: 13, n: 33, k: 70),
        Case(m: 64, n: 96, k: 27), Case(m: 5, n: 300, k: 3, pad: 3, offset: 5, alpha: 0.5, beta: 0),
        Case(m: 12, n: 50, k: 31, alpha: -1.5, beta: 0.75),
        Case(m: 70, n: 33, k: 67, transA: true), Case(m: 9, n: 17, k: 130, transA: true, pad: 2, offset: 7, beta: 1),
        Case(m: 3, n: 5, k: 7, transB: true), Case(m: 17, n: 13, k: 333, transB: true, pad: 1, offset: 3, alpha: 2, beta: 0.5),
        Case(m: 64, n: 64, k: 1024, transB: true, alpha: 1.0 / 1024),
        Case(m: 4, n: 6, k: 5, transA: true, transB: true),
        Case(m: 8, n: 8, k: 0, beta: 0.5),
    ]

    /// The engines to compare: CLBlast, the project kernels at their standard tiles, and
    /// at tiles that are not the standard (so the defines reach every kernel), with a set
    /// work-group width.
    static func engines(_ info: OpenCLDeviceInfo) -> [(String, OpenCLTuning)] {
        let odd = OpenCLGemmTiles(rows: 4, vectors: 3, width: 4, ntRows: 2, ntColumns: 5)
        return [
            ("clblast", OpenCLTuning(info: info, gemmEngine: .clblast)),
            ("gemm.cl", OpenCLTuning(info: info, gemmEngine: .projectKernels(group: 0))),
            ("gemm.cl odd tiles", OpenCLTuning(info: info, gemmEngine: .projectKernels(group: 4), gemmTiles: odd)),
        ]
    }

    func testEnginesMatchDoubleReference() throws {
        let info = try OpenCLTestDevice.get().info
        var data = TestData(seed: 41)
        for (label, tuning) in Self.engines(info) {
            let device = try OpenCLDevice(info: info, tuning: .given(tuning))
            XCTAssertEqual(device.usesProjectGemm, tuning.gemmEngine?.usesProjectKernels == true, label)
            for c in Self.cases {
                let (rowsA, colsA) = c.transA ? (c.k, c.m) : (c.m, c.k)
                let (rowsB, colsB) = c.transB ? (c.n, c.k) : (c.k, c.n)
                let lda = max(colsA, 1) + c.pad, ldb = max(colsB, 1) + c.pad, ldc = c.n + c.pad
                let a = data.uniform(c.offset + max(rowsA * lda, 1)), b = data.uniform(c.offset + max(rowsB * ldb, 1))
                let c0 = data.uniform(c.offset + c.m * ldc)
                let ta = try device.tensor(Shape(a.count), a), tb = try device.tensor(Shape(b.count), b)
                let tc = try device.tensor(Shape(c0.count), c0)
                try device.sgemm("test", transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                                 a: try device.buffer(ta, "test"), aOffset: c.offset, lda: lda,
                                 b: try device.buffer(tb, "test"), bOffset: c.offset, ldb: ldb, beta: c.beta,
                                 c: try device.buffer(tc, "test"), cOffset: c.offset, ldc: ldc)
                let got = try device.download(tc)
                var want = c0.map(Double.init)
                for i in 0..<c.m {
                    for j in 0..<c.n {
                        var sum = 0.0
                        for p in 0..<c.k {
                            let x = c.transA ? a[c.offset + p * lda + i] : a[c.offset + i * lda + p]
                            let y = c.transB ? b[c.offset + j * ldb + p] : b[c.offset + p * ldb + j]
                            sum += Double(x) * Double(y)
                        }
                        let index = c.offset + i * ldc + j
                        want[index] = Double(c.alpha) * sum + (c.beta == 0 ? 0 : Double(c.beta) * Double(c0[index]))
                    }
                }
                // Entries are sums of k products of values in [-1, 1]: float error grows like sqrt(k).
                assertParity("sgemm \(label)", got, want, abs: 1e-6 * Double(max(c.k, 1)).squareRoot() * 4, rel: 1e-5)
            }
        }
    }

    /// Leading dimensions shorter than a row are refused by name, whatever the engine.
    func testLeadingDimensionsAreChecked() throws {
        let info = try OpenCLTestDevice.get().info
        for (label, tuning) in Self.engines(info) {
            let device = try OpenCLDevice(info: info, tuning: .given(tuning))
            let buffer = try device.buffer(try device.makeTensor(Shape(4, 4)), "test")
            XCTAssertThrowsError(try device.sgemm("test product", m: 4, n: 4, k: 4, alpha: 1, a: buffer, lda: 2,
                                                  b: buffer, ldb: 4, beta: 0, c: buffer, ldc: 4), label) { error in
                XCTAssertTrue("\(error)".contains("test product") && "\(error)".contains("leading dimensions"), "\(error)")
            }
        }
    }

    /// With CLBlast, long Gram products are split into batched slices and a remainder: the
    /// Gram and the style loss still match the CPU backend.
    func testSplitGramMatchesCPU() throws {
        let info = try OpenCLTestDevice.get().info
        let device = try OpenCLDevice(info: info, tuning: .given(OpenCLTuning(info: info, gemmEngine: .clblast)))
        let cpu = CPUDevice()
        var data = TestData(seed: 43)
        for (c, h, w) in [(3, 67, 67), (5, 64, 70), (64, 64, 64)] {
            XCTAssertGreaterThan(device.gramSlices(c: c, k: h * w), 1, "\(c)x\(h)x\(w) should be split")
            let x = data.uniform(c * h * w), t = data.uniform(c * c, 0, 1)
            var grams: [[Float]] = [], losses: [Double] = []
            for d in [device as Device, cpu] {
                let gram = try d.makeTensor(Shape(c, c))
                try d.gram(input: try d.tensor(Shape(c, h, w), x), output: gram)
                grams.append(try d.download(gram))
                losses.append(try d.styleLoss(generated: try d.tensor(Shape(c, h, w), x), targetGram: try d.tensor(Shape(c, c), t),
                                              gradient: nil, scale: 1))
            }
            assertParity("gram (split)", grams[0], grams[1], abs: 1e-6, rel: 1e-5)
            assertParity("styleLoss (split)", [losses[0]], [losses[1]], abs: 1e-9, rel: 1e-4)
        }
    }
}
