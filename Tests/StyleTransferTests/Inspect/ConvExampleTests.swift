// ConvExampleTests: the 6x6 edge example on each backend against a direct loop and the hand values, and its printed grids.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ConvExampleTests: XCTestCase {
    /// A direct "valid" correlation in Double, written here.
    static func direct(_ input: [Float], side: Int, _ kernel: [Float], k: Int) -> [Double] {
        let n = side - k + 1
        return (0..<(n * n)).map { p in
            let (y, x) = (p / n, p % n)
            var sum = 0.0
            for ky in 0..<k { for kx in 0..<k { sum += Double(input[(y + ky) * side + x + kx]) * Double(kernel[ky * k + kx]) } }
            return sum
        }
    }

    static let handValues: [Float] = Array(repeating: [0, 30, 30, 0], count: 4).flatMap { $0 }

    func check(_ device: any Device) throws {
        let example = try ConvExample(device: device)
        XCTAssertEqual(example.output, Self.handValues, "rows 0 30 30 0 on \(device.name)")
        let reference = Self.direct(ConvExample.input, side: 6, ConvExample.kernel, k: 3)
        for (a, b) in zip(example.output, reference) { XCTAssertEqual(Double(a), b, accuracy: 1e-5) }
        // A kernel flipped left-right (true convolution instead of correlation) gives -30: the check can fail.
        let flipped = Self.direct(ConvExample.input, side: 6, ConvExample.kernel.reversed(), k: 3)
        XCTAssertNotEqual(flipped.map(Float.init), example.output)
    }

    func testCPUBackend() throws { try check(CPUDevice()) }

    func testOpenCLBackend() throws { try check(OpenCLTestDevice.get()) }

    func testPrintedGridsParseBackToTheValues() throws {
        let text = try ConvExample(device: CPUDevice()).text
        let blocks = text.components(separatedBy: "\n\n")
        XCTAssertEqual(blocks.count, 3)
        func numbers(_ block: String) -> [[Float]] {
            block.split(separator: "\n").dropFirst().map { $0.split(separator: " ").compactMap { Float($0) } }
        }
        XCTAssertEqual(numbers(blocks[0]), (0..<6).map { _ in [10, 10, 10, 0, 0, 0] })
        XCTAssertEqual(numbers(blocks[1]), (0..<3).map { _ in [1, 0, -1] })
        XCTAssertEqual(numbers(blocks[2]), (0..<4).map { _ in [0, 30, 30, 0] })
        XCTAssertTrue(blocks[2].hasPrefix("output (4x4)"))
    }
}
