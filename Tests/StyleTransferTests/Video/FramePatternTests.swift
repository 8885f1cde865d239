// FramePatternTests: printf frame patterns by hand: widths, padding, %% and the conversions that are refused.
import StyleTransfer
import XCTest

final class FramePatternTests: XCTestCase {
    private func pattern(_ text: String) throws -> FramePattern? { try FramePattern(text, option: .content) }

    func testPathsByHand() throws {
        XCTAssertEqual(try pattern("frames/in-%04d.png")?.path(7), "frames/in-0007.png")
        XCTAssertEqual(try pattern("frames/in-%04d.png")?.path(123_456), "frames/in-123456.png", "wider numbers are not cut")
        XCTAssertEqual(try pattern("%d.jpg")?.path(12), "12.jpg")
        XCTAssertEqual(try pattern("100%%-%3d.png")?.path(5), "100%-  5.png", "%% is a percent sign; %3d pads with spaces")
        XCTAssertNil(try pattern("plain.png"), "no conversion: not a pattern")
        XCTAssertNil(try pattern("50%%.png"), "only a percent sign: not a pattern")
    }

    func testOtherConversionsAreRefusedNamingThePattern() {
        for text in ["x-%s.png", "%d-%d.png", "a%.png", "%123d.png"] {
            XCTAssertThrowsError(try pattern(text), text) { error in
                XCTAssertTrue("\(error)".contains(text) && "\(error)".contains("--content"), "\(error)")
            }
        }
    }
}
