// ContactSheetTests: images placed side by side at one height, their pixels where the placements say.
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

final class ContactSheetTests: XCTestCase {
    func testPlacementAndPixels() throws {
        var data = TestData(seed: 11)
        let images = try [(40, 20), (30, 30), (20, 40)].map { try Image(width: $0.0, height: $0.1, pixels: data.uniform(3 * $0.0 * $0.1, 0, 1)) }
        let sheet = try ContactSheet(images: images, captions: ["a", "b", "c"], height: 20)
        XCTAssertEqual(sheet.placements.map(\.width), [40, 20, 10], "aspect kept at height 20")
        XCTAssertEqual(sheet.placements.map(\.x), [0, 48, 76], "8-pixel gaps")
        XCTAssertEqual(sheet.drawing.width, 86)
        XCTAssertEqual(sheet.drawing.height, 20 + ContactSheet.captionHeight)
        let raster = try sheet.drawing.rasterize()
        for (k, place) in sheet.placements.enumerated() {
            let resized = Raster(try images[k].resized(width: place.width, height: place.height))
            for (x, y) in [(0, 0), (place.width - 1, place.height - 1), (place.width / 2, 7)] {
                XCTAssertTrue(raster.pixel(x: place.x + x, y: y) == resized.pixel(x: x, y: y), "image \(k) at (\(x), \(y))")
            }
        }
        XCTAssertEqual(try ContactSheet(images: images, captions: ["", "", ""], height: 20).drawing.height, 20, "no caption row")
        XCTAssertThrowsError(try ContactSheet(images: images, captions: ["a"], height: 20)) { XCTAssertTrue("\($0)".contains("1 captions")) }
        XCTAssertThrowsError(try ContactSheet(images: images, captions: ["a", "b", "c"], height: 0)) { XCTAssertTrue("\($0)".contains("height 0")) }
    }
}
