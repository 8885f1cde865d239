// PaletteTests: palette PNGs keep few-colour pictures exactly and map every pixel to its nearest palette colour.
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

final class PaletteTests: XCTestCase {
    func testFewColoursAreKeptExactlyAndTheFileDecodes() throws {
        var raster = Raster(width: 7, height: 5)
        let colors: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 128, 255), (10, 20, 30)]
        for y in 0..<5 { for x in 0..<7 { raster.set(x: x, y: y, colors[(x + 2 * y) % 3]) } }
        let png = try PNGOutput.encode(raster, colors: 4, path: "test")
        let decoded = try Image.decode(png, path: "test")
        XCTAssertEqual(Raster(decoded), raster, "a palette as large as the colour count loses nothing")
        XCTAssertEqual(png[25], 3, "colour type 3: the file is a palette PNG")
    }

    func testManyColoursMapToTheNearestOfAtMostNColours() throws {
        var data = TestData(seed: 7)
        let values = data.uniform(3 * 40 * 30, 0, 1)
        let raster = Raster(try Image(width: 40, height: 30, pixels: values))
        let palette = Palette(raster, maxColors: 16)
        XCTAssertLessThanOrEqual(palette.colors.count, 16)
        XCTAssertGreaterThan(palette.colors.count, 8, "median cut uses the colours it may")
        for p in 0..<(40 * 30) {
            let pixel = (Int(raster.rgb[3 * p]), Int(raster.rgb[3 * p + 1]), Int(raster.rgb[3 * p + 2]))
            let distances = palette.colors.map { c in
                (Int(c.0) - pixel.0) * (Int(c.0) - pixel.0) + (Int(c.1) - pixel.1) * (Int(c.1) - pixel.1) + (Int(c.2) - pixel.2) * (Int(c.2) - pixel.2)
            }
            XCTAssertEqual(distances[Int(palette.indices[p])], distances.min(), "pixel \(p) takes its nearest colour")
        }
        let decoded = Raster(try Image.decode(try PNGOutput.encode(raster, colors: 16, path: "test"), path: "test"))
        for p in stride(from: 0, to: 40 * 30, by: 37) {
            let c = palette.colors[Int(palette.indices[p])]
            XCTAssertEqual([decoded.rgb[3 * p], decoded.rgb[3 * p + 1], decoded.rgb[3 * p + 2]], [c.0, c.1, c.2])
        }
    }
}
