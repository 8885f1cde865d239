// WebDriverTests: the WebDriver client itself against a static page opened as a file:// URL: a two-file upload, a click, a script reading an image, a screenshot, an error naming its command, and no process left behind.
import Foundation
import StyleTransfer
import XCTest

final class WebDriverTests: ScratchFolderTestCase {
    /// The page: a multiple file input whose change handler lists the chosen names in
    /// `body.dataset.files`, a button that retitles the page, an image loading `dot.png`.
    static let page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>start</title></head>
        <body style="font: 20px sans-serif">
        <h1>WebDriver test page</h1>
        <p><input type="file" id="f" multiple></p>
        <p><button id="b" onclick="document.title = 'clicked'">Click me</button></p>
        <p><img id="i" alt="dot"></p>
        <script>
        document.getElementById('f').addEventListener('change', (event) => {
          document.body.dataset.files = Array.from(event.target.files, (file) => file.name).join(',');
        });
        document.getElementById('i').src = 'dot.png';
        </script>
        </body></html>
        """

    /// The page and its image written to the test's folder; the page's file:// URL.
    private func writePage() throws -> URL {
        try Self.page.write(toFile: path("page.html"), atomically: true, encoding: .utf8)
        // 7x5, odd sides, so naturalWidth/naturalHeight cannot come out right by accident.
        try Image(width: 7, height: 5, pixels: [Float](repeating: 0.25, count: 3 * 7 * 5)).writePNG(to: path("dot.png"))
        return URL(fileURLWithPath: path("page.html"))
    }

    /// Two files given to sendKeys joined by "\n" both reach the input, names and order kept.
    func testSendKeysUploadsTwoFiles() throws {
        let page = try writePage()
        try Data("one".utf8).write(to: URL(fileURLWithPath: path("first.txt")))
        try Data("two".utf8).write(to: URL(fileURLWithPath: path("second name.txt")))
        try WebDriver.withSession { driver in
            try driver.navigate(to: page)
            let input = try driver.findElement(css: "#f")
            try driver.sendKeys(element: input, text: path("first.txt") + "\n" + path("second name.txt"))
            var files: String?
            XCTAssertTrue(try driver.waitUntil(timeout: 5) {
                files = try driver.executeScript("return document.body.dataset.files;") as? String
                return files != nil
            }, "the change handler never ran")
            XCTAssertEqual(files, "first.txt,second name.txt")
            XCTAssertEqual(try driver.executeScript("return arguments[0].files.length;",
                                                    args: [WebDriver.reference(element: input)]) as? Int, 2)
        }
    }

    /// A click runs the button's handler.
    func testClickRunsTheHandler() throws {
        let page = try writePage()
        try WebDriver.withSession { driver in
            try driver.navigate(to: page)
            XCTAssertEqual(try driver.executeScript("return document.title;") as? String, "start")
            try driver.click(element: try driver.findElement(css: "#b"))
            XCTAssertTrue(try driver.waitUntil(timeout: 5) {
                try driver.executeScript("return document.title;") as? String == "clicked"
            }, "the title stayed \(String(describing: try? driver.executeScript("return document.title;")))")
        }
    }

    /// A script sees the loaded image's size; the source is the page's; the screenshot is a PNG.
    func testScriptImageSourceAndScreenshot() throws {
        let page = try writePage()
        try WebDriver.withSession { driver in
            try driver.navigate(to: page)
            let image = "const i = document.getElementById('i'); return i.complete ? [i.naturalWidth, i.naturalHeight] : null;"
            var size: [Int]?
            XCTAssertTrue(try driver.waitUntil(timeout: 5) {
                size = (try driver.executeScript(image) as? [Any])?.compactMap { $0 as? Int }
                return size != nil
            }, "the image never loaded")
            XCTAssertEqual(size, [7, 5])
            XCTAssertNil(try driver.executeScript("return undefined;"))
            XCTAssertEqual(try driver.executeScript("return arguments[0] + arguments[1];", args: [40, 2]) as? Int, 42)

            let source = try driver.pageSource()
            XCTAssertTrue(source.contains("id=\"b\"") && source.contains("Click me"), source)

            let png = try driver.screenshot()
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
            XCTAssertGreaterThan(png.count, 1024)
        }
    }

    /// A failing command throws an error that names the command and carries the driver's message.
    func testFailureNamesTheCommand() throws {
        let page = try writePage()
        try WebDriver.withSession { driver in
            try driver.navigate(to: page)
            XCTAssertThrowsError(try driver.findElement(css: "#missing")) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.hasPrefix("WebDriver find element \"#missing\" (POST /session/"), text)
                XCTAssertTrue(text.contains("no such element"), text)
            }
            XCTAssertThrowsError(try driver.executeScript("throw new Error('boom');")) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains("execute script") && text.contains("boom"), text)
            }
        }
    }

    /// withSession leaves nothing running, also when its body throws, and quitting twice is harmless.
    func testNoProcessOutlivesTheSession() throws {
        struct Planned: Error {}
        var seen: (driver: Int32, browser: Int32?, scratch: URL)?
        XCTAssertThrowsError(try WebDriver.withSession { driver in
            seen = (driver.driverProcessID, driver.browserProcessID, driver.scratch)
            XCTAssertTrue(WebDriver.isRunning(driver.driverProcessID))
            XCTAssertFalse(WebDriver.processes(mentioning: driver.scratch.path).isEmpty, "the browser runs with its profile")
            throw Planned()
        }) { XCTAssertTrue($0 is Planned, "\($0)") }
        let (driver, browser, scratch) = try XCTUnwrap(seen)
        XCTAssertNotNil(browser, "the driver reports the browser's process id")
        XCTAssertFalse(WebDriver.isRunning(driver), "chromedriver still runs")
        if let browser { XCTAssertFalse(WebDriver.isRunning(browser), "the browser still runs") }
        XCTAssertEqual(WebDriver.processes(mentioning: scratch.path), [], "browser processes left behind")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path), "the profile folder is removed")

        let again = try WebDriver()
        again.quit()
        again.quit()
        XCTAssertThrowsError(try again.pageSource()) { XCTAssertTrue("\($0)".contains("already been closed"), "\($0)") }
    }
}
