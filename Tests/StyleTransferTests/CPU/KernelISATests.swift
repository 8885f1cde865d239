// KernelISATests: the C kernels (packed products, F(4x4) transforms) in each instruction set's variant against Double references.
import CKernels
@testable import NSTCPU
@testable import NSTCore
import XCTest

final class KernelISATests: XCTestCase {
    /// Every variant this processor can run: generic C vectors, then AVX2 and AVX-512 where present.
    private var variants: [nst_isa] {
        (0...Int(nst_kernels_best_isa().rawValue)).map { nst_isa(rawValue: UInt32($0)) }
    }

    /// Runs `body` with the kernels forced to `isa`, then restores the best variant.
    private func with(_ isa: nst_isa, _ body: () throws -> Void) rethrows {
        XCTAssertEqual(nst_kernels_use_isa(Int32(isa.rawValue)), isa)
        defer { nst_kernels_use_isa(-1) }
        try body()
    }

    private func name(_ isa: nst_isa) -> String { ["generic", "AVX2", "AVX-512"][Int(isa.rawValue)] }

    private func largest(_ values: [Float]) -> Double { Double(values.map(abs).max() ?? 0) }

    /// The packed product against a Double one, for row and column counts that leave a single
    /// B panel after the pairs, depths of 1 and odd, products wider than one column block, and
    /// a row stride wider than the product (the columns past it must stay untouched).
    func testPackedGemmMatchesDoubleProductInEachVariant() {
        var data = TestData(seed: 21)
        let rows = Int(NST_PACK_ROWS), cols = Int(NST_PACK_COLS)
        for isa in variants {
            with(isa) {
                // The last two span several column blocks (B_BLOCK_FLOATS / depth columns each).
                for (r, c, k) in [(8, 16, 1), (24, 48, 7), (16, 80, 64), (8, 32, 300), (16, 400, 300), (8, 80, 7000)] {
                    let a = data.uniform(r * k), b = data.uniform(k * c)
                    var ap = [Float](repeating: 0, count: r * k), bp = [Float](repeating: 0, count: k * c)
                    for i in 0..<r { for j in 0..<k { ap[(i / rows) * k * rows + j * rows + i % rows] = a[i * k + j] } }
                    for i in 0..<k { for j in 0..<c { bp[(j / cols) * k * cols + i * cols + j % cols] = b[i * c + j] } }
                    let ldm = c + 3
                    var m = [Float](repeating: 7, count: r * ldm)
                    nst_packed_gemm(ap, bp, &m, r, c, k, ldm)
                    var got: [Float] = [], want: [Double] = []
                    for i in 0..<r {
                        for j in 0..<c {
                            got.append(m[i * ldm + j])
                            want.append((0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[$1 * c + j]) })
                        }
                        XCTAssertEqual(Array(m[(i * ldm + c)..<(i * ldm + ldm)]), [7, 7, 7], "\(name(isa)) row \(i) past the columns")
                    }
                    assertClose(got, want, abs: 1e-6 * Double(k), rel: 1e-5, "\(name(isa)) \(r)x\(c) depth \(k)")
                }
            }
        }
    }

    /// F(4x4) convolutions and input gradients, through the CPU backend, in each variant,
    /// on widths whose tile rows hold whole groups of sixteen tiles (the deinterleaving loads
    /// and interleaving stores), groups that cross tile rows, and right and bottom edges
    /// that cut tiles; whole and in bands of a few tile rows.
    func testWinograd4MatchesReferenceInEachVariant() throws {
        var data = TestData(seed: 23)
        let im2col = CPUDevice(columnBudget: 1 << 22, winogradMinChannels: .max)
        // (in, out, height, width): 70 = 18 tiles (a group of 16, then one across rows); 128 =
        // 32 tiles (whole groups, stored 64 columns at a time); 63 = 16 tiles whose last column is
        // cut; 40 = 10 tiles (groups across rows only).
        let shapes = [(16, 24, 9, 70), (16, 16, 12, 128), (17, 16, 5, 63), (24, 8, 33, 40)]
        for isa in variants {
            try with(isa) {
                for budget in [1 << 22, 20_000] {
                    let device = CPUDevice(columnBudget: budget, winogradMinChannels: 1, winogradTile: .f4x4)
                    for (i, o, h, w) in shapes {
                        let x = data.uniform(i * h * w), wt = data.uniform(o * i * 9), b = data.uniform(o)
                        let weight = try device.tensor(Shape(o, i, 3, 3), wt)
                        let out = try device.makeTensor(Shape(o, h, w))
                        try device.fill(out, with: 99)   // every value is overwritten
                        try device.conv2d(input: try device.tensor(Shape(i, h, w), x), weight: weight,
                                          bias: try device.tensor(Shape(o), b), output: out, padding: 1)
                        let want = referenceConv2d(input: x, i, h, w, weight: wt, o, 3, 3, bias: b, padding: 1)
                        // F(4x4)'s rounding grows with the largest value, not each value's own: the
                        // tolerance is 2e-5 of the largest output, as in the op table.
                        assertClose(try device.download(out), want, abs: 2e-5 * largest(want), rel: 0,
                                    "\(name(isa)) conv \(i)->\(o) at \(h)x\(w), budget \(budget)")

                        let dy = data.uniform(o * h * w)
                        var gradients: [[Float]] = []
                        for d in [device, im2col] {
                            let dx = try d.makeTensor(Shape(i, h, w))
                            try d.fill(dx, with: 5)
                            try d.conv2dInputGradient(outputGradient: try d.tensor(Shape(o, h, w), dy),
                                                      weight: try d.tensor(Shape(o, i, 3, 3), wt), inputGradient: dx, padding: 1)
                            gradients.append(try d.download(dx))
                        }
                        assertClose(gradients[0], gradients[1], abs: 2e-5 * largest(gradients[1]), rel: 0,
                                    "\(name(isa)) input gradient \(i)->\(o) at \(h)x\(w), budget \(budget)")
                    }
                }
            }
        }
    }
}
