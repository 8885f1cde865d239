// GramSheetTests: device Gram matrices against a host computation, and heatmap colours ordered like the values.
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

final class GramSheetTests: XCTestCase {
    func testDeviceGramsMatchHostProductsOnBothBackends() throws {
        var data = TestData(seed: 5)
        let image = try Image(width: 24, height: 18, pixels: data.uniform(3 * 24 * 18, 0, 1))
        for device in [CPUDevice() as any Device, try OpenCLTestDevice.get()] {
            let extractor = try FeatureExtractor(device: device, layers: ["relu1_1", "relu2_1"], option: "--layers", weights: { VGGWeights.builtIn(depth: $0) })
            let maps = try extractor.activations(image), grams = try extractor.grams(image)
            for (map, gram) in zip(maps, grams) {
                let c = map.channels, n = map.height * map.width
                XCTAssertEqual(gram.channels, c)
                var worst = 0.0, largest = 0.0
                for i in 0..<c {
                    for j in 0..<c {
                        var sum = 0.0
                        for p in 0..<n { sum += Double(map.values[i * n + p]) * Double(map.values[j * n + p]) }
                        largest = max(largest, abs(sum / Double(n)))
                        worst = max(worst, abs(sum / Double(n) - Double(gram.values[i * c + j])))
                    }
                }
                XCTAssertLessThan(worst, 1e-4 * max(largest, 1), "\(map.layer) on \(device.name)")
            }
        }
    }

    func testHeatmapColoursAreOrderedLikeTheValues() throws {
        var data = TestData(seed: 9)
        let c = 6
        let values = data.distinct(c * c, spacing: 0.5)
        let lo = Double(values.min() ?? 0), hi = Double(values.max() ?? 1)
        let raster = GramSheet.heatmap(values, channels: c, map: .sequential, scale: { ($0 - lo) / (hi - lo) })
        XCTAssertEqual(raster.width, GramSheet.side(channels: c))
        let cell = raster.width / c
        var luminances: [(Float, Double)] = []
        for i in 0..<c {
            for j in 0..<c {
                let corner = raster.pixel(x: j * cell, y: i * cell), centre = raster.pixel(x: j * cell + cell / 2, y: i * cell + cell / 2)
                XCTAssertTrue(corner == centre, "a cell is one colour")
                luminances.append((values[i * c + j], ColorMapTests.luminance(RGBColor(Double(centre.0) / 255, Double(centre.1) / 255, Double(centre.2) / 255))))
            }
        }
        let sorted = luminances.sorted { $0.0 < $1.0 }
        for (a, b) in zip(sorted, sorted.dropFirst()) { XCTAssertLessThan(a.1, b.1, "value \(a.0) < \(b.0) must be darker") }
    }

    func testStyleLossOfTheDifferencePanel() {
        // 1/(4 C^2) sum (a - b)^2 with C = 2: (1 + 4 + 0 + 9) / 16.
        XCTAssertEqual(GramSheet.styleLoss([1, 2, 3, 4], [0, 0, 3, 7], channels: 2), 14.0 / 16, accuracy: 1e-12)
    }

    func testComparedSheetIsThreePanelsWide() throws {
        let a = [GramMatrix(layer: "relu1_1", channels: 64, values: Array(repeating: 1, count: 64 * 64))]
        let one = try GramSheet(first: a, names: ["a"]), two = try GramSheet(first: a, second: a, names: ["a", "b"])
        XCTAssertGreaterThanOrEqual(two.drawing.width, 3 * GramSheet.side(channels: 64))
        XCTAssertLessThan(one.drawing.width, 2 * GramSheet.side(channels: 64))
        let mismatched = [GramMatrix(layer: "relu2_1", channels: 128, values: Array(repeating: 1, count: 128 * 128))]
        XCTAssertThrowsError(try GramSheet(first: a, second: mismatched, names: ["a", "b"]))
    }
}
