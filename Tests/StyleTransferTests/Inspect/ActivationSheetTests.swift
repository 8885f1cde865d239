// ActivationSheetTests: the chosen channels are the strongest, the grid's geometry, and each tile's pixels against the colour map.
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

final class ActivationSheetTests: XCTestCase {
    /// A 40x28 noise image through the built-in network to relu2_1 (and conv1_2, kept apart from its ReLU).
    func maps(on device: any Device) throws -> [FeatureMap] {
        var data = TestData(seed: 3)
        let image = try Image(width: 40, height: 28, pixels: data.uniform(3 * 40 * 28, 0, 1))
        let extractor = try FeatureExtractor(device: device, layers: ["relu1_1", "conv1_2", "relu2_1"], option: "--layers",
                                             weights: { VGGWeights.builtIn(depth: $0) })
        return try extractor.activations(image)
    }

    func testChosenChannelsAreTheStrongestByMean() throws {
        for map in try maps(on: CPUDevice()) {
            let plane = map.height * map.width
            // Means in Double, summed here.
            let means = (0..<map.channels).map { c in (0..<plane).reduce(0.0) { $0 + Double(map.values[c * plane + $1]) } / Double(plane) }
            let chosen = ActivationSheet.strongest(map, count: 10)
            XCTAssertEqual(chosen.count, 10)
            let weakestChosen = chosen.map { means[$0] }.min() ?? 0
            for c in 0..<map.channels where !chosen.contains(c) {
                XCTAssertLessThanOrEqual(means[c], weakestChosen, "\(map.layer) channel \(c) is stronger than a chosen one")
            }
            XCTAssertEqual(chosen.map { means[$0] }, chosen.map { means[$0] }.sorted(by: >), "strongest first")
        }
        XCTAssertTrue(try maps(on: CPUDevice())[1].values.contains { $0 < 0 }, "conv1_2 is read before its ReLU")
    }

    func testActivationsAgreeAcrossBackends() throws {
        let opencl = try OpenCLTestDevice.get()
        for (a, b) in zip(try maps(on: CPUDevice()), try maps(on: opencl)) {
            XCTAssertEqual(a.values.count, b.values.count)
            let scale = Double(a.values.map(abs).max() ?? 1)
            let worst = zip(a.values, b.values).map { Double(abs($0 - $1)) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-4 * scale, "\(a.layer): CPU and OpenCL differ by \(worst)")
        }
    }

    func testGridGeometryAndTilePixels() throws {
        // Channel c of a synthetic 3-channel-or-more map is a ramp x + c; its mean grows with c.
        let channels = 20, height = 5, width = 8
        var values: [Float] = []
        for c in 0..<channels { for y in 0..<height { for x in 0..<width { values.append(Float(x * (y + 1) + c)) } } }
        let map = try FeatureMap(layer: "relu9_9", index: 0, channels: channels, height: height, width: width, values: values)
        for (count, columns) in [(1, 8), (5, 8), (16, 8), (20, 6), (3, 1)] {
            let sheet = try ActivationSheet(maps: [map, map], channels: count, tile: 32, columns: columns)
            XCTAssertEqual(sheet.tiles.count, 2 * count)
            let firstLayer = sheet.tiles.prefix(count)
            XCTAssertEqual(Set(firstLayer.map(\.y)).count, (count + columns - 1) / columns, "rows for \(count) in \(columns) columns")
            XCTAssertEqual(Set(firstLayer.map(\.x)).count, min(count, columns), "columns")
            XCTAssertEqual(firstLayer.map(\.channel), Array((channels - count..<channels).reversed()), "strongest first")
            for tile in sheet.tiles {
                XCTAssertEqual([tile.width, tile.height], [32, 20], "long side 32, aspect 8:5")
                XCTAssertTrue(tile.x >= 0 && tile.y >= 0 && tile.x + tile.width <= sheet.drawing.width && tile.y + tile.height <= sheet.drawing.height)
            }
            for (i, a) in sheet.tiles.enumerated() {
                for b in sheet.tiles[(i + 1)...] {
                    XCTAssertTrue(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y, "tiles overlap")
                }
            }
        }
        // Pixels: each tile shows its channel scaled to [min, max], nearest neighbour.
        let sheet = try ActivationSheet(maps: [map], channels: 4, tile: 32, columns: 2)
        let raster = try sheet.drawing.rasterize()
        for tile in sheet.tiles {
            let base = tile.channel * height * width
            let slice = values[base..<(base + height * width)]
            let lo = Double(slice.min() ?? 0), hi = Double(slice.max() ?? 0)
            for (sx, sy) in [(0, 0), (7, 4), (3, 2)] {
                // The centre of source pixel (sx, sy) in the tile.
                let px = tile.x + (2 * sx + 1) * tile.width / (2 * width), py = tile.y + (2 * sy + 1) * tile.height / (2 * height)
                let expected = ColorMap.sequential.color((Double(values[base + sy * width + sx]) - lo) / (hi - lo)).bytes
                XCTAssertTrue(raster.pixel(x: px, y: py) == expected, "channel \(tile.channel) at (\(sx), \(sy))")
            }
        }
    }

    func testBadCountsAndLayersThrowNamingTheOption() throws {
        let map = try FeatureMap(layer: "x", index: 0, channels: 2, height: 2, width: 2, values: [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertThrowsError(try ActivationSheet(maps: [map], channels: 0)) { XCTAssertTrue("\($0)".contains("channels must be 1 or more")) }
        XCTAssertEqual(ActivationSheet.problem(channels: 1, tile: 7, columns: 1)?.parameter, "tile")
        XCTAssertEqual(ActivationSheet.problem(channels: 1, tile: 8, columns: 65)?.parameter, "columns")
        XCTAssertNil(ActivationSheet.problem(channels: 1, tile: 512, columns: 64))
        XCTAssertThrowsError(try FeatureExtractor.depth(["relu1_1", "relu6_1"], option: "--layers")) { XCTAssertTrue("\($0)".contains("relu6_1")) }
        XCTAssertThrowsError(try FeatureExtractor.depth(["relu1_1", "relu1_1"], option: "--layers")) { XCTAssertTrue("\($0)".contains("twice")) }
        XCTAssertEqual(try FeatureExtractor.depth(["relu3_1", "relu1_1"], option: "--layers"), VGG19.index(of: "relu3_1").map { $0 + 1 })
    }
}
