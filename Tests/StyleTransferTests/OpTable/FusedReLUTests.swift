// FusedReLUTests: conv2dReLU and conv2dInputGradientReLU against the separate ops they replace, bit for bit, on every convolution path of both backends.
import CKernels
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class FusedReLUTests: XCTestCase {
    /// (in, height, width, out): a width with whole groups of sixteen F(4x4) tiles, small odd
    /// sizes, and 3 input channels (the im2col path of conv1_1 on either backend).
    private let shapes = [(16, 9, 70, 24), (17, 6, 8, 16), (24, 5, 5, 40), (3, 7, 9, 16)]

    /// Values in [-1, 1) with exact zeros, negative zeros and a NaN among them: the ReLU's and
    /// its gradient's edge cases (0 and NaN pass no gradient; -0 becomes +0).
    private func values(_ data: inout TestData, _ count: Int) -> [Float] {
        var v = data.uniform(count)
        for i in stride(from: 0, to: count, by: 7) { v[i] = 0 }
        for i in stride(from: 3, to: count, by: 11) { v[i] = -0.0 }
        if count > 5 { v[5] = .nan }
        return v
    }

    /// The bit patterns, so that NaN equals NaN and -0 differs from +0.
    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// Runs both fused ops and their two-op equivalents on `device` and requires equal bits.
    private func check(_ device: Device, _ label: String) throws {
        var data = TestData(seed: 41)
        for (i, h, w, o) in shapes {
            let x = values(&data, i * h * w), wt = data.uniform(o * i * 9), b = data.uniform(o)
            let dy = data.uniform(o * h * w)
            let input = try device.tensor(Shape(i, h, w), x), weight = try device.tensor(Shape(o, i, 3, 3), wt)
            let bias = try device.tensor(Shape(o), b)

            let fused = try device.makeTensor(Shape(o, h, w)), separate = try device.makeTensor(Shape(o, h, w))
            try device.fill(fused, with: 9)
            try device.execute(.conv2dReLU(input: input, weight: weight, bias: bias, output: fused, padding: 1))
            try device.execute(.conv2d(input: input, weight: weight, bias: bias, output: separate, padding: 1))
            try device.execute(.relu(input: separate, output: separate))
            let want = try device.download(separate)
            XCTAssertEqual(bits(try device.download(fused)), bits(want), "\(label) conv2dReLU \(i)->\(o) at \(h)x\(w)")
            XCTAssertTrue(want.contains(0) && want.contains { $0 > 0 }, "\(label): the case has values on both sides of 0")

            let gradient = try device.tensor(Shape(o, h, w), dy)
            let dFused = try device.makeTensor(Shape(i, h, w)), dSeparate = try device.makeTensor(Shape(i, h, w))
            try device.fill(dFused, with: 9)
            try device.execute(.conv2dInputGradientReLU(outputGradient: gradient, weight: weight, input: input,
                                                        inputGradient: dFused, padding: 1))
            try device.execute(.conv2dInputGradient(outputGradient: gradient, weight: weight, inputGradient: dSeparate, padding: 1))
            try device.execute(.reluGradient(output: input, outputGradient: dSeparate, inputGradient: dSeparate))
            XCTAssertEqual(bits(try device.download(dFused)), bits(try device.download(dSeparate)),
                           "\(label) conv2dInputGradientReLU \(i)<-\(o) at \(h)x\(w)")
        }
    }

    func testCPUPathsMatchTheSeparateOps() throws {
        // F(4x4) (the default) in each instruction set's kernels, F(2x2), im2col, and banded.
        for isa in 0...Int(nst_kernels_best_isa().rawValue) {
            nst_kernels_use_isa(Int32(isa))
            defer { nst_kernels_use_isa(-1) }
            try check(CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 1, winogradTile: .f4x4), "cpu F(4x4) isa \(isa)")
        }
        try check(CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 1, winogradTile: .f2x2), "cpu F(2x2)")
        try check(CPUDevice(columnBudget: 1 << 22, winogradMinChannels: .max), "cpu im2col")
        try check(CPUDevice(columnBudget: 300, winogradMinChannels: 1, winogradTile: .f4x4), "cpu F(4x4) banded")
    }

    func testOpenCLPathsMatchTheSeparateOps() throws {
        for tile in OpenCLWinogradTile.allCases {
            try check(OpenCLWinogradTests.winogradDevice(tile: tile, minChannels: 1), "opencl \(tile)")
        }
        let info = try OpenCLTestDevice.get().info
        try check(try OpenCLDevice(info: info, tuning: .none), "opencl im2col (untuned: Winograd off)")
        try check(try OpenCLTestDevice.get(banded: true), "opencl banded")
    }
}
